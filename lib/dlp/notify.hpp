// What the DLP rules' actions require_tls and notify do after the verdict: the
// route header that sends the message out over verified TLS only, and the
// notification mail to the sender.
//
// Contract: `RouteFinisher` ("dlp-route") adds `X-Postern-Route: tls-required` to a
// delivered or held message when a rule with action require_tls hit (the rule's
// direction; outbound by default). Postfix routes on it with milter_header_checks
// (`postern setup postfix` writes the table and the postern-tls transport); it acts
// only on fields a milter added, and postern removes every incoming X-Postern-*
// field, so no sender can choose the route. `NotifyDisposer` ("dlp-notify") sends
// one notification per message whose hits include a rule with notify, when it is
// delivered or held: to the envelope sender (none for the null sender), from
// [dlp] notify_from, through [dlp] notify_command (core/subprocess: the text on its
// standard input, a 30 s deadline, "-f <> -- SENDER" appended: a null envelope sender, so it never
// bounces back into a loop). The text names the rules, their findings and counts,
// and the masked matches only (dlp/stage.hpp), never a raw value. A notification
// that cannot be sent is logged and the mail goes on (a notice is never a reason to
// hold mail back). `notification(...)` is the text, for tests. Immutable, shared.
#pragma once

#include <string>
#include <vector>

#include "core/disposer.hpp"
#include "core/finisher.hpp"
#include "dlp/stage.hpp"

namespace postern::dlp {

inline constexpr std::string_view kRouteHeader = "X-Postern-Route";
inline constexpr std::string_view kRouteTls = "tls-required";

class RouteFinisher final : public core::Finisher {
 public:
  std::string_view name() const override { return "dlp-route"; }
  bool needs_message(const core::Transaction&) const override { return false; }
  void finish(const core::Transaction& tx, const core::Message& leaving,
              core::Outcome& out) const override;
};

// The notification for `tx` (the report's notify hits) as `out` disposes of it, from
// `from`; "" when no notify rule hit or the sender is null.
std::string notification(const core::Transaction& tx, const core::Outcome& out,
                         std::string_view from);

class NotifyDisposer final : public core::Disposer {
 public:
  NotifyDisposer(std::string from, std::vector<std::string> command)
      : from_(std::move(from)), command_(std::move(command)) {}
  std::string_view name() const override { return "dlp-notify"; }
  std::optional<std::string> dispose(const core::Transaction& tx, const core::Message& leaving,
                                     const core::Outcome& out) const override;

 private:
  std::string from_;
  std::vector<std::string> command_;
};

}  // namespace postern::dlp
