// The sender's notice for missing_cert = "notify" (see notify.hpp).
#include "smime/notify.hpp"

#include <fmt/format.h>

#include <chrono>

#include "core/subprocess.hpp"
#include "smime/stage.hpp"
#include "telemetry/log.hpp"

namespace postern::smime {
namespace {

// Printable ASCII of `s`, at most 200 bytes (a quoted value in the notice).
std::string printable(std::string_view s) {
  std::string out;
  for (char c : s.substr(0, 200)) {
    unsigned char u = static_cast<unsigned char>(c);
    out += (u < 0x20 || u >= 0x7f) ? '?' : c;
  }
  return out;
}

}  // namespace

std::string notice_text(const std::string& hostname, const std::string& sender,
                        const std::string& subject, const std::vector<std::string>& missing,
                        const std::string& scan_id) {
  const std::string host = hostname.empty() ? std::string("localhost") : hostname;
  std::string who;
  for (size_t i = 0; i < missing.size() && i < kMaxNamedRecipients; ++i)
    who += fmt::format("  {}\r\n", printable(missing[i]));
  if (missing.size() > kMaxNamedRecipients)
    who += fmt::format("  and {} more\r\n", missing.size() - kMaxNamedRecipients);
  return fmt::format(
      "From: Mail Delivery System <MAILER-DAEMON@{}>\r\n"
      "To: {}\r\n"
      "Subject: Not sent: your message must be encrypted\r\n"
      "Auto-Submitted: auto-replied\r\n"
      "MIME-Version: 1.0\r\n"
      "Content-Type: text/plain; charset=us-ascii\r\n"
      "Content-Transfer-Encoding: 7bit\r\n"
      "\r\n"
      "Your message \"{}\" was not sent.\r\n"
      "\r\n"
      "The policy of this organization requires it to be encrypted (S/MIME), and\r\n"
      "there is no certificate for:\r\n"
      "{}"
      "\r\n"
      "It is held for review. Ask the recipients for their S/MIME certificate, or\r\n"
      "your mail administrator, quoting the reference postern {}.\r\n",
      printable(host), printable(sender), printable(subject), who, printable(scan_id));
}

std::optional<std::string> NotifyDisposer::dispose(const core::Transaction& tx,
                                                   const core::Message& leaving,
                                                   const core::Outcome& out) const {
  if (tx.direction() != core::Direction::Outbound ||
      out.verdict.action != core::Action::Quarantine || tx.envelope().mail_from.empty())
    return std::nullopt;
  const Decision* d = tx.get<Decision>();
  if (!d || !d->required || (d->missing.empty() && !d->limit)) return std::nullopt;
  const core::HeaderField* subj = leaving.find("Subject");
  const std::string& sender = tx.envelope().mail_from;
  std::vector<std::string> command = sendmail_;
  for (const char* a : {"-f", "<>", "--"}) command.emplace_back(a);
  command.push_back(sender);
  const std::vector<std::string> missing =
      d->missing.empty() ? std::vector<std::string>{"(the message is over the size bound)"}
                         : d->missing;
  if (auto err = core::run_with_input(
          command, notice_text(hostname_, sender, subj ? subj->value : "", missing, tx.scan_id()),
          std::chrono::seconds(kNoticeSeconds)))
    telemetry::log_warn("{}: smime-notify: the sender was not told: {}", tx.scan_id(), *err);
  else
    telemetry::log_info("{}: smime-notify: {} told the message is held", tx.scan_id(), sender);
  return std::nullopt;
}

}  // namespace postern::smime
