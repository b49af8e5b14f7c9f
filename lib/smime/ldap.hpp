// The LDAP certificate lookup ([smime.ldap]): recipients' certificates that cert_dir does
// not have, asked of a directory (OpenLDAP's libldap behind one small wrapper), cached
// in the state store.
//
// Contract: `LdapDirectory::lookup(addresses, now)` returns, for each address (lower
// case; at most config.max_lookups per call, the rest are not asked: `error` says so),
// the usable certificate the directory holds for it: the values of `attribute` (DER,
// "userCertificate;binary") of the entries `filter` finds under `base` ({address}
// replaced by the address, escaped as RFC 4515 asks), at most max_certs values and
// max_bytes bytes per answer; of those, the ones valid at `now`, usable for encryption
// and naming the address (as CertStore checks), the one that expires last wins. A
// cache in the state store (namespace "smime.ldap") answers first: a certificate for
// `ttl` seconds, "none" for `negative_ttl` (shorter); an answer that is an error is not
// cached. One connection per call (StartTLS first with `starttls`; simple bind with
// bind_dn and the password file's first line, or anonymous), every operation bounded by
// what remains of timeout_ms for the whole call: the milter never waits longer. TLS
// (ldaps://, StartTLS) always verifies the server's certificate and name, whatever
// ldap.conf says (a fresh TLS context, require_cert demand). The search is read one
// message at a time and abandoned at max_certs values, max_bytes or max_certs entries
// (a server may ignore the size limit asked); libldap refuses any one message over
// max_bytes + 64 KiB while reading it, so a hostile answer is never held whole. The
// directory down, a timeout, a refused bind: `error` (one line, never the password) and
// the addresses not answered have no certificate (missing_cert decides: never plain
// text). Never throws; hostile answers (garbage values, too many, too big) are skipped
// or cut. Immutable, shared by threads (a libldap handle per call; the cache is
// thread-safe).
#pragma once

#include <ctime>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "smime/cms.hpp"

namespace postern::state {
class Store;
}

namespace postern::smime {

struct LdapConfig {
  std::string uri;  // ldap://host:port, ldaps://, ldapi://; "" = no lookup
  std::string base;
  std::string filter = "(mail={address})";
  std::string attribute = "userCertificate;binary";
  std::string bind_dn, password_file;  // bind_dn over ldap:// needs starttls (config)
  bool starttls = false;               // ldap:// upgraded to TLS before the bind
  int timeout_ms = 3000;               // the whole lookup of one message
  int ttl = 3600, negative_ttl = 300;
  size_t max_certs = 16;          // values per answer
  size_t max_bytes = 256u << 10;  // bytes of values per answer
  size_t max_lookups = 20;        // addresses per message
  bool operator==(const LdapConfig&) const = default;
};

struct LdapResult {
  std::map<std::string, Certificate> found;  // address -> certificate
  std::string error;                         // "" when every address was answered
  size_t asked = 0, cached = 0;              // addresses asked of the directory / the cache
};

// RFC 4515: `*`, `(`, `)`, `\` and NUL as \2a \28 \29 \5c \00.
std::string ldap_escape(std::string_view value);

class LdapDirectory {
 public:
  // `password`: the password file's first line ("" = anonymous); `cache` may be null.
  LdapDirectory(LdapConfig config, std::string password, std::shared_ptr<state::Store> cache)
      : config_(std::move(config)), password_(std::move(password)), cache_(std::move(cache)) {}

  LdapResult lookup(const std::vector<std::string>& addresses, std::time_t now) const;
  const LdapConfig& config() const { return config_; }

  static constexpr std::string_view kCacheNamespace = "smime.ldap";

 private:
  LdapConfig config_;
  std::string password_;
  std::shared_ptr<state::Store> cache_;
};

}  // namespace postern::smime
