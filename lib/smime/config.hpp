// The [smime] sections: postern.toml's (certificates, keys, trust, bounds) and the
// policy's (when outbound mail must be encrypted, and what a recipient without a
// certificate gets).
//
// Contract: `read_smime_config` is the postern.toml [smime] reader:
//   cert_dir = "/etc/postern/smime/certs"  recipients' certificates (PEM; cert_store.hpp)
//   ca_file = "" / ca_dir = ""              trust for inbound signatures ("": the system's)
//   verify = true                            check inbound S/MIME signatures
//   cipher = "aes-256-cbc"                   or "aes-256-gcm" (AuthEnvelopedData)
//   max_bytes = 33554432                     largest message encrypted, signed or verified
//   [smime.sign] cert, key, chain            the organization's certificate and key (PEM):
//                                            outbound mail is signed when set
//   [smime.decrypt] key_dir                  the gateway's keys for its users (one PEM file
//                                            each: certificate and private key; decrypt.hpp):
//                                            inbound mail encrypted to one is decrypted for
//                                            scanning (delivered as received)
//   [smime.decrypt] max_layers = 2           encrypted messages inside encrypted messages
//   [smime.ldap] uri, base, filter, attribute, bind_dn, password_file, starttls, timeout_ms,
//                ttl, negative_ttl, max_certs, max_bytes, max_lookups (ldap.hpp): recipients'
//                certificates that cert_dir does not have
// `read_smime_policy` is the policy's [smime] reader:
//   [smime.encrypt]
//   domains = ["partner.example"]    recipient domains (and their subdomains) whose mail is
//                                    always encrypted
//   on_dlp = true                    encrypt when a DLP rule with action = "encrypt" fires
//   missing_cert = "quarantine"      | "bounce" (5.7.1 naming the recipients) | "notify"
//                                    (quarantine, and the sender is told)
//   message = "..."                  the bounce text ({detail}: the recipients)
// missing_cert becomes the hard rule of SMIME_NO_CERT (and SMIME_LIMIT) for outbound
// mail, as a DLP rule's action does. Paths resolve against the config's directory;
// errors at file:line:column; unknown keys refused. Plain values.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "smime/cms.hpp"
#include "smime/ldap.hpp"

namespace postern::policy {
struct Config;
struct Policy;
class TomlSection;
}  // namespace postern::policy

namespace postern::smime {

struct SmimeConfig {
  static constexpr const char* kSection = "smime";
  std::string cert_dir;
  std::string ca_file, ca_dir;
  bool verify = true;
  Cipher cipher = Cipher::Aes256Cbc;
  size_t max_bytes = 32u << 20;
  std::string sign_cert, sign_key, sign_chain;
  std::string decrypt_key_dir;  // "" = no inbound decryption
  size_t decrypt_max_layers = 2;
  LdapConfig ldap;  // uri "" = no LDAP lookup
  bool operator==(const SmimeConfig&) const = default;
};

enum class MissingCert { Quarantine, Bounce, Notify };
std::string_view to_string(MissingCert m);

struct EncryptPolicy {
  std::vector<std::string> domains;  // lower case
  bool on_dlp = true;
  MissingCert missing_cert = MissingCert::Quarantine;
  std::string message = "message not sent: no S/MIME certificate for {detail}";
  bool configured = false;  // [smime.encrypt] present
};

struct SmimePolicy {
  EncryptPolicy encrypt;
};

void read_smime_config(policy::TomlSection& s, policy::Config& c, const std::string& dir);
const SmimeConfig& smime_config(const policy::Config& c);
void read_smime_policy(policy::TomlSection& s, policy::Policy& p);
const SmimePolicy& smime_policy(const policy::Policy& p);

// True when `domain` is one of `domains` or below one (all lower case).
bool domain_listed(std::string_view domain, const std::vector<std::string>& domains);

}  // namespace postern::smime
