// The inbound TLS requirements stage (see inbound_stage.hpp).
#include "tls/inbound_stage.hpp"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "core/transaction.hpp"
#include "mime/address.hpp"

namespace postern::tls {

std::optional<Unmet> unmet(const Requirement& req, const core::TlsInfo& t) {
  const Version v = parse_version(t.version);
  if (v == Version::None) return Unmet{kMissing, "no TLS"};
  if (v == Version::Unknown)
    return Unmet{kTooLow, fmt::format("an unreadable TLS version counts as below {}",
                                      version_name(req.min_version))};
  if (v < req.min_version)
    return Unmet{kTooLow,
                 fmt::format("{} is below {}", version_name(v), version_name(req.min_version))};
  if (req.client_cert && t.verify != "OK")
    return Unmet{kUnverified, fmt::format("client certificate verification: {}",
                                          t.verify.empty() ? "none" : t.verify.substr(0, 16))};
  return std::nullopt;
}

void InboundTlsStage::check(core::Transaction& tx, const Requirement& r,
                            const std::string& reading) const {
  auto u = unmet(r, tx.connection().tls);
  if (!u || tx.has_finding(u->symbol)) return;
  tx.add_finding(std::string(u->symbol), 0,
                 fmt::format("TLS requirement {} ({}): {}", r.name, reading, u->why));
}

void InboundTlsStage::check_sender(core::Transaction& tx, std::string_view address,
                                   std::string_view where) const {
  for (const auto& [name, r] : policy_.requirements) {
    if (!r.enabled) continue;
    for (size_t i = 0; i < r.senders.size(); ++i) {
      if (!r.senders[i].matches(address)) continue;
      check(tx, r, fmt::format("{} {} matches {}", where, address, r.sender_entries[i]));
      break;
    }
  }
}

core::Step InboundTlsStage::on_mail_from(core::Transaction& tx) const {
  if (tx.direction() != core::Direction::Inbound) return core::Step::next();
  const auto ip = core::IpAddress::parse(tx.connection().client_address);
  for (const auto& [name, r] : policy_.requirements) {
    if (!r.enabled || !ip) continue;
    for (size_t i = 0; i < r.networks.size(); ++i) {
      if (!r.networks[i].contains(*ip)) continue;
      check(tx, r,
            fmt::format("client {} in {}", tx.connection().client_address, r.network_entries[i]));
      break;
    }
  }
  if (!tx.envelope().mail_from.empty())
    check_sender(tx, tx.envelope().mail_from, "envelope sender");
  return core::Step::next();
}

core::Step InboundTlsStage::on_message(core::Transaction& tx) const {
  if (tx.direction() != core::Direction::Inbound || !tx.message()) return core::Step::next();
  const mime::Author& author = mime::author(tx);
  size_t checked = 0;
  for (const auto& b : author.mailboxes) {
    if (b.domain.empty()) continue;
    check_sender(tx, b.address(), "header From");
    if (++checked >= 50) return core::Step::next();  // bounded: a hostile From list
  }
  for (size_t i = author.rfc_domains; i < author.domains.size(); ++i)
    check_sender(tx, "@" + author.domains[i], "header From (another reading)");
  return core::Step::next();
}

void write_event(const core::Transaction& tx, nlohmann::json& event) {
  const core::TlsInfo& t = tx.connection().tls;
  const Version v = parse_version(t.version);
  if (v == Version::None) return;
  nlohmann::json j;
  j["established"] = true;
  if (auto e = ecs_version(v); !e.empty()) {
    j["version"] = std::string(e);
    j["version_protocol"] = v == Version::Ssl3 ? "ssl" : "tls";
  } else {
    j["version"] = "unknown";  // what the MTA wrote is below, in postern.tls
  }
  if (!t.cipher.empty()) j["cipher"] = t.cipher;
  if (!t.cert_subject.empty()) j["client"]["subject"] = t.cert_subject;
  if (!t.cert_issuer.empty()) j["client"]["issuer"] = t.cert_issuer;
  event["tls"] = std::move(j);
  nlohmann::json p = {{"version", t.version.substr(0, 32)}};
  if (!t.cipher_bits.empty()) p["bits"] = t.cipher_bits.substr(0, 16);
  if (!t.verify.empty()) p["verify"] = t.verify.substr(0, 16);
  event["postern"]["tls"] = std::move(p);
}

}  // namespace postern::tls
