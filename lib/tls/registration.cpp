// lib/tls: the tls-inbound stage, [tls], TLS_*, the event's tls.* (see registration.hpp).
#include "tls/registration.hpp"

#include <array>

#include "policy/policy.hpp"
#include "tls/inbound_stage.hpp"
#include "tls/policy.hpp"

namespace postern::tls {
namespace {

constexpr std::array kTlsSymbols{
    core::SymbolInfo{"TLS_REQUIRED_MISSING", 0.0, core::Scope::Transaction,
                     "a [tls.inbound.require] requirement applies to the client or sender and "
                     "the connection is not encrypted"},
    core::SymbolInfo{"TLS_VERSION_TOO_LOW", 0.0, core::Scope::Transaction,
                     "a [tls.inbound.require] requirement applies and the connection's TLS "
                     "version is below its min_version (or not one postern can read)"},
    core::SymbolInfo{"TLS_CLIENT_CERT_UNVERIFIED", 0.0, core::Scope::Transaction,
                     "a [tls.inbound.require] requirement with client_cert applies and the MTA "
                     "did not verify a client certificate"},
};

}  // namespace

const core::Registration& registration() {
  static const core::Registration r{
      .folder = "tls",
      .symbols = kTlsSymbols,
      .policy_sections = {{.name = "tls", .read = read_tls}},
      .stages = {{.name = "tls-inbound",
                  .provides = {"tls.inbound"},
                  .needs = {"limits"},
                  .first_event = core::Event::MailFrom,
                  .make = [](const core::StageContext& c) -> std::unique_ptr<core::Stage> {
                    const auto& tp = c.policy.sections.section<TlsPolicy>("tls");
                    if (!tp.inbound.any_enabled()) return nullptr;
                    return std::make_unique<InboundTlsStage>(tp.inbound);
                  }}},
      .event_writers = {write_event},
  };
  return r;
}

}  // namespace postern::tls
