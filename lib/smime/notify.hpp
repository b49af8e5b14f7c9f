// missing_cert = "notify": the notice to the sender of a message that was held because a
// recipient has no S/MIME certificate.
//
// Contract: `notice_text(...)` builds the notice (RFC 5322, CRLF, ASCII headers; the
// subject and addresses of the held message are quoted in the body, control bytes
// removed, each at most 200 bytes). NotifyDisposer
// ("smime-notify") sends the notice for a quarantined outbound message with
// SMIME_NO_CERT (or SMIME_LIMIT) when missing_cert is notify and the envelope sender is
// not null, through the [quarantine] sendmail command ("-f <> -- SENDER" appended) and
// core::run_with_input, killed after kNoticeSeconds; a failure is logged, never an error of the
// dispose phase (the message is held either way). Immutable, shared by threads.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/disposer.hpp"

namespace postern::smime {

inline constexpr int kNoticeSeconds = 10;

std::string notice_text(const std::string& hostname, const std::string& sender,
                        const std::string& subject, const std::vector<std::string>& missing,
                        const std::string& scan_id);

class NotifyDisposer final : public core::Disposer {
 public:
  NotifyDisposer(std::vector<std::string> sendmail, std::string hostname)
      : sendmail_(std::move(sendmail)), hostname_(std::move(hostname)) {}
  std::string_view name() const override { return "smime-notify"; }
  std::optional<std::string> dispose(const core::Transaction& tx, const core::Message& leaving,
                                     const core::Outcome& out) const override;

 private:
  std::vector<std::string> sendmail_;
  std::string hostname_;
};

}  // namespace postern::smime
