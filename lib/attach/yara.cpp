// YARA rules: the libyara wrapper, compilation of a directory, scans (see yara.hpp).
#include "attach/yara.hpp"

#include <fmt/format.h>
#include <yara.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <mutex>
#include <optional>
#include <semaphore>

namespace postern::attach {
namespace {

using core::Scope;
constexpr std::array kSymbols{
    // Graded: each rule sets its own score (meta score); this is the score of a
    // rule that sets none: the admin wrote or installed it to catch something bad.
    core::SymbolInfo{"ATTACH_YARA", 5.0, Scope::Transaction,
                     "an attachment matches a YARA rule (the rule's meta score, else 5)", true},
    core::SymbolInfo{"ATTACH_YARA_TIMEOUT", 0.0, Scope::Transaction,
                     "the YARA scan of an attachment timed out: it was not fully checked"},
    core::SymbolInfo{"ATTACH_YARA_ERROR", 0.0, Scope::Transaction,
                     "the YARA scan of an attachment failed (libyara error)"},
    core::SymbolInfo{"ATTACH_YARA_LIMIT", 1.0, Scope::Transaction,
                     "an attachment was larger than the YARA scan reads: only its start was "
                     "scanned"},
};

// libyara is initialised once per process while any rule set lives.
std::mutex g_lib_mu;
int g_lib_refs = 0;

struct LibRef {
  int rc = ERROR_SUCCESS;
  LibRef() {
    std::lock_guard lk(g_lib_mu);
    if (g_lib_refs == 0) rc = yr_initialize();
    if (rc == ERROR_SUCCESS) ++g_lib_refs;
  }
  ~LibRef() {
    if (rc != ERROR_SUCCESS) return;
    std::lock_guard lk(g_lib_mu);
    if (--g_lib_refs == 0) yr_finalize();
  }
  LibRef(const LibRef&) = delete;
  LibRef& operator=(const LibRef&) = delete;
};

struct CompilerDel {
  void operator()(YR_COMPILER* c) const { yr_compiler_destroy(c); }
};
struct RulesDel {
  void operator()(YR_RULES* r) const { yr_rules_destroy(r); }
};
struct ScannerDel {
  void operator()(YR_SCANNER* s) const { yr_scanner_destroy(s); }
};
struct FileDel {
  void operator()(FILE* f) const { fclose(f); }
};
using CompilerPtr = std::unique_ptr<YR_COMPILER, CompilerDel>;

int64_t mtime_ns(const std::filesystem::file_time_type& t) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
}

// The rule files of `dir`, sorted by path; an error when it cannot be read.
expected<std::vector<RuleFile>, YaraError> list_rule_files(const std::filesystem::path& dir,
                                                           const YaraLimits& lim) {
  std::vector<RuleFile> out;
  std::error_code ec;
  std::filesystem::directory_iterator it(dir, ec), end;
  if (ec)
    return unexpected(YaraError{dir.string(), 0, "cannot read the directory: " + ec.message()});
  for (; it != end; it.increment(ec)) {
    if (ec)
      return unexpected(YaraError{dir.string(), 0, "cannot read the directory: " + ec.message()});
    const auto& p = it->path();
    const auto ext = p.extension();
    if (ext != ".yar" && ext != ".yara") continue;
    std::error_code e2;
    if (!it->is_regular_file(e2)) continue;
    RuleFile f;
    f.path = p.string();
    f.size = it->file_size(e2);
    f.mtime_ns = mtime_ns(it->last_write_time(e2));
    if (e2) return unexpected(YaraError{f.path, 0, "cannot stat: " + e2.message()});
    out.push_back(std::move(f));
    if (out.size() > lim.max_files)
      return unexpected(
          YaraError{dir.string(), 0, fmt::format("more than {} rule files", lim.max_files)});
  }
  std::sort(out.begin(), out.end(),
            [](const RuleFile& a, const RuleFile& b) { return a.path < b.path; });
  return out;
}

void on_compile_message(int level, const char* file, int line, const YR_RULE*, const char* msg,
                        void* user) {
  if (level != YARA_ERROR_LEVEL_ERROR) return;  // warnings (slow rules) do not refuse a set
  static_cast<std::vector<YaraError>*>(user)->push_back(
      YaraError{file ? file : "", line, msg ? msg : "error"});
}

// Adds `f` to `c`; the errors go to `errors` (through the compiler's callback).
bool add_file(YR_COMPILER* c, const RuleFile& f, std::vector<YaraError>& errors) {
  std::unique_ptr<FILE, FileDel> fp(fopen(f.path.c_str(), "r"));
  if (!fp) {
    errors.push_back({f.path, 0, "cannot open"});
    return false;
  }
  const std::string ns = std::filesystem::path(f.path).filename().string();
  return yr_compiler_add_file(c, fp.get(), ns.c_str(), f.path.c_str()) == 0;
}

// A meta score: an integer, or a string holding a (decimal) number.
std::optional<double> meta_score(const YR_META* m) {
  if (m->type == META_TYPE_INTEGER) return static_cast<double>(m->integer);
  if (m->type != META_TYPE_STRING || !m->string) return std::nullopt;
  std::string_view s(m->string);
  double v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size() || !std::isfinite(v)) return std::nullopt;
  return v;
}

struct ScanState {
  std::vector<Hit>* hits;
  size_t max_matches;
  size_t matched = 0;
};

int on_scan_message(YR_SCAN_CONTEXT*, int message, void* data, void* user) {
  if (message != CALLBACK_MSG_RULE_MATCHING) return CALLBACK_CONTINUE;
  auto* st = static_cast<ScanState*>(user);
  if (st->matched++ >= st->max_matches) return CALLBACK_CONTINUE;
  const auto* rule = static_cast<const YR_RULE*>(data);
  Hit h{"ATTACH_YARA", fmt::format("{}:{}", rule->ns ? rule->ns->name : "", rule->identifier)};
  const YR_META* m = nullptr;
  yr_rule_metas_foreach(rule, m) {
    const std::string_view id(m->identifier);
    if (id == "score") {
      if (auto v = meta_score(m)) h.score = *v;
    } else if (id == "description" && m->type == META_TYPE_STRING && m->string) {
      h.detail += fmt::format(" ({})", std::string_view(m->string).substr(0, 150));
    }
  }
  if (h.detail.size() > 200) h.detail.resize(200);
  st->hits->push_back(std::move(h));
  return CALLBACK_CONTINUE;
}

}  // namespace

struct YaraRules::Impl {
  LibRef lib;  // first: outlives the rules
  std::unique_ptr<YR_RULES, RulesDel> rules;
  // libyara 4.2: at most YR_MAX_THREADS scans of one YR_RULES at once.
  mutable std::counting_semaphore<YR_MAX_THREADS> slots{YR_MAX_THREADS};
};

std::string YaraError::to_string() const {
  if (file.empty()) return message;
  return line > 0 ? fmt::format("{}:{}: {}", file, line, message)
                  : fmt::format("{}: {}", file, message);
}

expected<std::shared_ptr<const YaraRules>, std::vector<YaraError>> YaraRules::compile_dir(
    const std::filesystem::path& dir, const YaraLimits& limits) {
  auto files = list_rule_files(dir, limits);
  if (!files) return unexpected(std::vector<YaraError>{files.error()});
  if (files->empty())
    return unexpected(std::vector<YaraError>{{dir.string(), 0, "no rule files (*.yar, *.yara)"}});
  std::vector<YaraError> errors;
  for (const auto& f : *files)
    if (f.size > limits.max_file_bytes)
      errors.push_back(
          {f.path, 0, fmt::format("{} bytes: larger than {}", f.size, limits.max_file_bytes)});
  if (!errors.empty()) return unexpected(std::move(errors));

  auto impl = std::make_unique<Impl>();
  if (impl->lib.rc != ERROR_SUCCESS)
    return unexpected(std::vector<YaraError>{{"", 0, "yr_initialize failed"}});
  auto make_compiler = [&]() -> CompilerPtr {
    YR_COMPILER* c = nullptr;
    if (yr_compiler_create(&c) != ERROR_SUCCESS) return nullptr;
    yr_compiler_set_callback(c, on_compile_message, &errors);
    return CompilerPtr(c);
  };
  auto compiler = make_compiler();
  if (!compiler) return unexpected(std::vector<YaraError>{{"", 0, "yr_compiler_create failed"}});
  bool ok = true;
  for (const auto& f : *files) {
    if (ok) {
      ok = add_file(compiler.get(), f, errors);
    } else {
      // The compiler is unusable after an error: check the rest alone, to report
      // every broken file at once.
      if (auto alone = make_compiler()) add_file(alone.get(), f, errors);
    }
  }
  if (!ok || !errors.empty()) return unexpected(std::move(errors));
  YR_RULES* rules = nullptr;
  if (yr_compiler_get_rules(compiler.get(), &rules) != ERROR_SUCCESS)
    return unexpected(std::vector<YaraError>{{"", 0, "yr_compiler_get_rules failed"}});
  impl->rules.reset(rules);

  std::shared_ptr<YaraRules> out(new YaraRules());
  out->dir_ = dir;
  out->limits_ = limits;
  out->files_ = std::move(*files);
  const YR_RULE* r = nullptr;
  yr_rules_foreach(rules, r) {
    ++out->rule_count_;
  }
  out->impl_ = std::move(impl);
  return std::shared_ptr<const YaraRules>(std::move(out));
}

YaraRules::~YaraRules() = default;

bool YaraRules::changed() const {
  auto now = list_rule_files(dir_, limits_);
  return !now || *now != files_;
}

std::vector<Hit> YaraRules::scan(std::string_view data, int timeout_s) const {
  std::vector<Hit> hits;
  if (timeout_s < 1) timeout_s = 1;
  if (!impl_->slots.try_acquire_for(std::chrono::seconds(timeout_s))) {
    hits.push_back(
        {"ATTACH_YARA_TIMEOUT", fmt::format("no free YARA scanner in {} s ({} scans running)",
                                            timeout_s, YR_MAX_THREADS)});
    return hits;
  }
  struct Release {
    std::counting_semaphore<YR_MAX_THREADS>& s;
    ~Release() { s.release(); }
  } release{impl_->slots};

  YR_SCANNER* raw = nullptr;
  if (int rc = yr_scanner_create(impl_->rules.get(), &raw); rc != ERROR_SUCCESS) {
    hits.push_back({"ATTACH_YARA_ERROR", fmt::format("yr_scanner_create: error {}", rc)});
    return hits;
  }
  std::unique_ptr<YR_SCANNER, ScannerDel> scanner(raw);
  if (data.size() > limits_.max_scan_bytes) {
    hits.push_back({"ATTACH_YARA_LIMIT", fmt::format("{} bytes: only the first {} were scanned",
                                                     data.size(), limits_.max_scan_bytes)});
    data = data.substr(0, limits_.max_scan_bytes);
  }
  ScanState st{&hits, limits_.max_matches};
  yr_scanner_set_callback(scanner.get(), on_scan_message, &st);
  yr_scanner_set_timeout(scanner.get(), timeout_s);
  yr_scanner_set_flags(scanner.get(), SCAN_FLAGS_FAST_MODE);
  const int rc = yr_scanner_scan_mem(scanner.get(), reinterpret_cast<const uint8_t*>(data.data()),
                                     data.size());
  if (rc == ERROR_SCAN_TIMEOUT) {
    hits.push_back({"ATTACH_YARA_TIMEOUT",
                    fmt::format("the scan of {} bytes passed {} s", data.size(), timeout_s)});
  } else if (rc != ERROR_SUCCESS) {
    hits.push_back({"ATTACH_YARA_ERROR", fmt::format("libyara error {}", rc)});
  }
  if (st.matched > limits_.max_matches)
    hits.push_back(
        {"ATTACH_YARA",
         fmt::format("{} more rules matched (not listed)", st.matched - limits_.max_matches),
         0.0});  // the listed ones carry the score
  return hits;
}

std::span<const core::SymbolInfo> yara_symbols() {
  return kSymbols;
}

}  // namespace postern::attach
