// `postern quarantine` (see quarantine_command.hpp).
#include "tools/quarantine_command.hpp"

#include <fmt/format.h>
#include <pwd.h>
#include <termios.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <ctime>
#include <iostream>
#include <memory>

#include "core/subprocess.hpp"
#include "policy/config.hpp"
#include "quarantine/config.hpp"
#include "quarantine/operations.hpp"
#include "quarantine/release.hpp"
#include "quarantine/store.hpp"
#include "quarantine/web_auth.hpp"
#include "scan/registry.hpp"
#include "state/config.hpp"
#include "state/store.hpp"
#include "tools/quarantine_digest.hpp"

namespace postern::tools {
namespace {

using quarantine::Entry;

struct Options {
  std::string config = policy::kDefaultConfigPath;
  std::string since, until, rcpt, from, symbol;
  size_t limit = 100;
  bool json = false;
  std::string id, actor;
  std::vector<std::string> to;
  std::string user, file;
  int iterations = quarantine::kDefaultIterations;
  bool dry_run = false;
};

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

postern::expected<Entry, int> find(const Opened& op, const std::string& id) {
  auto e = quarantine::find_entry(*op.store, id);
  if (!e) {
    fmt::print(stderr, "{}\n", e.error().message);
    return postern::unexpected(e.error().code);
  }
  return *e;
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
    fmt::print("{}  {}  {:<8} {:>6.2f}  {} -> {}{}  {}{}\n", e.id, quarantine::iso_time(e.time),
               e.direction, e.score, quarantine::printable(e.sender.empty() ? "<>" : e.sender),
               quarantine::printable(e.recipients.empty() ? "" : e.recipients.front()),
               e.recipient_count > 1 ? fmt::format(" (+{})", e.recipient_count - 1) : "",
               quarantine::printable(e.subject), e.released_at ? "  [released]" : "");
  }
  if (!o.json) fmt::print("{} message(s)\n", list->size());
  return 0;
}

int run_show(const Opened& op, const Options& o) {
  auto e = find(op, o.id);
  if (!e) return e.error();
  fmt::print("id:         {}\n", e->id);
  fmt::print("time:       {}\n", quarantine::iso_time(e->time));
  fmt::print("direction:  {}\n", e->direction);
  fmt::print("group:      {} (kept until {})\n", quarantine::printable(e->group),
             quarantine::iso_time(e->expires));
  fmt::print("sender:     {}\n", quarantine::printable(e->sender.empty() ? "<>" : e->sender));
  fmt::print("recipients: {}{}\n",
             quarantine::printable(fmt::format("{}", fmt::join(e->recipients, ", "))),
             e->recipient_count > e->recipients.size()
                 ? fmt::format(" and {} more", e->recipient_count - e->recipients.size())
                 : "");
  fmt::print("score:      {:.2f}\n", e->score);
  fmt::print("reason:     {}\n", quarantine::printable(e->reason));
  fmt::print("findings:   {}\n", fmt::join(e->symbols, " "));
  fmt::print("message:    {} bytes, sha256 {}\n", e->size, e->sha256);
  if (e->released_at)
    fmt::print("released:   {} by {} to {}\n", quarantine::iso_time(e->released_at),
               quarantine::printable(e->released_by),
               quarantine::printable(fmt::format("{}", fmt::join(e->released_to, ", "))));
  auto raw = op.store->read_message(*e);
  if (!raw) {
    fmt::print(stderr, "{}\n", raw.error());
    return 1;
  }
  const quarantine::Rendering r = quarantine::render(*raw);
  fmt::print("\n--- headers\n");
  for (const auto& [name, value] : r.headers) fmt::print("{}: {}\n", name, value);
  fmt::print("\n--- text (visible text of the text parts; HTML is shown as text)\n");
  fmt::print("{}", r.text);
  if (r.cut) fmt::print("[... cut at {} bytes]\n", quarantine::kMaxRenderedText);
  for (const auto& a : r.attachments)
    fmt::print("[attachment: {} {}, {} bytes]\n", a.filename, a.content_type, a.size);
  return 0;
}

int run_release(const Opened& op, const Options& o) {
  auto e = find(op, o.id);
  if (!e) return e.error();
  auto r = quarantine::release(*op.store, quarantine::quarantine_config(op.config), *e, o.to,
                               who(o), op.config.event_log);
  if (!r) {
    fmt::print(stderr, "{}\n", r.error().message);
    return r.error().code;
  }
  fmt::print("released {} to {}\n", e->id, fmt::join(*r, ", "));
  return 0;
}

int run_delete(const Opened& op, const Options& o) {
  auto e = find(op, o.id);
  if (!e) return e.error();
  if (auto r = quarantine::remove(*op.store, *e, who(o), op.config.event_log); !r) {
    fmt::print(stderr, "{}\n", r.error().message);
    return r.error().code;
  }
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

// `digest`: one mail per recipient of inbound mail held since [quarantine.digest]
// since_hours, through [quarantine] sendmail (or to standard output with --dry-run).
int run_digest(const Opened& op, const Options& o) {
  const auto& q = quarantine::quarantine_config(op.config);
  if (q.digest.url.empty()) {
    fmt::print(stderr, "{}: no [quarantine.digest] url and from: no digest is sent\n",
               op.config.path);
    return 1;
  }
  auto key = quarantine::load_or_create_key(q.release_key);
  if (!key) {
    fmt::print(stderr, "release key: {}\n", key.error());
    return 1;
  }
  const int64_t now = state::now_seconds();
  quarantine::Filter f;
  f.since = now - q.digest.since_hours * 3600;
  f.limit = 100000;
  auto list = op.store->list(f);
  if (!list) {
    fmt::print(stderr, "{}\n", list.error());
    return 1;
  }
  const DigestSettings settings{q.digest.url, q.digest.from, q.digest.link_days * 86400};
  size_t sent = 0, failed = 0;
  for (const auto& [rcpt, held] : held_by_recipient(*list, f.since)) {
    if (rcpt.empty() || rcpt[0] == '-' || rcpt.size() > 320 ||
        rcpt.find_first_of(" \t\r\n<>\"\\,;") != std::string::npos) {
      fmt::print(stderr, "skipped a recipient that is not an address: '{}'\n",
                 quarantine::printable(rcpt));
      continue;
    }
    const std::string msg = digest_message(*key, settings, rcpt, held, now);
    if (o.dry_run) {
      fmt::print("{}\n", msg);
      ++sent;
      continue;
    }
    std::vector<std::string> argv = q.sendmail;
    argv.insert(argv.end(), {"-f", q.digest.from, "--", rcpt});
    if (auto err = core::run_with_input(argv, msg, quarantine::kSendmailDeadline)) {
      fmt::print(stderr, "digest to {} not sent: {}\n", rcpt, *err);
      ++failed;
      continue;
    }
    ++sent;
  }
  fmt::print(stderr, "{} digest(s) {}{}\n", sent, o.dry_run ? "written" : "sent",
             failed ? fmt::format(", {} failed", failed) : "");
  return failed ? 3 : 0;
}

// A line of standard input; from a terminal, asked for twice with echo off.
std::optional<std::string> read_password() {
  const bool tty = ::isatty(0);
  auto one = [&](const char* prompt) -> std::optional<std::string> {
    termios old{};
    if (tty) {
      fmt::print(stderr, "{}", prompt);
      ::tcgetattr(0, &old);
      termios quiet = old;
      quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
      ::tcsetattr(0, TCSANOW, &quiet);
    }
    std::string line;
    bool got = static_cast<bool>(std::getline(std::cin, line));
    if (tty) {
      ::tcsetattr(0, TCSANOW, &old);
      fmt::print(stderr, "\n");
    }
    if (!got) return std::nullopt;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    return line;
  };
  auto first = one("Password: ");
  if (!first || !tty) return first;
  auto again = one("Again: ");
  if (!again || *again != *first) {
    fmt::print(stderr, "the passwords differ\n");
    return std::nullopt;
  }
  return first;
}

// `passwd USER`: writes USER's hash into [quarantine.web] password_file (or --file).
int run_passwd(const Options& o) {
  std::string path = o.file;
  if (path.empty()) {
    auto cfg = scan::load_config(o.config);
    if (!cfg) {
      fmt::print(stderr, "{}\n", policy::to_string(cfg.error()));
      return 1;
    }
    path = quarantine::quarantine_config(*cfg).web.password_file;
  }
  if (path.empty()) {
    fmt::print(stderr, "no password file: set [quarantine.web] password_file, or --file\n");
    return 1;
  }
  if (!quarantine::valid_user(o.user)) {
    fmt::print(stderr, "not a user name: 1 to 64 letters, digits or . _ @ + -\n");
    return 1;
  }
  auto pw = read_password();
  if (!pw || pw->size() < 8 || pw->size() > quarantine::kMaxPassword) {
    fmt::print(stderr, "a password of 8 to {} bytes, please\n", quarantine::kMaxPassword);
    return 1;
  }
  auto r = quarantine::set_password(path, o.user, quarantine::hash_password(*pw, o.iterations));
  if (!r) {
    fmt::print(stderr, "{}\n", r.error());
    return 1;
  }
  fmt::print("{}: password of {} set\n", path, o.user);
  return 0;
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
  auto* digest = q->add_subcommand(
      "digest", "mail each recipient a list of their held messages with links to release them");
  digest->add_flag("--dry-run", o->dry_run, "write the mails to standard output instead");
  auto* passwd = q->add_subcommand(
      "passwd", "set a web page user's password (read from standard input, or asked twice)");
  passwd->add_option("user", o->user, "the user name")->required();
  passwd->add_option("--file", o->file,
                     "the password file (default: [quarantine.web] password_file)");
  passwd->add_option("--iterations", o->iterations, "PBKDF2 iterations (default 600000)")
      ->check(CLI::Range(quarantine::kMinIterations, quarantine::kMaxIterations));
  for (auto* c : {show, release, del, exp})
    c->add_option("id", o->id, "the entry's id")->required();
  for (auto* c : {release, del})
    c->add_option("--actor", o->actor, "who does it, for the audit log (default: the Unix user)");
  for (auto* c : {list, show, release, del, exp, sweep, passwd, digest})
    c->add_option("-c,--config", o->config, "daemon config (default /etc/postern/postern.toml)");
  return [=]() -> std::optional<int> {
    if (!q->parsed()) return std::nullopt;
    if (passwd->parsed()) return run_passwd(*o);
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
    if (digest->parsed()) return run_digest(*op, *o);
    return run_sweep(*op);
  };
}

}  // namespace postern::tools
