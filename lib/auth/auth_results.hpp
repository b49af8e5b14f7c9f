// Authentication-Results (RFC 8601): what postern's authentication stages found,
// written into the message, and the JSON form of the same results.
//
// Contract: `authentication_results(authserv_id, tx)` builds the field value
// from the results the stages put on the transaction (auth::SpfResult,
// auth::DkimResults, auth::ArcResult, auth::DmarcResult), in the order spf,
// dkim (one resinfo per signature, or dkim=none), dmarc, arc; "" when no
// authentication stage ran and the connection has no TLS. A TLS connection's
// {tls_version}, {cipher}, {cipher_bits} and {verify} follow the authserv-id as a
// comment ("mx.example.com (tls=TLSv1.3 cipher=... bits=256 verify=OK); spf=...";
// "...; none" when no authentication stage ran). Values from the message (domains, selectors) are
// written as RFC 8601 values: a token when they are one, else a quoted string;
// comments are stripped of parentheses and control bytes, so no sender can
// inject a resinfo. `AuthResultsFinisher` ("authentication-results") adds the
// field at the top of every inbound message that leaves. Incoming fields that
// carry our authserv-id are forgeries: scan::forged_headers removes them (see
// `is_our_authentication_results`). `auth_json(tx)` is the postern.auth object
// of events and `postern scan --json`: {spf, dkim[], dmarc, arc}, each present
// only when its stage ran. Pure functions; the finisher is immutable.
#pragma once

#include <nlohmann/json_fwd.hpp>

#include <string>
#include <string_view>

#include "core/finisher.hpp"

namespace postern::auth {

std::string authentication_results(std::string_view authserv_id, const core::Transaction& tx);

// True when `value` (an Authentication-Results field value) names `authserv_id`
// (case-insensitive, comments and whitespace ignored).
bool is_our_authentication_results(std::string_view value, std::string_view authserv_id);

nlohmann::json auth_json(const core::Transaction& tx);

class AuthResultsFinisher final : public core::Finisher {
 public:
  explicit AuthResultsFinisher(std::string authserv_id) : authserv_id_(std::move(authserv_id)) {}
  std::string_view name() const override { return "authentication-results"; }
  bool needs_message(const core::Transaction&) const override { return false; }
  void finish(const core::Transaction& tx, const core::Message& leaving,
              core::Outcome& out) const override;

 private:
  std::string authserv_id_;
};

}  // namespace postern::auth
