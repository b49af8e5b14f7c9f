// `postern scan`: files → Session → human report or JSON events.
#include "tools/scan_command.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <iostream>
#include <iterator>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>

#include "core/address.hpp"
#include "core/finisher.hpp"
#include "mime/address.hpp"
#include "mime/analysis.hpp"
#include "mime/stage.hpp"
#include "scan/envelope_guess.hpp"
#include "scan/registry.hpp"
#include "scan/services.hpp"
#include "scan/session.hpp"
#include "scan/verdict_headers.hpp"
#include "state/config.hpp"
#include "telemetry/event.hpp"

namespace postern::tools {
namespace {}  // namespace

bool read_input(const std::string& file, std::string& out) {
  if (file == "-") {
    out.assign(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
    return !std::cin.bad();
  }
  std::ifstream in(file, std::ios::binary);
  if (!in) return false;
  std::ostringstream ss;
  ss << in.rdbuf();
  out = ss.str();
  return !in.bad();
}

namespace {

void print_human(std::FILE* to, const std::string& file, const nlohmann::json& e,
                 std::string_view decided_at = "RCPT") {
  const auto& p = e["postern"];
  fmt::print(to, "{}: {} (score {})", file, p["action"].get<std::string>(), p["score"].dump());
  if (p.contains("reason")) fmt::print(to, " - {}", p["reason"].get<std::string>());
  fmt::print(to, "\n");
  if (p.contains("smtp_reply")) {
    const auto& r = p["smtp_reply"];
    fmt::print(to, "  SMTP reply: {} {} {}\n", r["code"].get<std::string>(),
               r["xcode"].get<std::string>(), r["text"].get<std::string>());
  }
  if (p.value("before_data", false))
    fmt::print(to, "  decided at {}: the message would not be received\n", decided_at);
  for (const auto& r : p["recipients"]) {
    fmt::print(to, "  recipient {} (group {}): {}", r["address"].get<std::string>(),
               r["group"].get<std::string>(), r["action"].get<std::string>());
    if (r.contains("smtp_reply"))
      fmt::print(to, " at RCPT, {} {} {}", r["smtp_reply"]["code"].get<std::string>(),
                 r["smtp_reply"]["xcode"].get<std::string>(),
                 r["smtp_reply"]["text"].get<std::string>());
    fmt::print(to, "\n");
  }
  for (const auto& f : p["findings"])
    fmt::print(to, "  {:<32} {:>7}  {}{}\n", f["symbol"].get<std::string>(), f["score"].dump(),
               f["detail"].get<std::string>(),
               f.contains("recipient")
                   ? fmt::format(" [recipient {}]", f["recipient"].get<std::string>())
                   : std::string());
  for (const auto& h : p["headers_removed"])
    fmt::print(to, "  - header {}\n", h["name"].get<std::string>());
  if (p.contains("headers_changed"))
    for (const auto& h : p["headers_changed"])
      fmt::print(to, "  ~ header {} (bare CR or LF made a space)\n", h["name"].get<std::string>());
  for (const auto& h : p["headers_added"])
    fmt::print(to, "  + {}: {}\n", h["name"].get<std::string>(), h["value"].get<std::string>());
  if (p.value("body_replaced", false)) fmt::print(to, "  ~ body replaced\n");
  if (p.contains("recipients_removed"))
    for (const auto& r : p["recipients_removed"])
      fmt::print(to, "  - recipient {}\n", r.get<std::string>());
  if (p.contains("recipients_added"))
    for (const auto& r : p["recipients_added"])
      fmt::print(to, "  + recipient {}\n", r.get<std::string>());
}

// The part tree as the pipeline sees it: the message is built exactly as the session builds it.
void print_parts(const std::string& file, const std::string& raw, const scan::Snapshot& s) {
  core::Message m = core::build_message(raw, s.config.limits.message_size);
  mime::Analysis a = mime::analyze(m.raw(), mime::analysis_limits(s.config.limits));
  fmt::print("{}:\n", file);
  std::map<const mime::Part*, const mime::Leaf*> leaf_of;
  for (const auto& l : a.leaves) leaf_of[l.part] = &l;
  for (const auto& p : a.tree.parts()) {
    std::string indent(2 * (p.depth + 1), ' ');
    fmt::print("{}{:<10} {}", indent, p.path, p.content_type);
    if (!p.disposition.empty()) fmt::print("  disposition={}", p.disposition);
    if (!p.filename.empty()) fmt::print("  filename=\"{}\"", p.filename);
    if (!p.transfer_encoding.empty()) fmt::print("  encoding={}", p.transfer_encoding);
    if (!p.charset.empty()) fmt::print("  charset={}", p.charset);
    if (auto it = leaf_of.find(&p); it != leaf_of.end())
      fmt::print("  size={}  sha256={}", it->second->size, it->second->sha256);
    fmt::print("\n");
    const auto& an = leaf_of.contains(&p) ? leaf_of[&p]->anomalies : p.anomalies;
    for (const auto& x : an) fmt::print("{}  ! {}: {}\n", indent, x.symbol, x.detail);
  }
  for (const auto& x : a.anomalies)
    if (x.symbol.rfind("HTML_", 0) == 0) fmt::print("  ! {}: {}\n", x.symbol, x.detail);
  for (const auto& l : a.links)
    fmt::print("  link {} [{}] {}{}\n", l.part, l.source, l.url,
               l.text.empty() ? "" : "  text=\"" + l.text.substr(0, 80) + "\"");
}

// The message as the milter would make the MTA send it: the outcome's edits applied
// to the message as the MTA holds it (whole, whatever the scan limit), each new
// field value folded as the shim folds it.
std::string leaving_message(const std::string& raw, core::Outcome out) {
  for (auto& c : out.changed)
    if (c.value) c.value = scan::fold(c.name, *c.value);
  for (auto& a : out.added) a.value = scan::fold(a.name, a.value);
  if (out.new_subject) out.new_subject = scan::fold("Subject", *out.new_subject);
  return core::apply_edits(core::build_message(raw, SIZE_MAX), out).raw();
}

// Writes the leaving message to `path` ("-": stdout); false (and a message) on failure.
bool write_out(const std::string& path, const std::string& file, const core::Outcome& out,
               const std::string& raw) {
  if (core::is_final(out.verdict.action)) {
    fmt::print(stderr, "postern scan: {}: {}: the message would not leave; nothing written\n", file,
               core::to_string(out.verdict.action));
    return true;
  }
  std::string leaving = leaving_message(raw, out);
  if (path == "-") {
    std::cout.write(leaving.data(), static_cast<std::streamsize>(leaving.size()));
    std::cout.flush();
    return static_cast<bool>(std::cout);
  }
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  f.write(leaving.data(), static_cast<std::streamsize>(leaving.size()));
  f.close();
  if (!f) fmt::print(stderr, "postern scan: cannot write {}\n", path);
  return static_cast<bool>(f);
}

}  // namespace

postern::expected<scan::SnapshotPtr, policy::Errors> load_scan_snapshot(const ScanOptions& o) {
  return scan::load_snapshot(o.config_path, !o.config_explicit, nullptr, [&o](policy::Config& cfg) {
    if (!o.policy_dirs.empty()) cfg.policy_dirs = o.policy_dirs;
    if (o.no_state) {
      state::StateConfig none;
      none.path_set = true;  // path "": no store, not the default one
      cfg.set_section(std::string(state::StateConfig::kSection), none);
    }
  });
}

MessageScan scan_message(const scan::SnapshotPtr& s, const std::string& raw, const ScanOptions& o) {
  MessageScan result;
  // The envelope: from the options, else from the message as a mail client would guess it.
  scan::GuessedEnvelope guess = scan::guess_envelope(raw);
  std::string from = o.from_given ? o.from : guess.from;
  std::vector<std::string> rcpts = o.rcpts.empty() ? guess.rcpts : o.rcpts;

  scan::Session session([s] { return s; },
                        [&](const nlohmann::json& e) { result.events.push_back(e); });
  core::ConnectionInfo& ci = session.connection();
  ci.client_address = o.client_ip;
  ci.client_name =
      o.client_name.empty() ? (o.client_ip.empty() ? "localhost" : "unknown") : o.client_name;
  ci.sasl_user = o.auth_user;
  // A policy that decides at connect or HELO ends the session there, as in the milter.
  bool ended = session.connect().action != core::Action::Accept;
  if (ended)
    result.decided_at = "connect";
  else if (!o.helo.empty() && session.helo(o.helo).action != core::Action::Accept)
    ended = true, result.decided_at = "HELO";
  // Recipients deferred with 452 4.5.3 (another policy group) are sent again in a
  // transaction of their own, as an SMTP client does: one event per transaction.
  // The outcome is the first transaction's (its recipients' copy).
  std::vector<std::string> todo = rcpts;
  while (!ended) {
    session.mail_from(from);
    bool accepted = false;
    std::vector<std::string> deferred;
    for (const auto& r : todo) {
      scan::EventReply reply = session.rcpt(r);
      if (reply.action == core::Action::Accept)
        accepted = true;
      else if (reply.reply.code == scan::kGroupDeferral.code &&
               reply.reply.xcode == scan::kGroupDeferral.xcode)
        deferred.push_back(r);
    }
    if (accepted) {
      core::split_raw_message(
          raw, [&](std::string_view n, std::string_view v) { session.header(n, v); },
          [&](std::string_view b) { session.body(b); });
      core::Outcome o2 = session.end_of_message();
      if (!result.outcome) result.outcome = std::move(o2);
    } else {
      session.abort();
    }
    if (deferred.empty() || deferred.size() == todo.size()) break;  // never loops forever
    todo = std::move(deferred);
  }
  return result;
}

int run_scan(const ScanOptions& o) {
  auto snap = load_scan_snapshot(o);
  if (!snap) {
    for (const auto& e : snap.error()) fmt::print(stderr, "{}\n", e.to_string());
    return 1;
  }
  scan::SnapshotPtr s = *snap;
  if (!o.out.empty() && (o.files.size() != 1 || o.parts)) {
    fmt::print(stderr, "postern scan: --out writes one message: give exactly one message file{}\n",
               o.parts ? " and no --parts" : "");
    return 2;
  }
  // With --out - the message goes to stdout and the report to stderr.
  std::FILE* report = o.out == "-" ? stderr : stdout;
  int rc = 0;
  for (const auto& file : o.files) {
    std::string raw;
    if (!read_input(file, raw)) {
      fmt::print(stderr, "postern scan: cannot read {}\n", file);
      rc = 2;
      continue;
    }
    if (o.parts) {
      print_parts(file, raw, *s);
      continue;
    }
    MessageScan r = scan_message(s, raw, o);
    for (const auto& e : r.events) {
      if (o.json) {
        nlohmann::json line = e;
        line["postern"]["file"] = file;
        fmt::print(report, "{}\n", telemetry::to_line(line));
      } else {
        print_human(report, file, e, r.decided_at);
      }
    }
    std::fflush(report);
    if (!o.out.empty()) {
      core::Outcome none;  // refused before DATA: nothing leaves
      none.verdict.action = core::Action::Reject;
      if (!write_out(o.out, file, r.outcome ? *r.outcome : none, raw)) rc = 2;
    }
  }
  std::cout.flush();
  return rc;
}

}  // namespace postern::tools
