// Authentication-Results writer and postern.auth JSON (see auth_results.hpp).
#include "auth/auth_results.hpp"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "auth/dmarc.hpp"
#include "auth/results.hpp"
#include "auth/spf.hpp"
#include "core/address.hpp"
#include "core/message.hpp"

namespace postern::auth {
namespace {

// An RFC 8601 pvalue: a token when it is one, else a quoted string.
std::string pvalue(std::string_view v) {
  bool token = !v.empty();
  for (unsigned char c : v)
    token = token && (std::isalnum(c) ||
                      std::string_view("._-@+=/!#$%&'*^`{|}~").find(static_cast<char>(c)) !=
                          std::string_view::npos);
  if (token) return std::string(v);
  std::string out = "\"";
  for (unsigned char c : v.substr(0, 256)) {
    if (c < 0x20 || c == 0x7f) continue;
    if (c == '"' || c == '\\') out += '\\';
    out += static_cast<char>(c);
  }
  return out + "\"";
}

// A comment's text: one line, no parentheses or backslashes, bounded.
std::string comment(std::string_view v) {
  std::string out;
  for (unsigned char c : v.substr(0, 200)) {
    if (c < 0x20 || c == 0x7f || c == '(' || c == ')' || c == '\\') continue;
    out += static_cast<char>(c);
  }
  return out;
}

// The connection's TLS as a comment after the authserv-id ("" without TLS): what
// the MTA's macros said, never read as a result (RFC 8601 has no TLS method).
std::string tls_comment(const core::TlsInfo& t) {
  if (t.version.empty()) return {};
  std::string s = "tls=" + comment(t.version.substr(0, 32));
  if (!t.cipher.empty()) s += " cipher=" + comment(t.cipher.substr(0, 80));
  if (!t.cipher_bits.empty()) s += " bits=" + comment(t.cipher_bits.substr(0, 8));
  if (!t.verify.empty()) s += " verify=" + comment(t.verify.substr(0, 16));
  return s;
}

}  // namespace

std::string authentication_results(std::string_view authserv_id, const core::Transaction& tx) {
  const auto* spf = tx.get<SpfResult>();
  const auto* dkim = tx.get<DkimResults>();
  const auto* dmarc = tx.get<DmarcResult>();
  const auto* arc = tx.get<ArcResult>();
  const std::string tls = tls_comment(tx.connection().tls);
  if (!spf && !dkim && !dmarc && !arc) {
    if (tls.empty()) return {};
    return fmt::format("{} ({}); none", authserv_id, tls);
  }
  std::vector<std::string> parts{std::string(authserv_id)};
  if (!tls.empty()) parts.front() += fmt::format(" ({})", tls);
  if (spf) {
    std::string s = fmt::format("spf={}", to_string(spf->result));
    if (!spf->detail.empty()) s += fmt::format(" ({})", comment(spf->detail));
    if (spf->identity == SpfIdentity::Helo)
      s += " smtp.helo=" + pvalue(spf->domain);
    else
      s += " smtp.mailfrom=" + pvalue(spf->sender);
    parts.push_back(std::move(s));
  }
  if (dkim) {
    if (dkim->signatures.empty()) parts.push_back("dkim=none");
    for (const auto& sig : dkim->signatures) {
      std::string s = fmt::format("dkim={}", to_string(sig.result));
      std::string why = sig.detail;
      if (sig.body_length_limited)
        why += why.empty() ? "l= covers part of the body" : "; l= covers part of the body";
      if (!why.empty()) s += fmt::format(" ({})", comment(why));
      if (!sig.domain.empty()) s += " header.d=" + pvalue(sig.domain);
      if (!sig.selector.empty()) s += " header.s=" + pvalue(sig.selector);
      if (!sig.algorithm.empty()) s += " header.a=" + pvalue(sig.algorithm);
      if (!sig.b.empty()) s += " header.b=" + pvalue(sig.b);
      parts.push_back(std::move(s));
    }
  }
  if (dmarc) {
    std::string s = fmt::format("dmarc={}", to_string(dmarc->result));
    if (dmarc->result == DmarcStatus::Fail || dmarc->result == DmarcStatus::Pass)
      s += fmt::format(" ({}={} dis={})", dmarc->policy_tag, to_string(dmarc->published),
                       to_string(dmarc->enforce));
    else if (!dmarc->detail.empty())
      s += fmt::format(" ({})", comment(dmarc->detail));
    s += " header.from=" + pvalue(dmarc->from_domain);
    if (dmarc->result == DmarcStatus::Fail || dmarc->result == DmarcStatus::Pass)
      s += " policy.dmarc=" + std::string(to_string(dmarc->published));
    parts.push_back(std::move(s));
  }
  if (arc) {
    std::string s = fmt::format("arc={}", to_string(arc->cv));
    if (arc->instances)
      s += fmt::format(" (i={}{}{})", arc->instances,
                       arc->newest_sealer().empty() ? "" : " d=", comment(arc->newest_sealer()));
    if (arc->cv == ArcStatus::Fail && arc->temporary)
      s += " (temporary: a DNS error)";
    else if (arc->cv == ArcStatus::Fail && !arc->detail.empty())
      s += fmt::format(" ({})", comment(arc->detail));
    parts.push_back(std::move(s));
  }
  std::string out;
  for (size_t i = 0; i < parts.size(); ++i) {
    if (i) out += "; ";
    out += parts[i];
  }
  return out;
}

bool is_our_authentication_results(std::string_view value, std::string_view authserv_id) {
  // The authserv-id is the first token once comments are gone (RFC 8601 2.2).
  std::string t = core::strip_comments(value);
  std::string_view v = core::trim(t);
  std::string_view id = v.substr(0, v.find_first_of("; \t\r\n"));
  if (id.size() >= 2 && id.front() == '"' && id.back() == '"') id = id.substr(1, id.size() - 2);
  return !authserv_id.empty() && core::iequals(id, authserv_id);
}

nlohmann::json auth_json(const core::Transaction& tx) {
  using nlohmann::json;
  json a = json::object();
  if (const auto* spf = tx.get<SpfResult>()) {
    a["spf"] = {{"result", std::string(to_string(spf->result))},
                {"identity", spf->identity == SpfIdentity::Helo ? "helo" : "mailfrom"},
                {"domain", spf->domain},
                {"sender", spf->sender}};
    if (!spf->detail.empty()) a["spf"]["detail"] = spf->detail;
    if (!spf->explanation.empty()) a["spf"]["explanation"] = spf->explanation;
  }
  if (const auto* dkim = tx.get<DkimResults>()) {
    json sigs = json::array();
    for (const auto& s : dkim->signatures) {
      json j = {{"result", std::string(to_string(s.result))},
                {"d", s.domain},
                {"s", s.selector},
                {"a", s.algorithm},
                {"b", s.b},
                {"key_bits", s.key_bits},
                {"body_length_limited", s.body_length_limited}};
      if (!s.identity.empty()) j["i"] = s.identity;
      if (!s.detail.empty()) j["detail"] = s.detail;
      sigs.push_back(std::move(j));
    }
    a["dkim"] = std::move(sigs);
  }
  if (const auto* d = tx.get<DmarcResult>()) {
    a["dmarc"] = {{"result", std::string(to_string(d->result))},
                  {"header_from", d->from_domain},
                  {"record_domain", d->record_domain},
                  {"policy_tag", d->policy_tag},
                  {"policy", std::string(to_string(d->published))},
                  {"disposition", std::string(to_string(d->enforce))},
                  {"spf_aligned", d->spf_aligned},
                  {"dkim_aligned", d->dkim_aligned},
                  {"sampled_out", d->sampled_out},
                  {"arc_override", d->arc_override},
                  {"detail", d->detail}};
  }
  if (const auto* arc = tx.get<ArcResult>()) {
    a["arc"] = {{"cv", std::string(to_string(arc->cv))},
                {"instances", arc->instances},
                {"sealers", arc->sealers}};
    if (!arc->detail.empty()) a["arc"]["detail"] = arc->detail;
    if (arc->temporary) a["arc"]["temporary"] = true;
  }
  return a;
}

void AuthResultsFinisher::finish(const core::Transaction& tx, const core::Message&,
                                 core::Outcome& out) const {
  if (tx.direction() != core::Direction::Inbound) return;
  std::string v = authentication_results(authserv_id_, tx);
  if (!v.empty()) out.added.push_back({"Authentication-Results", std::move(v), true});
}

}  // namespace postern::auth
