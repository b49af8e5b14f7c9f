// InboundTlsStage: the inbound TLS requirements of [tls.inbound.require.NAME] checked
// against what the MTA said about the connection's TLS ({tls_version}, {verify}).
//
// Contract: inbound mail only. A requirement applies when the client address is in
// its networks or a sender reading matches its senders: the envelope sender at MAIL
// FROM, every header From mailbox and every author domain another reader sees at end
// of message (the strictest reading: whichever reading names the domain). An applying
// requirement that the connection does not meet adds one finding (once per symbol per
// transaction): TLS_REQUIRED_MISSING (no TLS), TLS_VERSION_TOO_LOW (below min_version,
// or a {tls_version} postern cannot read), TLS_CLIENT_CERT_UNVERIFIED (client_cert and
// {verify} is not OK); the detail names the requirement and the reading. The hard rules
// of [tls.inbound] turn them into tempfail or reject (at RCPT for MAIL FROM findings).
// `write_event` adds the ECS tls.* fields of any TLS connection. Immutable, shared by
// threads.
#pragma once

#include <optional>
#include <string>

#include <nlohmann/json_fwd.hpp>

#include "core/connection.hpp"
#include "core/stage.hpp"
#include "tls/policy.hpp"

namespace postern::tls {

struct Unmet {
  std::string_view symbol;
  std::string why;  // "no TLS", "TLSv1.1 is below TLSv1.2", ...
};

// What `req` finds wanting in `t`; nullopt when the connection meets it.
std::optional<Unmet> unmet(const Requirement& req, const core::TlsInfo& t);

class InboundTlsStage final : public core::Stage {
 public:
  explicit InboundTlsStage(InboundPolicy p) : policy_(std::move(p)) {}
  std::string_view name() const override { return "tls-inbound"; }
  core::Step on_mail_from(core::Transaction& tx) const override;
  core::Step on_message(core::Transaction& tx) const override;

 private:
  void check_sender(core::Transaction& tx, std::string_view address, std::string_view where) const;
  void check(core::Transaction& tx, const Requirement& r, const std::string& reading) const;
  InboundPolicy policy_;
};

// The event's tls object (ECS): version, version_protocol, cipher, client.subject,
// client.issuer, and postern.tls {bits, verify}; nothing for a connection without TLS.
void write_event(const core::Transaction& tx, nlohmann::json& event);

}  // namespace postern::tls
