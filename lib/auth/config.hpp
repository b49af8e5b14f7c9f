// The [arc] and [dkim] sections of postern.toml, read by lib/auth's readers.
//
// Contract: `read_arc_config` and `read_dkim_config` (registered in
// auth/registration.cpp) read their section into
// Config::section<ArcConfig>("arc") / section<DkimConfig>("dkim"); errors at
// file:line:column, unknown keys refused; key file paths resolve against the
// config file's directory. Absent sections are the defaults below. Plain
// values; thread-safe.
#pragma once

#include <string>
#include <vector>

#include "policy/config.hpp"
#include "policy/toml_reader.hpp"

namespace postern::auth {

// [arc]: ARC (RFC 8617). Chains are verified whenever [dns] is configured;
// sealing needs seal != off plus domain, selector and key.
struct ArcConfig {
  static constexpr std::string_view kSection = "arc";
  enum class Seal { Off, Modified, Always };
  Seal seal = Seal::Off;   // "off" | "modified" (postern changed the message) | "always"
  std::string domain;      // d= of the seals
  std::string selector;    // s= (the key record is <selector>._domainkey.<domain>)
  std::string key;         // PEM private key file (RSA 1024..8192 bits or Ed25519)
  int max_instances = 50;  // verify: longer chains fail; seal: never past it (RFC 8617: 50)
};

// [dkim]: verification bounds (the dkim stage runs with [dns]) and signing keys
// ([[dkim.sign]]: outbound mail is signed whenever one is configured).
struct DkimKeyConfig {
  std::string domain;                    // d=, lower-case
  std::string selector;                  // s=
  std::string algorithm = "rsa-sha256";  // "rsa-sha256" | "ed25519-sha256"
  std::string key;                       // PEM private key file (resolved path)
  bool subdomains = false;               // also sign for From domains below `domain`
  int line = 0, column = 0;              // the entry in the file, for key loading errors
};
struct DkimConfig {
  static constexpr std::string_view kSection = "dkim";
  bool allow_rsa_sha1 = false;  // RFC 8301: rsa-sha1 fails unless allowed
  int min_key_bits = 1024;      // RFC 8301: smaller RSA keys are permerror
  int max_signatures = 8;       // signatures evaluated per message
  // "native" (the signature core ARC uses too) | "libopendkim" (the reference library,
  // kept as the oracle of the differential test)
  std::string verifier = "native";
  std::vector<DkimKeyConfig> sign;
};

void read_arc_config(policy::TomlSection& s, policy::Config& c, const std::string& dir);
void read_dkim_config(policy::TomlSection& s, policy::Config& c, const std::string& dir);

inline const ArcConfig& arc_config(const policy::Config& c) {
  return c.section<ArcConfig>(ArcConfig::kSection);
}
inline const DkimConfig& dkim_config(const policy::Config& c) {
  return c.section<DkimConfig>(DkimConfig::kSection);
}

}  // namespace postern::auth
