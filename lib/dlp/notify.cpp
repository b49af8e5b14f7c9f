// The require_tls route header and the sender notification (see notify.hpp).
#include "dlp/notify.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "core/message.hpp"
#include "core/subprocess.hpp"
#include "telemetry/log.hpp"

namespace postern::dlp {
namespace {

constexpr size_t kMaxListed = 10;   // recipients named in a notification
constexpr int kNotifySeconds = 30;  // the notify command's deadline

// One line of printable ASCII, at most `max` bytes: what a header or text line may hold
// (a fold unfolded: line breaks dropped, tabs as spaces).
std::string one_line(std::string_view v, size_t max) {
  std::string out;
  for (unsigned char c : v) {
    if (out.size() >= max) break;
    if (c == '\r' || c == '\n') continue;
    out += c == '\t' ? ' ' : (c < 0x20 || c >= 0x7f) ? '?' : static_cast<char>(c);
  }
  return out;
}

bool plain_address(std::string_view a) {
  return !a.empty() && a.size() <= 254 && a.front() != '-' &&
         std::none_of(a.begin(), a.end(), [](unsigned char c) {
           return c <= 0x20 || c >= 0x7f || c == '<' || c == '>' || c == ',' || c == ';' ||
                  c == '"' || c == '(' || c == ')' || c == '\\';
         });
}

std::string_view fate(core::Action a) {
  switch (a) {
    case core::Action::Quarantine:
      return "held for review (quarantine)";
    case core::Action::Tag:
      return "delivered, marked";
    default:
      return "delivered";
  }
}

}  // namespace

void RouteFinisher::finish(const core::Transaction& tx, const core::Message&,
                           core::Outcome& out) const {
  const Report* r = tx.get<Report>();
  if (!r) return;
  if (std::any_of(r->hits.begin(), r->hits.end(),
                  [](const Report::RuleHit& h) { return h.action == "require_tls"; }))
    out.added.push_back({std::string(kRouteHeader), std::string(kRouteTls)});
}

std::string notification(const core::Transaction& tx, const core::Outcome& out,
                         std::string_view from) {
  const Report* r = tx.get<Report>();
  const std::string& sender = tx.envelope().mail_from;
  if (!r || !plain_address(sender)) return {};
  std::string rules;
  for (const auto& h : r->hits) {
    if (!h.notify) continue;
    std::string shown;
    for (const auto& m : h.masked) shown += fmt::format("{}{}", shown.empty() ? "" : ", ", m);
    rules += fmt::format("  - {} ({}): {} match(es){}{}\n", h.rule, h.symbol, h.count,
                         shown.empty() ? "" : ": ", one_line(shown, 200));
  }
  if (rules.empty()) return {};
  std::string subject = "(none)";
  if (const core::Message* m = tx.message())
    if (const auto* s = m->find("Subject")) subject = one_line(core::trim(s->value), 120);
  std::string to;
  const auto& rcpts = tx.envelope().recipients;
  for (size_t i = 0; i < rcpts.size() && i < kMaxListed; ++i)
    to += fmt::format("{}{}", i ? ", " : "", one_line(rcpts[i], 254));
  if (rcpts.size() > kMaxListed) to += fmt::format(" and {} more", rcpts.size() - kMaxListed);
  const bool tls = std::any_of(r->hits.begin(), r->hits.end(),
                               [](const Report::RuleHit& h) { return h.action == "require_tls"; });
  return fmt::format(
      "From: {from}\r\nTo: {sender}\r\nSubject: Data protection notice: {subject}\r\n"
      "Auto-Submitted: auto-generated\r\nMIME-Version: 1.0\r\n"
      "Content-Type: text/plain; charset=us-ascii\r\n\r\n"
      "Your message \"{subject}\" to {to}{queue} matched data protection rules:\r\n"
      "{rules}\r\n"
      "It was {fate}{tls}.\r\n"
      "Only masked values are shown. Scan id: {scan}.\r\n",
      fmt::arg("from", from), fmt::arg("sender", sender), fmt::arg("subject", subject),
      fmt::arg("to", to),
      fmt::arg("queue", tx.envelope().queue_id.empty()
                            ? std::string()
                            : fmt::format(" (queue id {})", one_line(tx.envelope().queue_id, 32))),
      fmt::arg("rules",
               [&] {
                 std::string crlf;
                 for (char c : rules) crlf += c == '\n' ? std::string("\r\n") : std::string(1, c);
                 return crlf;
               }()),
      fmt::arg("fate", fate(out.verdict.action)),
      fmt::arg("tls", tls ? ", and it leaves only over verified TLS" : ""),
      fmt::arg("scan", tx.scan_id()));
}

std::optional<std::string> NotifyDisposer::dispose(const core::Transaction& tx,
                                                   const core::Message&,
                                                   const core::Outcome& out) const {
  std::string text = notification(tx, out, from_);
  if (text.empty()) return std::nullopt;
  std::vector<std::string> argv = command_;
  for (const char* a : {"-f", "<>", "--"}) argv.emplace_back(a);
  argv.push_back(tx.envelope().mail_from);
  // Bounded like every child postern runs: a sendmail that hangs costs this message
  // kNotifySeconds, not a milter thread for ever.
  if (auto err = core::run_with_input(argv, text, std::chrono::seconds(kNotifySeconds)))
    telemetry::log_error("{}: dlp notification to {} not sent: {}", tx.scan_id(),
                         tx.envelope().mail_from, *err);
  return std::nullopt;
}

}  // namespace postern::dlp
