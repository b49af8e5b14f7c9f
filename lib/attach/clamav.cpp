// ClamAV in process: the engine wrapper, the name → symbol mapping and the reload service.
#include "attach/clamav.hpp"

#include <clamav.h>
#include <fmt/format.h>
#include <sys/stat.h>

#include <algorithm>
#include <array>
#include <filesystem>
#include <iterator>
#include <utility>

namespace postern::attach {
namespace {

namespace fs = std::filesystem;
using std::chrono::milliseconds;

constexpr size_t kMaxNames = 32;          // names kept per scan in all-match mode
constexpr size_t kMaxDetail = 200;        // a Hit detail's length
constexpr size_t kMaxCapturedLog = 1000;  // libclamav messages kept as a load error's text

std::atomic<size_t> g_live_engines{0};

// libclamav's messages: kept only while this thread loads a database (they say why
// a file does not load); dropped otherwise (they would go to stderr).
thread_local std::string* t_capture = nullptr;

void on_clamav_message(enum cl_msg severity, const char* /*fullmsg*/, const char* msg,
                       void* /*context*/) {
  if (t_capture == nullptr || severity < CL_MSG_WARN || msg == nullptr) return;
  std::string_view m(msg);
  while (!m.empty() && (m.back() == '\n' || m.back() == ' ')) m.remove_suffix(1);
  if (t_capture->size() >= kMaxCapturedLog) return;
  if (!t_capture->empty()) t_capture->append("; ");
  t_capture->append(m.substr(0, kMaxCapturedLog - t_capture->size()));
}

// cl_init once per process, before any engine; its result for every later load.
cl_error_t global_init() {
  static cl_error_t rc = [] {
    cl_set_clcb_msg(&on_clamav_message);
    return cl_init(CL_INIT_DEFAULT);
  }();
  return rc;
}

// The names one scan reports (the virus-found callback: several in all-match mode).
struct ScanContext {
  std::vector<std::string> names;
};

void on_virus_found(int /*fd*/, const char* virname, void* context) {
  auto* ctx = static_cast<ScanContext*>(context);
  if (ctx == nullptr || virname == nullptr || ctx->names.size() >= kMaxNames) return;
  std::string n(virname);
  if (std::find(ctx->names.begin(), ctx->names.end(), n) == ctx->names.end())
    ctx->names.push_back(std::move(n));
}

// Printable ASCII only, at most kMaxDetail bytes: a name is shown to admins and logged.
std::string clean_name(std::string_view name) {
  std::string out;
  for (char c : name.substr(0, kMaxDetail)) out.push_back(c >= 0x20 && c < 0x7f ? c : '?');
  return out;
}

// Sets one engine limit; the error text, empty when it is set.
std::string set_num(cl_engine* e, cl_engine_field f, long long v, std::string_view what) {
  if (v <= 0) return fmt::format("clamav: {} must be above 0", what);
  if (cl_error_t rc = cl_engine_set_num(e, f, v); rc != CL_SUCCESS)
    return fmt::format("clamav: {}: {}", what, cl_strerror(rc));
  return {};
}

uint32_t heuristic_flags(const ClamHeuristics& h) {
  // A limit that is hit is always reported (Heuristics.Limits.Exceeded.*): without
  // it ClamAV skips what is over a limit and says clean.
  uint32_t f = CL_SCAN_HEURISTIC_EXCEEDS_MAX;
  if (h.macros) f |= CL_SCAN_HEURISTIC_MACROS;
  if (h.encrypted_archives) f |= CL_SCAN_HEURISTIC_ENCRYPTED_ARCHIVE;
  if (h.encrypted_documents) f |= CL_SCAN_HEURISTIC_ENCRYPTED_DOC;
  if (h.broken_executables) f |= CL_SCAN_HEURISTIC_BROKEN;
  if (h.phishing) f |= CL_SCAN_HEURISTIC_PHISHING_SSL_MISMATCH | CL_SCAN_HEURISTIC_PHISHING_CLOAK;
  if (h.structured)
    f |= CL_SCAN_HEURISTIC_STRUCTURED | CL_SCAN_HEURISTIC_STRUCTURED_SSN_NORMAL |
         CL_SCAN_HEURISTIC_STRUCTURED_SSN_STRIPPED | CL_SCAN_HEURISTIC_STRUCTURED_CC;
  return f;
}

// What cl_load reads: signed bytecode always; the phishing databases (.pdb, .gdb,
// .wdb) only with the phishing heuristics on, as ClamAV checks every mail link
// against them whenever they are loaded, whatever the scan options say.
unsigned db_options(const ClamHeuristics& h) {
  return CL_DB_BYTECODE | (h.phishing ? CL_DB_PHISHING | CL_DB_PHISHING_URLS : 0u);
}

struct NameRule {
  std::string_view prefix;
  std::string_view symbol;
};
// First match wins; a name that is no heuristic is a signature.
constexpr std::array kNameRules{
    NameRule{"Heuristics.OLE2.ContainsMacros", "ATTACH_MACRO"},
    NameRule{"Heuristics.Encrypted.", "ATTACH_ENCRYPTED_ARCHIVE"},
    NameRule{"Heuristics.Broken.Executable", "ATTACH_BROKEN_EXECUTABLE"},
    NameRule{"Heuristics.Phishing.", "ATTACH_CLAMAV_PHISHING"},
    NameRule{"Heuristics.Limits.Exceeded", "ATTACH_CLAMAV_LIMIT"},
    NameRule{"Heuristics.", "ATTACH_CLAMAV_HEURISTIC"},
};

}  // namespace

void ClamEngine::EngineDeleter::operator()(cl_engine* e) const {
  if (e != nullptr) cl_engine_free(e);
}

ClamEngine::~ClamEngine() {
  if (engine_) g_live_engines.fetch_sub(1, std::memory_order_relaxed);
}

size_t ClamEngine::live_engines() {
  return g_live_engines.load(std::memory_order_relaxed);
}

postern::expected<std::shared_ptr<const ClamEngine>, std::string> ClamEngine::load(
    const ClamConfig& config) {
  auto t0 = std::chrono::steady_clock::now();
  if (cl_error_t rc = global_init(); rc != CL_SUCCESS)
    return postern::unexpected(fmt::format("clamav: cl_init: {}", cl_strerror(rc)));
  std::shared_ptr<ClamEngine> self(new ClamEngine());
  self->config_ = config;
  self->engine_.reset(cl_engine_new());
  if (!self->engine_) return postern::unexpected(std::string("clamav: cl_engine_new failed"));
  g_live_engines.fetch_add(1, std::memory_order_relaxed);
  cl_engine* e = self->engine_.get();

  const ClamLimits& l = config.limits;
  for (auto r :
       {set_num(e, CL_ENGINE_MAX_SCANSIZE, static_cast<long long>(l.max_scansize), "max_scansize"),
        set_num(e, CL_ENGINE_MAX_FILESIZE, static_cast<long long>(l.max_filesize), "max_filesize"),
        set_num(e, CL_ENGINE_MAX_RECURSION, l.max_recursion, "max_recursion"),
        set_num(e, CL_ENGINE_MAX_FILES, l.max_files, "max_files"),
        set_num(e, CL_ENGINE_MAX_SCANTIME, l.max_scantime_ms, "max_scantime")})
    if (!r.empty()) return postern::unexpected(r);
  if (!config.tmpdir.empty())
    if (cl_error_t rc = cl_engine_set_str(e, CL_ENGINE_TMPDIR, config.tmpdir.c_str());
        rc != CL_SUCCESS)
      return postern::unexpected(
          fmt::format("clamav: tmpdir {}: {}", config.tmpdir, cl_strerror(rc)));
  cl_engine_set_clcb_virus_found(e, &on_virus_found);

  std::string log;
  t_capture = &log;
  struct Reset {
    ~Reset() { t_capture = nullptr; }
  } reset;
  for (const std::string& dir : config.database_dirs) {
    std::error_code ec;
    auto st = fs::status(dir, ec);
    if (st.type() == fs::file_type::not_found) continue;
    if (ec) return postern::unexpected(fmt::format("clamav: {}: {}", dir, ec.message()));
    if (st.type() != fs::file_type::directory)
      return postern::unexpected(fmt::format("clamav: {}: not a directory", dir));
    // A directory without a database file is skipped like a missing one (cl_load
    // refuses it); a directory that has some must load in full.
    bool any = false;
    for (const auto& f : fs::directory_iterator(dir, ec))
      if (f.is_regular_file(ec) && f.path().filename().string()[0] != '.') any = true;
    if (ec) return postern::unexpected(fmt::format("clamav: {}: {}", dir, ec.message()));
    if (!any) continue;
    unsigned signo = 0;
    log.clear();
    if (cl_error_t rc = cl_load(dir.c_str(), e, &signo, db_options(config.heuristics));
        rc != CL_SUCCESS)
      return postern::unexpected(fmt::format("clamav: loading {}: {}{}{}", dir, cl_strerror(rc),
                                             log.empty() ? "" : ": ", log));
    self->signatures_ += signo;
    self->loaded_dirs_.push_back(dir);
  }
  if (self->signatures_ == 0)
    return postern::unexpected(
        fmt::format("clamav: no signatures in {}", fmt::join(config.database_dirs, ", ")));
  log.clear();
  if (cl_error_t rc = cl_engine_compile(e); rc != CL_SUCCESS)
    return postern::unexpected(fmt::format("clamav: compiling the engine: {}{}{}", cl_strerror(rc),
                                           log.empty() ? "" : ": ", log));
  self->load_time_ =
      std::chrono::duration_cast<milliseconds>(std::chrono::steady_clock::now() - t0);
  return std::shared_ptr<const ClamEngine>(std::move(self));
}

ScanResult ClamEngine::scan(std::string_view data, std::string_view name, const Sha256* key) const {
  ScanResult out;
  // cl_fmap_open_memory refuses an empty buffer; an empty file holds nothing to find
  // (ClamAV itself skips empty files).
  if (data.empty()) {
    out.status = ScanStatus::Clean;
    return out;
  }
  if (key)
    if (auto seen = results_.find(*key)) return *seen;
  cl_fmap_t* map = cl_fmap_open_memory(data.data(), data.size());
  if (map == nullptr) {
    out.error = "clamav: cl_fmap_open_memory failed";
    return out;
  }
  std::string fname;
  for (char c : name.substr(0, 255)) fname.push_back(c == '\0' ? '?' : c);
  cl_scan_options opts{};
  opts.general =
      CL_SCAN_GENERAL_HEURISTICS | (config_.all_matches ? CL_SCAN_GENERAL_ALLMATCHES : 0);
  opts.parse = ~0u;
  opts.heuristic = heuristic_flags(config_.heuristics);
  ScanContext ctx;
  const char* virname = nullptr;
  unsigned long scanned = 0;
  cl_error_t rc =
      cl_scanmap_callback(map, fname.c_str(), &virname, &scanned, engine_.get(), &opts, &ctx);
  cl_fmap_close(map);
  out.scanned_bytes = static_cast<uint64_t>(scanned) * CL_COUNT_PRECISION;
  if (rc == CL_CLEAN) {
    out.status = ScanStatus::Clean;
  } else if (rc == CL_VIRUS) {
    out.status = ScanStatus::Found;
    out.names = std::move(ctx.names);
    if (out.names.empty()) out.names.emplace_back(virname != nullptr ? virname : "unnamed");
  } else {
    out.error = fmt::format("clamav: scan: {}", cl_strerror(rc));
  }
  const bool limited = std::any_of(out.names.begin(), out.names.end(), [](const auto& n) {
    return std::string_view(n).starts_with("Heuristics.Limits.Exceeded");
  });
  if (key && out.status != ScanStatus::Error && !limited) results_.put(*key, out);
  return out;
}

Hit clamav_hit(std::string_view clamav_name) {
  std::string_view symbol = "ATTACH_VIRUS";
  for (const NameRule& r : kNameRules)
    if (clamav_name.starts_with(r.prefix)) {
      symbol = r.symbol;
      break;
    }
  return Hit{std::string(symbol), clean_name(clamav_name)};
}

postern::expected<std::vector<Hit>, std::string> to_hits(const ScanResult& result) {
  if (result.status == ScanStatus::Error)
    return postern::unexpected(result.error.empty() ? std::string("clamav: scan failed")
                                                    : result.error);
  std::vector<Hit> hits;
  if (result.status == ScanStatus::Found) {
    for (const std::string& n : result.names) hits.push_back(clamav_hit(n));
    if (hits.empty()) hits.push_back(clamav_hit("unnamed"));
  }
  return hits;
}

// ---- ClamService ----

ClamService::ClamService(const ClamConfig& config, milliseconds interval)
    : config_(config), interval_(interval) {}

postern::expected<std::unique_ptr<ClamService>, std::string> ClamService::start(
    const ClamConfig& config, milliseconds check_interval) {
  std::unique_ptr<ClamService> s(new ClamService(config, check_interval));
  s->seen_ = s->fingerprint();
  auto engine = ClamEngine::load(config);
  if (!engine) return postern::unexpected(engine.error());
  s->status_.last_reload = std::chrono::system_clock::now();
  s->status_.last_load_time = (*engine)->load_time();
  s->status_.signatures = (*engine)->signatures();
  s->current_.store(std::move(*engine));
  s->thread_ = std::thread([p = s.get()] { p->run(); });
  return s;
}

ClamService::~ClamService() {
  {
    std::lock_guard lk(wake_mu_);
    stop_ = true;
  }
  wake_cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

// What identifies the database files: name, size, mtime (ns) and inode of each file
// of each configured directory, in order. A file rewritten in place, replaced by a
// rename, added or removed changes it; so does a directory appearing or vanishing.
std::string ClamService::fingerprint() const {
  std::string fp;
  for (const std::string& dir : config_.database_dirs) {
    fp += dir;
    fp += '\n';
    std::error_code ec;
    std::vector<std::string> names;
    for (const auto& f : fs::directory_iterator(dir, ec)) names.push_back(f.path().string());
    std::sort(names.begin(), names.end());
    for (const std::string& n : names) {
      struct stat st {};
      if (::stat(n.c_str(), &st) != 0) continue;
      fp += fmt::format("{} {} {}.{:09} {}\n", n, static_cast<long long>(st.st_size),
                        static_cast<long long>(st.st_mtim.tv_sec),
                        static_cast<long long>(st.st_mtim.tv_nsec),
                        static_cast<unsigned long long>(st.st_ino));
    }
  }
  return fp;
}

postern::expected<std::shared_ptr<const ClamEngine>, std::string> ClamService::reload_locked(
    std::string fp) {
  seen_ = std::move(fp);
  auto engine = ClamEngine::load(config_);
  std::lock_guard lk(status_mu_);
  status_.last_reload = std::chrono::system_clock::now();
  if (!engine) {
    ++status_.failed_reloads;
    status_.last_error = engine.error();
    return postern::unexpected(engine.error());
  }
  ++status_.reloads;
  status_.last_error.clear();
  status_.last_load_time = (*engine)->load_time();
  status_.signatures = (*engine)->signatures();
  auto old = current_.exchange(*engine);
  {
    std::lock_guard rl(retired_mu_);
    retired_.push_back(std::move(old));
  }
  {
    std::lock_guard wl(wake_mu_);
    reap_requested_ = true;
  }
  wake_cv_.notify_all();
  return *engine;
}

postern::expected<std::shared_ptr<const ClamEngine>, std::string> ClamService::reload_now() {
  std::lock_guard lk(reload_mu_);
  return reload_locked(fingerprint());
}

void ClamService::request_check() {
  {
    std::lock_guard lk(wake_mu_);
    check_requested_ = true;
  }
  wake_cv_.notify_all();
}

ClamServiceStatus ClamService::status() const {
  std::lock_guard lk(status_mu_);
  return status_;
}

// Frees the retired engines that no scan holds any more. An engine out of current_
// cannot be picked up again, so a use count of 1 (ours) is final.
void ClamService::reap() {
  std::vector<std::shared_ptr<const ClamEngine>> done;
  {
    std::lock_guard lk(retired_mu_);
    auto keep = std::partition(retired_.begin(), retired_.end(),
                               [](const auto& e) { return e.use_count() > 1; });
    std::move(keep, retired_.end(), std::back_inserter(done));
    retired_.erase(keep, retired_.end());
  }
  // `done` goes out of scope here, outside the lock: cl_engine_free runs now.
}

void ClamService::run() {
  using Clock = std::chrono::steady_clock;
  constexpr milliseconds kReapEvery{100};
  auto next_check = Clock::now() + interval_;
  std::unique_lock lk(wake_mu_);
  while (!stop_) {
    auto woken = [this] { return stop_ || check_requested_ || reap_requested_; };
    bool reaping;
    {
      std::lock_guard rl(retired_mu_);
      reaping = !retired_.empty();
    }
    if (interval_.count() > 0 || reaping) {
      auto until = interval_.count() > 0 ? next_check : Clock::now() + kReapEvery;
      if (reaping) until = std::min(until, Clock::now() + kReapEvery);
      wake_cv_.wait_until(lk, until, woken);
    } else {
      wake_cv_.wait(lk, woken);
    }
    if (stop_) break;
    bool check = check_requested_ || (interval_.count() > 0 && Clock::now() >= next_check);
    check_requested_ = reap_requested_ = false;
    lk.unlock();
    reap();
    if (check) {
      std::lock_guard rl(reload_mu_);
      std::string fp = fingerprint();
      // A failed load is not retried until the files change again.
      if (fp != seen_) (void)reload_locked(std::move(fp));
      next_check = Clock::now() + interval_;
    }
    lk.lock();
  }
}

}  // namespace postern::attach
