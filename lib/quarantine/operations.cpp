// Quarantine operations shared by the CLI and the web page (see operations.hpp).
#include "quarantine/operations.hpp"

#include <fmt/format.h>
#include <syslog.h>

#include <ctime>
#include <nlohmann/json.hpp>

#include "core/message.hpp"
#include "core/state_file.hpp"
#include "core/subprocess.hpp"
#include "mime/analysis.hpp"
#include "quarantine/config.hpp"
#include "quarantine/release.hpp"
#include "state/store.hpp"
#include "telemetry/event_log.hpp"

namespace postern::quarantine {
namespace {

// The audit line of a release or delete: syslog (mail) and the event log.
void audit(const std::string& action, const Entry& e, const std::string& actor,
           const std::vector<std::string>& to, const std::string& event_log) {
  nlohmann::json j = {{"@timestamp", iso_time(state::now_seconds())},
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
  ::syslog(LOG_MAIL | LOG_NOTICE, "%s", line.c_str());
  if (!event_log.empty() && event_log != "-") {
    telemetry::EventLog el;
    if (el.open(event_log))
      el.write(line);
    else
      ::syslog(LOG_MAIL | LOG_WARNING, "cannot open the event log %s", event_log.c_str());
  }
}

}  // namespace

std::string iso_time(int64_t t) {
  std::time_t tt = static_cast<std::time_t>(t);
  std::tm tm{};
  ::gmtime_r(&tt, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

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

Rendering render(std::string_view raw) {
  Rendering r;
  core::Message m{std::string(raw)};
  for (const auto& h : m.headers())
    r.headers.emplace_back(printable(h.name), printable(std::string(core::trim(h.value))));
  mime::Analysis a = mime::analyze(raw);
  for (const auto& leaf : a.leaves) {
    if (leaf.text.empty() || !leaf.data.empty()) continue;  // attachments are not shown
    // Line ends read as LF (a CR before LF is not a control to show), trailing ones dropped.
    std::string t;
    t.reserve(leaf.text.size());
    for (size_t i = 0; i < leaf.text.size(); ++i)
      if (!(leaf.text[i] == '\r' && i + 1 < leaf.text.size() && leaf.text[i + 1] == '\n'))
        t.push_back(leaf.text[i]);
    while (!t.empty() && (t.back() == '\n' || t.back() == '\r')) t.pop_back();
    if (r.text.size() + t.size() > kMaxRenderedText) {
      t.resize(kMaxRenderedText - r.text.size());
      r.cut = true;
    }
    r.text += printable(t);
    r.text += '\n';
    if (r.cut) break;
  }
  for (const auto& leaf : a.leaves)
    if (!leaf.data.empty() && leaf.part)
      r.attachments.push_back(
          {printable(leaf.part->filename), printable(leaf.part->content_type), leaf.size});
  return r;
}

postern::expected<Entry, OpError> find_entry(const Store& store, std::string_view id) {
  if (!valid_id(id))
    return postern::unexpected(OpError{2, fmt::format("no quarantined message {}", printable(id))});
  auto e = store.get(id);
  if (!e) return postern::unexpected(OpError{1, e.error()});
  if (!*e) return postern::unexpected(OpError{2, fmt::format("no quarantined message {}", id)});
  return **e;
}

postern::expected<std::vector<std::string>, OpError> release(
    const Store& store, const QuarantineConfig& q, const Entry& e,
    const std::vector<std::string>& to, const std::string& actor, const std::string& event_log) {
  auto fail = [](int code, std::string msg) {
    return postern::unexpected(OpError{code, std::move(msg)});
  };
  std::vector<std::string> rcpts = to.empty() ? e.recipients : to;
  if (to.empty() && e.recipient_count > e.recipients.size())
    return fail(1, fmt::format("{} has {} recipients, {} listed: name them with --to", e.id,
                               e.recipient_count, e.recipients.size()));
  if (rcpts.empty()) return fail(1, fmt::format("{} has no recipient: name one with --to", e.id));
  for (const auto& r : rcpts)
    if (r.empty() || r[0] == '-' || r.size() > 320 ||
        r.find_first_of(" \t\r\n<>\"\\,;") != std::string::npos)
      return fail(1, fmt::format("not a recipient address: '{}'", printable(r)));
  auto raw = store.read_message(e);
  if (!raw) return fail(1, raw.error());
  auto key = load_or_create_key(q.release_key);
  if (!key) return fail(1, "release key: " + key.error());
  core::Message m(*raw);
  ReleaseClaim claim{e.id, state::now_seconds(), body_digest(m.body()), rcpts};
  // The MTA's local submission reads lines ending in LF.
  std::string input = fmt::format("{}: {}\n", kReleaseHeader, release_header_value(*key, claim));
  for (size_t i = 0; i < raw->size(); ++i)
    if (!((*raw)[i] == '\r' && i + 1 < raw->size() && (*raw)[i + 1] == '\n'))
      input.push_back((*raw)[i]);
  std::vector<std::string> argv = q.sendmail;
  argv.insert(argv.end(), {"-f", e.sender, "--"});
  argv.insert(argv.end(), rcpts.begin(), rcpts.end());
  if (auto err = core::run_with_input(argv, input, kSendmailDeadline))
    return fail(3, fmt::format("release of {} failed: {}", e.id, *err));
  Entry marked = e;
  marked.released_at = claim.time;
  marked.released_by = actor;
  marked.released_to = rcpts;
  if (auto u = store.update(marked); !u)
    ::syslog(LOG_MAIL | LOG_WARNING, "quarantine: released %s, but the entry is not marked: %s",
             e.id.c_str(), u.error().c_str());
  audit("release", e, actor, rcpts, event_log);
  return rcpts;
}

postern::expected<void, OpError> remove(const Store& store, const Entry& e,
                                        const std::string& actor, const std::string& event_log) {
  auto r = store.remove(e.id);
  if (!r) return postern::unexpected(OpError{1, r.error()});
  audit("delete", e, actor, {}, event_log);
  return {};
}

}  // namespace postern::quarantine
