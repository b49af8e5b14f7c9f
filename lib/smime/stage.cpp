// lib/smime's stages, modifier, guard and finisher (see stage.hpp).
#include "smime/stage.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <ctime>
#include <nlohmann/json.hpp>

#include "core/address.hpp"
#include "core/transaction.hpp"
#include "dlp/stage.hpp"
#include "mime/address.hpp"
#include "mime/params.hpp"
#include "smime/decrypt.hpp"
#include "telemetry/log.hpp"

namespace postern::smime {
namespace {

// The top-level Content-Type of `m` and its smime-type, lower case.
std::pair<std::string, std::string> top_type(const core::Message& m) {
  const core::HeaderField* f = m.find("Content-Type");
  if (!f) return {"text/plain", ""};
  mime::DecodeStats st;
  mime::StructuredField ct = mime::parse_structured(f->value, st);
  const std::string* t = ct.param("smime-type");
  return {ct.value, t ? core::to_lower(*t) : std::string()};
}

bool is_enveloped(const std::pair<std::string, std::string>& t) {
  return (t.first == "application/pkcs7-mime" || t.first == "application/x-pkcs7-mime") &&
         (t.second == "enveloped-data" || t.second == "authenveloped-data");
}

// Signed or encrypted already (S/MIME or PGP): signing again would hide or break it.
bool already_sealed(const std::pair<std::string, std::string>& t) {
  return t.first == "multipart/signed" || t.first == "multipart/encrypted" ||
         t.first == "application/pkcs7-mime" || t.first == "application/x-pkcs7-mime";
}

bool delivered(const core::Outcome& out) {
  return out.verdict.action == core::Action::Accept || out.verdict.action == core::Action::Tag;
}

std::string domain_of(std::string_view address) {
  size_t at = address.rfind('@');
  return at == std::string_view::npos ? std::string() : core::to_lower(address.substr(at + 1));
}

// At most kMaxNamedRecipients addresses, then how many more.
std::string named(const std::vector<std::string>& addrs) {
  std::string out;
  for (size_t i = 0; i < addrs.size() && i < kMaxNamedRecipients; ++i)
    out += (i ? ", " : "") + addrs[i];
  if (addrs.size() > kMaxNamedRecipients)
    out += fmt::format(" and {} more", addrs.size() - kMaxNamedRecipients);
  return out;
}

// An RFC 8601 value: the address as it is when it is a plain token of an address,
// else a quoted string.
std::string pvalue(std::string_view s) {
  bool plain = !s.empty();
  for (char c : s)
    if (!(std::isalnum(static_cast<unsigned char>(c)) ||
          std::string_view(".-_+@").find(c) != std::string_view::npos))
      plain = false;
  if (plain) return std::string(s);
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    if (static_cast<unsigned char>(c) >= 0x20 && c != 0x7f) out += c;
  }
  return out + "\"";
}

// A comment's text: no parentheses, backslashes or control bytes; at most 200 bytes.
std::string comment(std::string_view s) {
  std::string out;
  for (char c : s.substr(0, 200)) {
    unsigned char u = static_cast<unsigned char>(c);
    out += (c == '(' || c == ')' || c == '\\' || u < 0x20 || u == 0x7f) ? ' ' : c;
  }
  return out;
}

// The header edits that replace `current`'s top-level Content-* fields by `s.fields`.
void replace_content_fields(const core::Message& current, const Sealed& s, core::Outcome& out) {
  std::vector<std::string> names;
  for (const auto& f : current.headers())
    if (is_content_field(f.name) &&
        std::none_of(names.begin(), names.end(),
                     [&](const std::string& n) { return core::iequals(n, f.name); }))
      names.push_back(f.name);
  for (const auto& n : names)
    for (size_t i = current.count(n); i >= 1; --i) out.changed.push_back({n, i, std::nullopt});
  if (!current.find("MIME-Version")) out.added.push_back({"MIME-Version", "1.0", false});
  for (const auto& [name, value] : s.fields) out.added.push_back({name, value, false});
  out.new_body = s.body;
}

Sealed withheld_notice(std::string_view scan_id) {
  Sealed s;
  s.fields = {{"Content-Type", "text/plain; charset=us-ascii"},
              {"Content-Transfer-Encoding", "7bit"}};
  s.body = fmt::format(
      "This message had to be sent encrypted (S/MIME), and the gateway could not\r\n"
      "encrypt it. Its content was withheld. Reference: postern {}\r\n",
      scan_id);
  return s;
}

}  // namespace

bool leaves_encrypted(const core::Message& m) {
  return is_enveloped(top_type(m));
}

core::Step VerifyStage::on_message(core::Transaction& tx) const {
  if (tx.direction() != core::Direction::Inbound || !tx.message()) return core::Step::next();
  const core::Message& m = *tx.message();
  std::vector<std::string> from;
  for (const auto& mb : mime::author(tx).mailboxes) from.push_back(core::to_lower(mb.address()));
  auto v = std::make_shared<Verification>(verify_message(m, from, *trust_, limits_));
  if (const DecryptReport* r = tx.get<DecryptReport>();
      v->encrypted && r && !r->verify_raw.empty()) {
    // Signed, then encrypted: the signature is inside; the decrypt stage opened it.
    *v = verify_message(core::Message(r->verify_raw), from, *trust_, limits_);
    v->decrypted = true;
  }
  if (v->limit && v->status == Status::None) tx.add_finding("SMIME_LIMIT", 0, v->reason);
  if (v->status == Status::Pass && v->signer_matches_from) {
    tx.add_finding("SMIME_VALID", 0,
                   fmt::format("S/MIME signature ({}) of {} verifies", v->kind, from.front()));
  } else if (v->status == Status::Pass) {
    tx.add_finding(
        "SMIME_SIGNER_MISMATCH", 0,
        fmt::format("S/MIME signature verifies, but its certificate names {} and the "
                    "From is {}",
                    v->signer_addrs.empty() ? std::string("no address") : named(v->signer_addrs),
                    from.size() == 1 ? from.front() : named(from)));
  } else if (v->status == Status::Fail) {
    tx.add_finding("SMIME_INVALID", 0,
                   fmt::format("S/MIME signature ({}) does not verify: {}", v->kind, v->reason));
  }
  if (v->status != Status::None || v->limit) tx.put<Verification>(std::move(v));
  return core::Step::next();
}

core::Step EncryptStage::on_message(core::Transaction& tx) const {
  if (tx.direction() != core::Direction::Outbound || !tx.message()) return core::Step::next();
  auto d = std::make_shared<Decision>();
  const auto& rcpts = tx.envelope().recipients;
  for (const auto& r : rcpts) {
    std::string dom = domain_of(r);
    if (!dom.empty() && domain_listed(dom, policy_.domains)) {
      std::string why = "recipient domain " + dom;
      if (std::find(d->why.begin(), d->why.end(), why) == d->why.end()) d->why.push_back(why);
    }
  }
  if (policy_.on_dlp && !dlp_rules_.empty()) {
    if (const dlp::Report* rep = tx.get<dlp::Report>()) {
      for (const auto& h : rep->hits)
        if (std::find(dlp_rules_.begin(), dlp_rules_.end(), h.rule) != dlp_rules_.end())
          d->why.push_back("DLP rule " + h.rule);
    } else if (tx.has_finding("LIMIT_SCAN_TIME")) {
      d->why.push_back("the DLP scan did not finish (LIMIT_SCAN_TIME)");
    }
  }
  if (d->why.empty()) return core::Step::next();
  const core::Message& m = *tx.message();
  const auto type = top_type(m);
  if (is_enveloped(type) || type.first == "multipart/encrypted") {
    d->already_encrypted = true;
    tx.put<Decision>(std::move(d));
    return core::Step::next();
  }
  d->required = true;
  std::string why;
  for (const auto& w : d->why) why += (why.empty() ? "" : "; ") + w;
  if (m.total_size() > max_bytes_ || m.truncated()) {
    d->limit = true;
    tx.add_finding("SMIME_LIMIT", 0,
                   fmt::format("must be encrypted ({}), but the message is {} bytes, over the "
                               "bound of {}",
                               why, m.total_size(), max_bytes_));
  }
  for (const auto& r : rcpts) {
    if (const Certificate* c = store_->find(r))
      d->certs.push_back(*c);
    else if (std::find(d->missing.begin(), d->missing.end(), r) == d->missing.end())
      d->missing.push_back(r);
  }
  if (ldap_ && !d->missing.empty()) {
    LdapResult lr = ldap_->lookup(d->missing, std::time(nullptr));
    std::vector<std::string> still;
    for (const auto& r : d->missing) {
      auto it = lr.found.find(core::to_lower(r));
      if (it == lr.found.end()) {
        still.push_back(r);
        continue;
      }
      d->certs.push_back(it->second);
      ++d->from_ldap;
    }
    d->missing = std::move(still);
    if (!lr.error.empty()) {
      d->ldap_error = lr.error;
      telemetry::log_warn("{}: [smime.ldap] {}: {} recipient(s) without a certificate",
                          tx.scan_id(), lr.error, d->missing.size());
    }
  }
  if (!d->missing.empty())
    tx.add_finding("SMIME_NO_CERT", 0,
                   fmt::format("{} ({} of {} recipients without a certificate; must be "
                               "encrypted: {}{})",
                               named(d->missing), d->missing.size(), rcpts.size(), why,
                               d->ldap_error.empty() ? "" : "; LDAP: " + d->ldap_error));
  tx.put<Decision>(std::move(d));
  return core::Step::next();
}

bool SmimeModifier::needs_message(const core::Transaction& tx, const core::Outcome& out) const {
  if (tx.direction() != core::Direction::Outbound || !delivered(out)) return false;
  const Decision* d = tx.get<Decision>();
  return key_.has_value() || (d && d->required);
}

void SmimeModifier::modify(const core::Transaction& tx, const core::Message& current,
                           core::Outcome& out) const {
  if (!needs_message(tx, out)) return;
  const Decision* d = tx.get<Decision>();
  const bool encrypt = d && d->required;
  const auto type = top_type(current);
  const bool sign = key_ && !already_sealed(type) && !(d && d->already_encrypted);
  auto withhold = [&](const std::string& why) {
    telemetry::log_error("{}: S/MIME encryption required but not done: {}; content withheld",
                         tx.scan_id(), why);
    replace_content_fields(current, withheld_notice(tx.scan_id()), out);
    out.event_counts.emplace_back("smime.withheld", 1);
  };
  if (current.raw().size() > max_bytes_) {
    if (encrypt) withhold(fmt::format("{} bytes, over max_bytes", current.raw().size()));
    return;
  }
  std::string entity = entity_of(current);
  std::optional<Sealed> sealed;
  if (sign) {
    auto s = sign_entity(entity, *key_);
    if (s) {
      sealed = std::move(*s);
      entity = entity_of(*sealed);
      out.event_counts.emplace_back("smime.signed", 1);
    } else {
      telemetry::log_warn("{}: S/MIME signing failed: {}; sent unsigned", tx.scan_id(), s.error());
    }
  }
  if (encrypt) {
    if (!d->missing.empty()) return withhold("no certificate for " + named(d->missing));
    std::vector<const Certificate*> certs;
    for (const auto& c : d->certs) certs.push_back(&c);
    auto e = encrypt_entity(entity, certs, cipher_);
    if (!e) return withhold(e.error());
    sealed = std::move(*e);
    out.event_counts.emplace_back("smime.encrypted", 1);
  }
  if (sealed) replace_content_fields(current, *sealed, out);
}

std::optional<std::string> GuardDisposer::dispose(const core::Transaction& tx,
                                                  const core::Message& leaving,
                                                  const core::Outcome& out) const {
  const Decision* d = tx.get<Decision>();
  if (!d || !d->required || !delivered(out) || leaves_encrypted(leaving)) return std::nullopt;
  return std::string("the message must leave S/MIME-encrypted and it is not");
}

std::string auth_results_value(std::string_view authserv_id, const Verification& v) {
  if (v.status == Status::None) return {};
  std::string why = v.status == Status::Fail ? v.reason
                    : v.signer_matches_from  ? std::string("signer is the From address")
                                             : std::string("signer is not the From address");
  if (v.decrypted) why += "; signed inside the encrypted message";
  std::string s = fmt::format("{}; smime={} ({})", authserv_id, to_string(v.status), comment(why));
  if (!v.signer.empty()) s += " body.smime-identifier=" + pvalue(v.signer);
  return s;
}

void ResultsFinisher::finish(const core::Transaction& tx, const core::Message&,
                             core::Outcome& out) const {
  if (tx.direction() != core::Direction::Inbound) return;
  const Verification* v = tx.get<Verification>();
  if (!v) return;
  std::string value = auth_results_value(authserv_id_, *v);
  if (!value.empty()) out.added.push_back({"Authentication-Results", std::move(value), true});
}

void write_event(const core::Transaction& tx, nlohmann::json& event) {
  const Verification* v = tx.get<Verification>();
  const Decision* d = tx.get<Decision>();
  const DecryptReport* r = tx.get<DecryptReport>();
  if (!v && !d && !r) return;
  nlohmann::json& s = event["postern"]["smime"];
  if (v)
    s["verify"] = {{"result", std::string(to_string(v->status))},
                   {"kind", v->kind},
                   {"signer", v->signer},
                   {"signer_matches_from", v->signer_matches_from},
                   {"reason", v->reason}};
  if (v && v->decrypted) s["verify"]["decrypted"] = true;
  if (d) {
    nlohmann::json e = {{"required", d->required},
                        {"why", d->why},
                        {"already_encrypted", d->already_encrypted},
                        {"certificates", d->certs.size()}};
    if (d->from_ldap > 0 || !d->ldap_error.empty()) {
      e["from_ldap"] = d->from_ldap;
      e["ldap_error"] = d->ldap_error;
    }
    std::vector<std::string> missing(
        d->missing.begin(),
        d->missing.begin() + static_cast<long>(std::min(d->missing.size(), kMaxNamedRecipients)));
    e["missing"] = missing;
    e["missing_count"] = d->missing.size();
    s["encrypt"] = std::move(e);
  }
  if (r)
    s["decrypt"] = {
        {"result", r->result}, {"layers", r->layers}, {"keys", r->keys}, {"reason", r->reason}};
}

}  // namespace postern::smime
