// The external sandbox: analyzer, verdict cache, held-message records and the
// release pass (see sandbox.hpp).
#include "attach/sandbox.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <set>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "core/digest.hpp"
#include "core/state_file.hpp"
#include "core/subprocess.hpp"
#include "policy/config.hpp"
#include "policy/toml_reader.hpp"
#include "telemetry/log.hpp"

namespace postern::attach {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::system_clock;

constexpr size_t kMaxRecordBytes = 1 << 20;
constexpr size_t kMaxRecordFiles = 100;
constexpr size_t kMaxThreatBytes = 200;
constexpr std::chrono::minutes kStrayAge{
    10};  // unreferenced files and temporaries older than this go
constexpr int kCommandSeconds = 60;
// A record this young is left alone: the MTA may still be moving its message to the
// hold queue after postern's reply (a release before that would find nothing).
constexpr std::chrono::seconds kSettle{10};

bool sha_hex(std::string_view s) {
  return s.size() == 64 && std::all_of(s.begin(), s.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
         });
}

// A threat name as one printable line.
std::string clean_line(std::string_view s) {
  std::string out;
  for (char c : s.substr(0, kMaxThreatBytes)) {
    unsigned char u = static_cast<unsigned char>(c);
    out.push_back(u < 0x20 || u == 0x7f ? ' ' : c);
  }
  return out;
}

int64_t unix_seconds(Clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
}

std::optional<HoldEnd> parse_end(std::string_view s) {
  if (s == "release") return HoldEnd::Release;
  if (s == "delete") return HoldEnd::Delete;
  if (s == "hold") return HoldEnd::Hold;
  return std::nullopt;
}

// The directory `d` (and its parent folders), owned like the state directory's parent
// when root makes it.
std::optional<std::string> make_dir(const std::string& d) {
  std::error_code ec;
  fs::create_directories(d, ec);
  if (ec) return fmt::format("cannot create {}: {}", d, ec.message());
  int fd = ::open(d.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return fmt::format("cannot open {}: {}", d, std::strerror(errno));
  core::adopt_directory_owner(fd, d);
  ::close(fd);
  return std::nullopt;
}

}  // namespace

std::string_view to_string(SandboxVerdict::Kind k) {
  switch (k) {
    case SandboxVerdict::Kind::Clean:
      return "clean";
    case SandboxVerdict::Kind::Malicious:
      return "malicious";
    case SandboxVerdict::Kind::TooLarge:
      return "too-large";
    case SandboxVerdict::Kind::Unanswered:
      break;
  }
  return "unanswered";
}

std::string_view to_string(HoldEnd e) {
  switch (e) {
    case HoldEnd::Release:
      return "release";
    case HoldEnd::Delete:
      return "delete";
    case HoldEnd::Hold:
      break;
  }
  return "hold";
}

bool valid_queue_id(std::string_view id) {
  return !id.empty() && id.size() <= 64 && std::all_of(id.begin(), id.end(), [](char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
  });
}

std::string IcapAnalyzer::describe() const {
  return fmt::format("ICAP at {}:{}/{}", config_.host, config_.port, config_.service);
}

SandboxVerdict IcapAnalyzer::analyze(std::string_view data, std::string_view name,
                                     std::chrono::milliseconds deadline) const {
  IcapConfig c = config_;
  c.deadline = std::min(c.deadline, deadline);
  c.io_timeout = std::min(c.io_timeout, c.deadline);
  c.connect_timeout = std::min(c.connect_timeout, c.deadline);
  IcapResult r = icap_scan(c, data, name);
  switch (r.status) {
    case IcapResult::Status::Clean:
      return {SandboxVerdict::Kind::Clean, {}};
    case IcapResult::Status::Infected:
      return {SandboxVerdict::Kind::Malicious, clean_line(r.threat.empty() ? "unnamed" : r.threat)};
    case IcapResult::Status::TooLarge:
      return {SandboxVerdict::Kind::TooLarge, {}};
    case IcapResult::Status::Error:
      break;
  }
  return {SandboxVerdict::Kind::Unanswered, r.error};
}

void read_sandbox_config(policy::TomlSection& s, policy::Config& c, const std::string& dir) {
  SandboxSettings st;
  if (auto v = s.string("url")) {
    if (auto ic = parse_icap_url(*v, st.icap)) {
      st.url = *v;
      st.icap = *ic;
    } else {
      s.error(*s.node("url"), fmt::format("'url': {}", ic.error()));
    }
  } else {
    s.error_here("[sandbox] needs 'url' (icap://host:port/service)");
  }
  if (auto v = s.string("state_dir")) st.state_dir = policy::resolve_path(dir, *v);
  if (auto v = s.integer("inline_wait", 0, 120)) st.inline_wait = std::chrono::seconds(*v);
  if (auto v = s.integer("deadline", 1, 86400)) st.deadline = std::chrono::seconds(*v);
  if (auto v = s.integer("interval", 1, 3600)) st.interval = std::chrono::seconds(*v);
  if (auto v = s.integer("hold_timeout", 1, 30 * 86400)) st.hold_timeout = std::chrono::seconds(*v);
  if (auto v = s.integer("clean_ttl", 0, 365 * 86400)) st.clean_ttl = std::chrono::seconds(*v);
  if (auto v = s.integer("malicious_ttl", 0, 365 * 86400))
    st.malicious_ttl = std::chrono::seconds(*v);
  if (auto v = s.integer("max_size", 1, int64_t{1} << 30)) st.icap.max_bytes = size_t(*v);
  auto end = [&](std::string_view key, HoldEnd& out, bool release_ok) {
    if (auto v = s.string(key)) {
      auto e = parse_end(*v);
      if (!e || (!release_ok && *e == HoldEnd::Release))
        s.error(*s.node(key), fmt::format("'{}': expected {}", key,
                                          release_ok ? "\"release\", \"delete\" or \"hold\""
                                                     : "\"delete\" or \"hold\""));
      else
        out = *e;
    }
  };
  end("on_timeout", st.on_timeout, true);
  end("on_malicious", st.on_malicious, false);
  auto command = [&](std::string_view key, std::vector<std::string>& out) {
    if (auto v = s.strings(key)) {
      const bool has_id = std::find(v->begin(), v->end(), "{id}") != v->end();
      if (v->empty() || !has_id || (*v)[0].empty() || (*v)[0][0] != '/')
        s.error(*s.node(key),
                fmt::format("'{}': expected an absolute program and its arguments, one of them "
                            "\"{{id}}\" (the queue id)",
                            key));
      else
        out = *v;
    }
  };
  command("release_command", st.release_command);
  command("delete_command", st.delete_command);
  s.finish();
  c.set_section("sandbox", std::move(st));
}

postern::expected<std::shared_ptr<Sandbox>, std::string> Sandbox::make(
    SandboxSettings s, std::shared_ptr<const Analyzer> analyzer) {
  if (!analyzer) analyzer = std::make_shared<IcapAnalyzer>(s.icap);
  for (std::string_view folder : {"", "verdicts", "files", "pending"}) {
    std::string d = folder.empty() ? s.state_dir : s.state_dir + "/" + std::string(folder);
    if (auto e = make_dir(d)) return postern::unexpected("[sandbox] " + *e);
  }
  return std::shared_ptr<Sandbox>(new Sandbox(std::move(s), std::move(analyzer)));
}

std::string Sandbox::path(std::string_view folder, std::string_view name) const {
  return fmt::format("{}/{}/{}", settings_.state_dir, folder, name);
}

std::optional<SandboxVerdict> Sandbox::cached(std::string_view sha256,
                                              Clock::time_point now) const {
  if (!sha_hex(sha256)) return std::nullopt;
  auto text = core::read_file(path("verdicts", sha256), 4096);
  if (!text) return std::nullopt;
  // "clean T" or "malicious T THREAT"
  std::string_view line(*text);
  if (size_t nl = line.find('\n'); nl != std::string_view::npos) line = line.substr(0, nl);
  size_t sp = line.find(' ');
  if (sp == std::string_view::npos) return std::nullopt;
  std::string_view kind = line.substr(0, sp), rest = line.substr(sp + 1);
  size_t sp2 = rest.find(' ');
  std::string_view when = rest.substr(0, sp2);
  int64_t t = 0;
  for (char c : when) {
    if (c < '0' || c > '9' || t > (int64_t{1} << 40)) return std::nullopt;
    t = t * 10 + (c - '0');
  }
  SandboxVerdict v;
  v.cached = true;
  std::chrono::seconds ttl{};
  if (kind == "clean") {
    v.kind = SandboxVerdict::Kind::Clean;
    ttl = settings_.clean_ttl;
  } else if (kind == "malicious") {
    v.kind = SandboxVerdict::Kind::Malicious;
    v.detail = sp2 == std::string_view::npos ? "unnamed" : std::string(rest.substr(sp2 + 1));
    ttl = settings_.malicious_ttl;
  } else {
    return std::nullopt;
  }
  const int64_t age = unix_seconds(now) - t;
  if (age < 0 || age >= ttl.count()) return std::nullopt;
  return v;
}

std::optional<std::string> Sandbox::remember(std::string_view sha256, const SandboxVerdict& v,
                                             Clock::time_point now) const {
  if (!sha_hex(sha256)) return "not a SHA-256";
  std::string line;
  if (v.kind == SandboxVerdict::Kind::Clean)
    line = fmt::format("clean {}\n", unix_seconds(now));
  else if (v.kind == SandboxVerdict::Kind::Malicious)
    line = fmt::format("malicious {} {}\n", unix_seconds(now), clean_line(v.detail));
  else
    return std::nullopt;  // only answers are cached
  return core::write_durably(path("verdicts", sha256), line);
}

SandboxVerdict Sandbox::verdict(std::string_view sha256, std::string_view data,
                                std::string_view name) const {
  const auto now = Clock::now();
  if (auto v = cached(sha256, now)) return *v;
  if (data.size() > settings_.icap.max_bytes) return {SandboxVerdict::Kind::TooLarge, {}};
  if (settings_.inline_wait.count() == 0)
    return {SandboxVerdict::Kind::Unanswered, "inline_wait = 0: asked by the release worker"};
  SandboxVerdict v = analyzer_->analyze(data, name, settings_.inline_wait);
  if (auto e = remember(sha256, v, now)) telemetry::log_warn("sandbox: verdict cache: {}", *e);
  return v;
}

std::optional<std::string> Sandbox::hold(const PendingRecord& record,
                                         const std::vector<HeldFile>& files) const {
  if (!valid_queue_id(record.queue_id))
    return fmt::format("no usable queue id ('{}'): the message could not be released later",
                       clean_line(record.queue_id.substr(0, 64)));
  nlohmann::json j = {{"queue_id", record.queue_id},
                      {"scan_id", record.scan_id},
                      {"held_at", record.held_at},
                      {"files", nlohmann::json::array()}};
  for (const auto& f : files) {
    if (!sha_hex(f.file.sha256) || !f.data) return "a file without its SHA-256 or bytes";
    const std::string p = path("files", f.file.sha256);
    // An existing copy is refreshed, so the pass's sweep of old files spares it.
    if (::utimensat(AT_FDCWD, p.c_str(), nullptr, 0) != 0)
      if (auto e = core::write_durably(p, *f.data)) return e;
    j["files"].push_back({{"sha256", f.file.sha256}, {"name", f.file.name}});
  }
  return core::write_durably(path("pending", record.queue_id), j.dump() + "\n");
}

std::vector<PendingRecord> Sandbox::pending() const {
  std::vector<PendingRecord> out;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(settings_.state_dir + "/pending", ec)) {
    const std::string name = e.path().filename().string();
    if (!valid_queue_id(name)) continue;
    auto text = core::read_file(e.path().string(), kMaxRecordBytes);
    if (!text) continue;
    auto j = nlohmann::json::parse(*text, nullptr, false);
    if (!j.is_object() || !j.contains("files") || !j["files"].is_array()) continue;
    PendingRecord r;
    r.queue_id = name;
    r.scan_id = j.value("scan_id", "");
    r.held_at = j.value("held_at", int64_t{0});
    for (const auto& f : j["files"]) {
      if (r.files.size() >= kMaxRecordFiles || !f.is_object()) break;
      std::string sha = f.value("sha256", "");
      if (sha_hex(sha)) r.files.push_back({std::move(sha), f.value("name", "")});
    }
    out.push_back(std::move(r));
  }
  std::sort(out.begin(), out.end(),
            [](const PendingRecord& a, const PendingRecord& b) { return a.held_at < b.held_at; });
  return out;
}

bool Sandbox::run(const std::vector<std::string>& command, const std::string& id,
                  std::string& error) const {
  std::vector<std::string> argv;
  for (const auto& a : command) argv.push_back(a == "{id}" ? id : a);
  const auto r = core::run_subprocess(
      argv, {}, {.wall = std::chrono::seconds(kCommandSeconds), .max_output = 1 << 20});
  if (r.ok()) return true;
  if (!r.started) {
    error = r.error;
    return false;
  }
  if (r.timed_out) {
    error = fmt::format("{} {}: no answer within {} s", argv[0], id, kCommandSeconds);
    return false;
  }
  std::string said = r.output.substr(0, 2000);
  while (!said.empty() && (said.back() == '\n' || said.back() == ' ')) said.pop_back();
  error = fmt::format("{} {}: {} ({})", argv[0], id,
                      r.exited ? fmt::format("exit {}", r.exit_code) : std::string("killed"),
                      clean_line(said));
  return false;
}

PassReport Sandbox::release_pass(Clock::time_point now) const {
  PassReport rep;
  const std::string lock = settings_.state_dir + "/lock";
  int lfd = ::open(lock.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (lfd < 0) {
    rep.errors.push_back(fmt::format("cannot open {}: {}", lock, std::strerror(errno)));
    return rep;
  }
  core::adopt_directory_owner(lfd, lock);
  while (::flock(lfd, LOCK_EX) != 0 && errno == EINTR) {
  }
  std::set<std::string> referenced;
  for (const PendingRecord& r : pending()) {
    if (now - Clock::time_point(std::chrono::seconds(r.held_at)) < kSettle) {
      ++rep.waiting;
      for (const auto& f : r.files) referenced.insert(f.sha256);
      continue;
    }
    bool malicious = false, unanswered = false;
    std::string threat;
    for (const auto& f : r.files) {
      auto v = cached(f.sha256, now);
      if (!v) {
        auto bytes = core::read_file(path("files", f.sha256), settings_.icap.max_bytes);
        if (!bytes) {
          v = SandboxVerdict{SandboxVerdict::Kind::Unanswered, "its copy is missing"};
        } else {
          v = analyzer_->analyze(*bytes, f.name, settings_.deadline);
          if (auto e = remember(f.sha256, *v, now)) rep.errors.push_back("verdict cache: " + *e);
        }
      }
      if (v->kind == SandboxVerdict::Kind::Malicious) {
        malicious = true;
        if (threat.empty()) threat = fmt::format("{}: {}", f.name, v->detail);
      } else if (v->kind != SandboxVerdict::Kind::Clean) {
        unanswered = true;
      }
    }
    PassReport::Done d{r.queue_id, HoldEnd::Hold, {}};
    if (malicious) {
      d.end = settings_.on_malicious;
      d.why = "malicious: " + threat;
    } else if (!unanswered) {
      d.end = HoldEnd::Release;
      d.why = "clean";
    } else if (now - Clock::time_point(std::chrono::seconds(r.held_at)) >= settings_.hold_timeout) {
      d.end = settings_.on_timeout;
      d.why = "no verdict before the hold timeout";
    } else {
      ++rep.waiting;
      for (const auto& f : r.files) referenced.insert(f.sha256);
      continue;
    }
    std::string error;
    const std::vector<std::string>* cmd = d.end == HoldEnd::Release  ? &settings_.release_command
                                          : d.end == HoldEnd::Delete ? &settings_.delete_command
                                                                     : nullptr;
    if (cmd && !run(*cmd, r.queue_id, error)) {
      rep.errors.push_back(error);
      telemetry::log_warn("sandbox: {} (scan {}): {} failed, retried at the next pass: {}",
                          r.queue_id, r.scan_id, to_string(d.end), error);
      for (const auto& f : r.files) referenced.insert(f.sha256);
      continue;
    }
    ::unlink(path("pending", r.queue_id).c_str());
    telemetry::log_info("sandbox: {} (scan {}): {}: {}", r.queue_id, r.scan_id, to_string(d.end),
                        d.why);
    rep.done.push_back(std::move(d));
  }
  // Copies no record needs, and temporaries a crash left, once they are old.
  std::error_code ec;
  for (std::string_view folder : {"files", "pending", "verdicts"})
    for (const auto& e :
         fs::directory_iterator(settings_.state_dir + "/" + std::string(folder), ec)) {
      const std::string name = e.path().filename().string();
      const bool temp = name.find(".tmp.") != std::string::npos;
      struct stat st {};
      if (::lstat(e.path().c_str(), &st) != 0) continue;
      const auto age = now - Clock::from_time_t(st.st_mtime);
      if (temp || (folder == "files" && !referenced.count(name)))
        if (age >= kStrayAge) ::unlink(e.path().c_str());
      // Verdicts past both TTLs answer nothing any more.
      if (!temp && folder == "verdicts" &&
          age >= std::max(settings_.clean_ttl, settings_.malicious_ttl) + kStrayAge)
        ::unlink(e.path().c_str());
    }
  ::close(lfd);
  return rep;
}

core::ServiceEntry sandbox_service() {
  return {
      .name = "attach.sandbox",
      .make = [](const policy::Config& c, const policy::Policy&,
                 std::string& error) -> std::shared_ptr<void> {
        if (!c.has_section("sandbox")) return nullptr;
        auto sb = Sandbox::make(c.section<SandboxSettings>("sandbox"));
        if (!sb) {
          error = sb.error();
          return nullptr;
        }
        return *sb;
      },
      .changed =
          [](const void* current, const policy::Config&, const policy::Config& c,
             const policy::Policy&) {
            auto* sb = static_cast<const Sandbox*>(current);
            if (!c.has_section("sandbox")) return sb != nullptr;
            return !sb || !(sb->settings() == c.section<SandboxSettings>("sandbox"));
          },
  };
}

}  // namespace postern::attach
