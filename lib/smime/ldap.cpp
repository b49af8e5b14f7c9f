// The LDAP certificate lookup (see ldap.hpp).
#include "smime/ldap.hpp"

#include <fmt/format.h>
#include <ldap.h>

#include <algorithm>
#include <chrono>
#include <optional>

#include "core/address.hpp"
#include "mime/decode.hpp"
#include "state/store.hpp"
#include "telemetry/log.hpp"

namespace postern::smime {
namespace {

struct LdapFree {
  void operator()(LDAP* ld) const { ldap_unbind_ext_s(ld, nullptr, nullptr); }
};
struct LdapMsgFree {
  void operator()(LDAPMessage* m) const { ldap_msgfree(m); }
};
struct BervalsFree {
  void operator()(berval** v) const { ldap_value_free_len(v); }
};
using Ldap = std::unique_ptr<LDAP, LdapFree>;
using LdapMsg = std::unique_ptr<LDAPMessage, LdapMsgFree>;
using Bervals = std::unique_ptr<berval*, BervalsFree>;

using Clock = std::chrono::steady_clock;

// A certificate as PEM text (the cache's format: Certificate::from_pem reads it back).
std::string ldap_pem_of(const Certificate& c) {
  std::string b64 = mime::encode_base64(c.der(), 64, "\n");
  if (!b64.empty() && !b64.ends_with('\n')) b64 += '\n';
  return "-----BEGIN CERTIFICATE-----\n" + b64 + "-----END CERTIFICATE-----\n";
}

timeval to_timeval(std::chrono::milliseconds ms) {
  if (ms.count() < 1) ms = std::chrono::milliseconds(1);
  return timeval{static_cast<time_t>(ms.count() / 1000),
                 static_cast<suseconds_t>((ms.count() % 1000) * 1000)};
}

// The best usable certificate for `address` among `certs`, as CertStore chooses.
std::optional<Certificate> best_for(const std::vector<Certificate>& certs,
                                    const std::string& address, std::time_t now) {
  std::optional<Certificate> best;
  for (const auto& c : certs) {
    if (!c.valid_at(now) || !c.usable_for_encryption()) continue;
    const auto addrs = c.addresses();
    if (std::find(addrs.begin(), addrs.end(), address) == addrs.end()) continue;
    if (!best || c.not_after() > best->not_after()) best = c;
  }
  return best;
}

// A cached answer: "none", or the certificate as PEM.
std::optional<std::vector<Certificate>> from_cache(const std::string& value) {
  if (value == "none") return std::vector<Certificate>{};
  auto certs = Certificate::from_pem(value, 1);
  if (!certs) return std::nullopt;  // not ours: asked again
  return std::move(*certs);
}

// One connection to the directory, for one message's lookups.
class LdapSession {
 public:
  LdapSession(const LdapConfig& c, const std::string& password, Clock::time_point deadline)
      : c_(c), password_(password), deadline_(deadline) {}

  // The DER values of the entries for `address`; an error ends the session.
  postern::expected<std::vector<std::string>, std::string> values(const std::string& address) {
    if (!ld_) {
      if (auto e = open(); !e.empty()) return postern::unexpected(e);
    }
    const auto left = remaining();
    if (left.count() <= 0) return postern::unexpected(std::string("timed out"));
    std::string filter = c_.filter;
    const std::string escaped = ldap_escape(address);
    for (size_t at = filter.find("{address}"); at != std::string::npos;
         at = filter.find("{address}", at + escaped.size()))
      filter.replace(at, 9, escaped);
    std::string attr = c_.attribute;
    char* attrs[] = {attr.data(), nullptr};
    timeval tv = to_timeval(left);
    int msgid = 0;
    int rc = ldap_search_ext(ld_.get(), c_.base.c_str(), LDAP_SCOPE_SUBTREE, filter.c_str(), attrs,
                             0, nullptr, nullptr, &tv, static_cast<int>(c_.max_certs), &msgid);
    if (rc != LDAP_SUCCESS)
      return postern::unexpected(fmt::format("search: {}", ldap_err2string(rc)));
    // One message at a time: a server may ignore the size limit asked, and
    // ldap_search_ext_s would hold every entry it sends before any bound is checked.
    std::vector<std::string> out;
    size_t bytes = 0, entries = 0;
    const std::string base_attr = attr.substr(0, attr.find(';'));
    auto enough = [&] {
      ldap_abandon_ext(ld_.get(), msgid, nullptr, nullptr);
      return out;
    };
    for (;;) {
      const auto wait = remaining();
      if (wait.count() <= 0) {
        ldap_abandon_ext(ld_.get(), msgid, nullptr, nullptr);
        return postern::unexpected(std::string("search: timed out"));
      }
      timeval t = to_timeval(wait);
      LDAPMessage* raw = nullptr;
      const int type = ldap_result(ld_.get(), msgid, LDAP_MSG_ONE, &t, &raw);
      LdapMsg msg(raw);
      if (type == 0) continue;  // the deadline is checked above
      if (type < 0) {
        int err = LDAP_OTHER;
        ldap_get_option(ld_.get(), LDAP_OPT_RESULT_CODE, &err);
        return postern::unexpected(fmt::format("search: {}", ldap_err2string(err)));
      }
      if (type == LDAP_RES_SEARCH_RESULT) {
        int err = LDAP_OTHER;
        if (ldap_parse_result(ld_.get(), msg.get(), &err, nullptr, nullptr, nullptr, nullptr, 0) !=
            LDAP_SUCCESS)
          err = LDAP_DECODING_ERROR;
        if (err != LDAP_SUCCESS && err != LDAP_SIZELIMIT_EXCEEDED && err != LDAP_NO_SUCH_OBJECT)
          return postern::unexpected(fmt::format("search: {}", ldap_err2string(err)));
        return out;
      }
      if (type != LDAP_RES_SEARCH_ENTRY) continue;  // a reference: not followed
      LDAPMessage* e = ldap_first_entry(ld_.get(), msg.get());
      if (!e) continue;
      Bervals vals(ldap_get_values_len(ld_.get(), e, attr.c_str()));
      if (!vals) vals.reset(ldap_get_values_len(ld_.get(), e, base_attr.c_str()));
      for (berval** v = vals.get(); v && *v; ++v) {
        if (out.size() >= c_.max_certs || bytes + (*v)->bv_len > c_.max_bytes)
          return enough();  // cut at the bound
        bytes += (*v)->bv_len;
        out.emplace_back((*v)->bv_val, (*v)->bv_len);
      }
      if (++entries >= c_.max_certs) return enough();
    }
  }

 private:
  std::chrono::milliseconds remaining() const {
    return std::chrono::duration_cast<std::chrono::milliseconds>(deadline_ - Clock::now());
  }

  // "" when connected and bound, else why not.
  std::string open() {
    LDAP* raw = nullptr;
    int rc = ldap_initialize(&raw, c_.uri.c_str());
    if (rc != LDAP_SUCCESS || !raw) return fmt::format("{}: {}", c_.uri, ldap_err2string(rc));
    ld_.reset(raw);
    const int version = LDAP_VERSION3;
    ldap_set_option(ld_.get(), LDAP_OPT_PROTOCOL_VERSION, &version);
    ldap_set_option(ld_.get(), LDAP_OPT_REFERRALS, LDAP_OPT_OFF);
    timeval tv = to_timeval(remaining());
    ldap_set_option(ld_.get(), LDAP_OPT_NETWORK_TIMEOUT, &tv);
    ldap_set_option(ld_.get(), LDAP_OPT_TIMEOUT, &tv);
    // No message of the answer may be larger than what we would keep of it.
    Sockbuf* sb = nullptr;
    ber_len_t max_in = static_cast<ber_len_t>(c_.max_bytes + (64u << 10));
    if (ldap_get_option(ld_.get(), LDAP_OPT_SOCKBUF, &sb) != LDAP_OPT_SUCCESS || !sb ||
        ber_sockbuf_ctrl(sb, LBER_SB_OPT_SET_MAX_INCOMING, &max_in) != 1) {
      ld_.reset();
      return fmt::format("{}: cannot bound the size of answers", c_.uri);
    }
    // TLS verifies the server whatever ldap.conf or LDAPTLS_* say: demand a valid
    // certificate, then a new context so the setting takes effect on this handle.
    const int demand = LDAP_OPT_X_TLS_DEMAND, zero = 0;
    if ((c_.uri.starts_with("ldaps://") || c_.starttls) &&
        (ldap_set_option(ld_.get(), LDAP_OPT_X_TLS_REQUIRE_CERT, &demand) != LDAP_OPT_SUCCESS ||
         ldap_set_option(ld_.get(), LDAP_OPT_X_TLS_NEWCTX, &zero) != LDAP_OPT_SUCCESS)) {
      ld_.reset();
      return fmt::format("{}: cannot set up TLS verification", c_.uri);
    }
    if (c_.starttls) {
      rc = ldap_start_tls_s(ld_.get(), nullptr, nullptr);
      if (rc != LDAP_SUCCESS) {
        ld_.reset();
        return fmt::format("{}: StartTLS: {}", c_.uri, ldap_err2string(rc));
      }
    }
    berval cred{static_cast<ber_len_t>(password_.size()), const_cast<char*>(password_.data())};
    rc = ldap_sasl_bind_s(ld_.get(), c_.bind_dn.empty() ? nullptr : c_.bind_dn.c_str(),
                          LDAP_SASL_SIMPLE, &cred, nullptr, nullptr, nullptr);
    if (rc != LDAP_SUCCESS) {
      ld_.reset();
      return fmt::format("{}: bind{}: {}", c_.uri,
                         c_.bind_dn.empty() ? std::string() : " as " + c_.bind_dn,
                         ldap_err2string(rc));
    }
    return {};
  }

  const LdapConfig& c_;
  const std::string& password_;
  Clock::time_point deadline_;
  Ldap ld_;
};

}  // namespace

std::string ldap_escape(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (char ch : value) {
    switch (ch) {
      case '*':
        out += "\\2a";
        break;
      case '(':
        out += "\\28";
        break;
      case ')':
        out += "\\29";
        break;
      case '\\':
        out += "\\5c";
        break;
      case '\0':
        out += "\\00";
        break;
      default:
        out += ch;
    }
  }
  return out;
}

LdapResult LdapDirectory::lookup(const std::vector<std::string>& addresses, std::time_t now) const {
  LdapResult r;
  std::vector<std::string> wanted;
  for (const auto& a : addresses) {
    std::string low = core::to_lower(a);
    if (std::find(wanted.begin(), wanted.end(), low) != wanted.end()) continue;
    if (wanted.size() >= config_.max_lookups) {
      r.error = fmt::format("more than {} recipients to look up: the rest were not asked",
                            config_.max_lookups);
      break;
    }
    wanted.push_back(std::move(low));
  }
  LdapSession session(config_, password_,
                      Clock::now() + std::chrono::milliseconds(config_.timeout_ms));
  for (const auto& a : wanted) {
    if (cache_) {
      auto hit = cache_->get(kCacheNamespace, a, static_cast<int64_t>(now));
      if (hit && *hit) {
        if (auto certs = from_cache(**hit)) {
          ++r.cached;
          if (auto best = best_for(*certs, a, now)) r.found.emplace(a, std::move(*best));
          continue;
        }
      }
    }
    auto values = session.values(a);
    if (!values) {
      r.error = values.error();  // the directory is unusable for the rest of this message
      break;
    }
    ++r.asked;
    std::vector<Certificate> certs;
    for (const auto& der : *values)
      if (auto c = Certificate::from_der(der)) certs.push_back(std::move(*c));
    auto best = best_for(certs, a, now);
    if (cache_) {
      auto put =
          best ? cache_->put(kCacheNamespace, a, ldap_pem_of(*best),
                             std::chrono::seconds(config_.ttl), static_cast<int64_t>(now))
               : cache_->put(kCacheNamespace, a, "none", std::chrono::seconds(config_.negative_ttl),
                             static_cast<int64_t>(now));
      if (!put) telemetry::log_warn("[smime.ldap] cache: {}", put.error().text);
    }
    if (best) r.found.emplace(a, std::move(*best));
  }
  return r;
}

}  // namespace postern::smime
