// `postern quarantine` (see quarantine_command.hpp).
#include "tools/quarantine_command.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <pwd.h>
#include <sys/wait.h>
#include <syslog.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <memory>
#include <nlohmann/json.hpp>

#include "core/message.hpp"
#include "core/state_file.hpp"
#include "mime/analysis.hpp"
#include "policy/config.hpp"
#include "quarantine/config.hpp"
#include "quarantine/release.hpp"
#include "quarantine/store.hpp"
#include "scan/registry.hpp"
#include "state/config.hpp"
#include "state/store.hpp"
#include "telemetry/event_log.hpp"

namespace postern::tools {
namespace {

using quarantine::Entry;

constexpr size_t kMaxShownText = 64 * 1024;

struct Options {
  std::string config = policy::kDefaultConfigPath;
  std::string since, until, rcpt, from, symbol;
  size_t limit = 100;
  bool json = false;
  std::string id, actor;
  std::vector<std::string> to;
};

std::string iso(int64_t t) {
  std::time_t tt = static_cast<std::time_t>(t);
  std::tm tm{};
  ::gmtime_r(&tt, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

// Text a message wrote, safe to print: controls (C0 but tab and newline, DEL, the
// C1 range in UTF-8) become '?'.
std::string printable(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c == 0xC2 && i + 1 < s.size() && static_cast<unsigned char>(s[i + 1]) >= 0x80 &&
        static_cast<unsigned char>(s[i + 1]) <= 0x9F) {
      out.push_back('?');
      ++i;
    } else if ((c < 0x20 && c != '\n' && c != '\t') || c == 0x7F) {
      out.push_back('?');
    } else {
      out.push_back(static_cast<char>(c));
    }
  }
  return out;
}

std::string who(const Options& o) {
  if (!o.actor.empty()) return o.actor;
  const passwd* pw = ::getpwuid(::getuid());
  std::string name = pw ? pw->pw_name : fmt::format("uid {}", ::getuid());
  if (const char* sudo = std::getenv("SUDO_USER"); sudo && *sudo)
    name += fmt::format(" (sudo by {})", sudo);
  return name;
}

struct Opened {
  policy::Config config;
  std::shared_ptr<state::Store> state;
  std::unique_ptr<quarantine::Store> store;
};

postern::expected<Opened, std::string> open(const Options& o) {
  auto cfg = scan::load_config(o.config);
  if (!cfg) {
    std::string all;
    for (const auto& e : cfg.error()) all += (all.empty() ? "" : "\n") + e.to_string();
    return postern::unexpected(all);
  }
  auto st = state::open_store(*cfg);
  if (!st) return postern::unexpected(st.error());
  if (!*st)
    return postern::unexpected(fmt::format(
        "{}: no state store ([state] path or url): postern keeps no quarantine", cfg->path));
  Opened op{std::move(*cfg), *st, nullptr};
  op.store =
      std::make_unique<quarantine::Store>(quarantine::quarantine_config(op.config).dir, op.state);
  return op;
}

// The audit line of a release or delete: syslog (mail) and the event log.
void audit(const Opened& op, const std::string& action, const Entry& e, const std::string& actor,
           const std::vector<std::string>& to) {
  nlohmann::json j = {{"@timestamp", iso(state::now_seconds())},
                      {"event",
                       {{"kind", "event"},
                        {"category", nlohmann::json::array({"email"})},
                        {"action", "quarantine-" + action},
                        {"outcome", "success"}}},
                      {"user", {{"name", actor}}},
                      {"postern",
                       {{"quarantine",
                         {{"id", e.id},
                          {"sha256", e.sha256},
                          {"sender", e.sender},
                          {"recipients", e.recipients},
                          {"subject", e.subject}}}}}};
  if (!to.empty()) j["postern"]["quarantine"]["released_to"] = to;
  const std::string line = j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  ::openlog("postern", LOG_PID, LOG_MAIL);
  ::syslog(LOG_NOTICE, "%s", line.c_str());
  ::closelog();
  const std::string& log = op.config.event_log;
  if (!log.empty() && log != "-") {
    telemetry::EventLog el;
    if (el.open(log))
      el.write(line);
    else
      fmt::print(stderr, "warning: cannot open the event log {}\n", log);
  }
}

postern::expected<Entry, int> find(const Opened& op, const std::string& id) {
  auto e = op.store->get(id);
  if (!e) {
    fmt::print(stderr, "{}\n", e.error());
    return postern::unexpected(1);
  }
  if (!*e) {
    fmt::print(stderr, "no quarantined message {}\n", id);
    return postern::unexpected(2);
  }
  return **e;
}

int run_list(const Opened& op, const Options& o) {
  const int64_t now = state::now_seconds();
  quarantine::Filter f;
  for (auto [text, slot] : {std::pair{&o.since, &f.since}, {&o.until, &f.until}}) {
    if (text->empty()) continue;
    auto t = parse_time(*text, now);
    if (!t) {
      fmt::print(stderr, "not a time: '{}' (Unix seconds, YYYY-MM-DD[THH:MM[:SS]], 24h, 7d)\n",
                 *text);
      return 1;
    }
    *slot = *t;
  }
  f.rcpt = o.rcpt;
  f.from = o.from;
  f.symbol = o.symbol;
  f.limit = o.limit;
  auto list = op.store->list(f);
  if (!list) {
    fmt::print(stderr, "{}\n", list.error());
    return 1;
  }
  for (const auto& e : *list) {
    if (o.json) {
      fmt::print("{}\n", quarantine::to_json(e));
      continue;
    }
    fmt::print("{}  {}  {:<8} {:>6.2f}  {} -> {}{}  {}{}\n", e.id, iso(e.time), e.direction,
               e.score, printable(e.sender.empty() ? "<>" : e.sender),
               printable(e.recipients.empty() ? "" : e.recipients.front()),
               e.recipient_count > 1 ? fmt::format(" (+{})", e.recipient_count - 1) : "",
               printable(e.subject), e.released_at ? "  [released]" : "");
  }
  if (!o.json) fmt::print("{} message(s)\n", list->size());
  return 0;
}

int run_show(const Opened& op, const Options& o) {
  auto e = find(op, o.id);
  if (!e) return e.error();
  fmt::print("id:         {}\n", e->id);
  fmt::print("time:       {}\n", iso(e->time));
  fmt::print("direction:  {}\n", e->direction);
  fmt::print("group:      {} (kept until {})\n", printable(e->group), iso(e->expires));
  fmt::print("sender:     {}\n", printable(e->sender.empty() ? "<>" : e->sender));
  fmt::print("recipients: {}{}\n", printable(fmt::format("{}", fmt::join(e->recipients, ", "))),
             e->recipient_count > e->recipients.size()
                 ? fmt::format(" and {} more", e->recipient_count - e->recipients.size())
                 : "");
  fmt::print("score:      {:.2f}\n", e->score);
  fmt::print("reason:     {}\n", printable(e->reason));
  fmt::print("findings:   {}\n", fmt::join(e->symbols, " "));
  fmt::print("message:    {} bytes, sha256 {}\n", e->size, e->sha256);
  if (e->released_at)
    fmt::print("released:   {} by {} to {}\n", iso(e->released_at), printable(e->released_by),
               printable(fmt::format("{}", fmt::join(e->released_to, ", "))));
  auto raw = op.store->read_message(*e);
  if (!raw) {
    fmt::print(stderr, "{}\n", raw.error());
    return 1;
  }
  core::Message m(*raw);
  fmt::print("\n--- headers\n");
  for (const auto& h : m.headers())
    fmt::print("{}: {}\n", printable(h.name), printable(std::string(core::trim(h.value))));
  fmt::print("\n--- text (visible text of the text parts; HTML is shown as text)\n");
  mime::Analysis a = mime::analyze(*raw);
  size_t shown = 0;
  for (const auto& leaf : a.leaves) {
    if (leaf.text.empty() || !leaf.data.empty()) continue;  // attachments are not shown
    std::string_view t = leaf.text;
    if (shown + t.size() > kMaxShownText) t = t.substr(0, kMaxShownText - shown);
    fmt::print("{}\n", printable(t));
    shown += t.size();
    if (shown >= kMaxShownText) {
      fmt::print("[... cut at {} bytes]\n", kMaxShownText);
      break;
    }
  }
  for (const auto& leaf : a.leaves)
    if (!leaf.data.empty() && leaf.part)
      fmt::print("[attachment: {} {}, {} bytes]\n", printable(leaf.part->filename),
                 printable(leaf.part->content_type), leaf.size);
  return 0;
}

// Runs `argv` with `input` on its standard input; its exit status (-1: not run).
int run_with_input(const std::vector<std::string>& argv, std::string_view input,
                   std::string& error) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) {
    error = std::strerror(errno);
    return -1;
  }
  pid_t pid = ::fork();
  if (pid < 0) {
    error = std::strerror(errno);
    return -1;
  }
  if (pid == 0) {
    ::dup2(fds[0], 0);
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    ::execv(args[0], args.data());
    _exit(127);
  }
  ::close(fds[0]);
  auto old = std::signal(SIGPIPE, SIG_IGN);
  bool ok = core::write_all(fds[1], input);
  int saved = errno;
  ::close(fds[1]);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  std::signal(SIGPIPE, old);
  if (!ok) error = fmt::format("writing to {}: {}", argv[0], std::strerror(saved));
  if (WIFEXITED(status)) return ok ? WEXITSTATUS(status) : -1;
  error = fmt::format("{} ended by signal {}", argv[0], WTERMSIG(status));
  return -1;
}

int run_release(const Opened& op, const Options& o) {
  auto e = find(op, o.id);
  if (!e) return e.error();
  const auto& q = quarantine::quarantine_config(op.config);
  std::vector<std::string> rcpts = o.to.empty() ? e->recipients : o.to;
  if (o.to.empty() && e->recipient_count > e->recipients.size()) {
    fmt::print(stderr, "{} has {} recipients, {} listed: name them with --to\n", e->id,
               e->recipient_count, e->recipients.size());
    return 1;
  }
  if (rcpts.empty()) {
    fmt::print(stderr, "{} has no recipient: name one with --to\n", e->id);
    return 1;
  }
  for (const auto& r : rcpts)
    if (r.empty() || r[0] == '-' || r.find_first_of(" \t\r\n<>") != std::string::npos) {
      fmt::print(stderr, "not a recipient address: '{}'\n", printable(r));
      return 1;
    }
  auto raw = op.store->read_message(*e);
  if (!raw) {
    fmt::print(stderr, "{}\n", raw.error());
    return 1;
  }
  auto key = quarantine::load_or_create_key(q.release_key);
  if (!key) {
    fmt::print(stderr, "release key: {}\n", key.error());
    return 1;
  }
  core::Message m(*raw);
  quarantine::ReleaseClaim claim{e->id, state::now_seconds(), quarantine::body_digest(m.body()),
                                 rcpts};
  // The MTA's local submission reads lines ending in LF.
  std::string input = fmt::format("{}: {}\n", quarantine::kReleaseHeader,
                                  quarantine::release_header_value(*key, claim));
  for (size_t i = 0; i < raw->size(); ++i)
    if (!((*raw)[i] == '\r' && i + 1 < raw->size() && (*raw)[i + 1] == '\n'))
      input.push_back((*raw)[i]);
  std::vector<std::string> argv = q.sendmail;
  argv.insert(argv.end(), {"-f", e->sender, "--"});
  argv.insert(argv.end(), rcpts.begin(), rcpts.end());
  std::string error;
  int rc = run_with_input(argv, input, error);
  if (rc != 0) {
    fmt::print(stderr, "release of {} failed: {}\n", e->id,
               rc < 0 ? error : fmt::format("{} exited with {}", argv[0], rc));
    return 3;
  }
  const std::string actor = who(o);
  Entry marked = *e;
  marked.released_at = claim.time;
  marked.released_by = actor;
  marked.released_to = rcpts;
  if (auto u = op.store->update(marked); !u)
    fmt::print(stderr, "warning: released, but the entry is not marked: {}\n", u.error());
  audit(op, "release", *e, actor, rcpts);
  fmt::print("released {} to {}\n", e->id, fmt::join(rcpts, ", "));
  return 0;
}

int run_delete(const Opened& op, const Options& o) {
  auto e = find(op, o.id);
  if (!e) return e.error();
  auto r = op.store->remove(e->id);
  if (!r) {
    fmt::print(stderr, "{}\n", r.error());
    return 1;
  }
  audit(op, "delete", *e, who(o), {});
  fmt::print("deleted {}\n", e->id);
  return 0;
}

int run_export(const Opened& op, const Options& o) {
  auto e = find(op, o.id);
  if (!e) return e.error();
  auto raw = op.store->read_message(*e);
  if (!raw) {
    fmt::print(stderr, "{}\n", raw.error());
    return 1;
  }
  return std::fwrite(raw->data(), 1, raw->size(), stdout) == raw->size() && std::fflush(stdout) == 0
             ? 0
             : 1;
}

int run_sweep(const Opened& op) {
  auto r = op.store->sweep(state::now_seconds());
  if (!r) {
    fmt::print(stderr, "{}\n", r.error());
    return 1;
  }
  for (const auto& err : r->errors) fmt::print(stderr, "{}\n", err);
  fmt::print("swept {} expired entr{}, {} file(s)\n", r->entries, r->entries == 1 ? "y" : "ies",
             r->files);
  return r->errors.empty() ? 0 : 1;
}

}  // namespace

std::optional<int64_t> parse_time(const std::string& s, int64_t now) {
  if (s.empty()) return std::nullopt;
  if (std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; }) &&
      s.size() <= 12)
    return std::stoll(s);
  if (s.size() >= 2 && s.size() <= 8) {
    char unit = s.back();
    std::string n = s.substr(0, s.size() - 1);
    int64_t mult = unit == 'm' ? 60 : unit == 'h' ? 3600 : unit == 'd' ? 86400 : 0;
    if (mult && std::all_of(n.begin(), n.end(), [](char c) { return c >= '0' && c <= '9'; }))
      return now - std::stoll(n) * mult;
  }
  std::tm tm{};
  const char* end = ::strptime(s.c_str(), "%Y-%m-%d", &tm);
  if (!end) return std::nullopt;
  if (*end == 'T') {
    const char* e2 = ::strptime(end + 1, "%H:%M:%S", &tm);
    if (!e2) e2 = ::strptime(end + 1, "%H:%M", &tm);
    if (!e2) return std::nullopt;
    end = e2;
  }
  if (*end == 'Z') ++end;
  if (*end) return std::nullopt;
  return static_cast<int64_t>(::timegm(&tm));
}

std::function<std::optional<int>()> add_quarantine_command(CLI::App& app) {
  auto o = std::make_shared<Options>();
  auto* q = app.add_subcommand("quarantine", "postern's quarantine store: list, show, release");
  q->require_subcommand(1);
  auto* list = q->add_subcommand("list", "quarantined messages, newest first");
  list->add_option("--since", o->since, "from this time (Unix seconds, YYYY-MM-DD, 24h, 7d)");
  list->add_option("--until", o->until, "up to this time");
  list->add_option("--rcpt", o->rcpt, "with this recipient");
  list->add_option("--from", o->from, "envelope sender or From containing this");
  list->add_option("--symbol", o->symbol, "with this finding symbol");
  list->add_option("--limit", o->limit, "at most this many (default 100)")
      ->check(CLI::Range(1, 100000));
  list->add_flag("--json", o->json, "one JSON index entry per line");
  auto* show = q->add_subcommand("show", "an entry, its headers, findings and visible text");
  auto* release = q->add_subcommand("release", "re-inject through the MTA with a signed bypass");
  release->add_option("--to", o->to, "recipient instead of the original ones (repeatable)")
      ->allow_extra_args(false);
  auto* del = q->add_subcommand("delete", "remove an entry and its file");
  auto* exp = q->add_subcommand("export", "the raw message to standard output");
  auto* sweep = q->add_subcommand("sweep", "remove expired entries and unreferenced files now");
  for (auto* c : {show, release, del, exp})
    c->add_option("id", o->id, "the entry's id")->required();
  for (auto* c : {release, del})
    c->add_option("--actor", o->actor, "who does it, for the audit log (default: the Unix user)");
  for (auto* c : {list, show, release, del, exp, sweep})
    c->add_option("-c,--config", o->config, "daemon config (default /etc/postern/postern.toml)");
  return [=]() -> std::optional<int> {
    if (!q->parsed()) return std::nullopt;
    auto op = open(*o);
    if (!op) {
      fmt::print(stderr, "{}\n", op.error());
      return 1;
    }
    if (list->parsed()) return run_list(*op, *o);
    if (show->parsed()) return run_show(*op, *o);
    if (release->parsed()) return run_release(*op, *o);
    if (del->parsed()) return run_delete(*op, *o);
    if (exp->parsed()) return run_export(*op, *o);
    return run_sweep(*op);
  };
}

}  // namespace postern::tools
