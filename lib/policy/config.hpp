// Config: the daemon configuration, /etc/postern/postern.toml.
//
// Contract: `load_config(path)` reads and validates the file; every problem is
// an Error with file:line:column, unknown keys included; the file is read
// through the same bounded TOML reader as the policy (policy/toml_bounds,
// finite numbers only). A missing file is an
// error unless `missing_ok` (then built-in defaults apply, as `postern scan`
// does on a machine without /etc/postern). Relative paths in the file resolve
// against the file's directory. The result is an immutable value; reload builds
// a new one. Thread-safe (no shared state).
#pragma once

#include <map>
#include <string>
#include <vector>
#include "core/expected.hpp"

#include "core/action.hpp"
#include "core/limits.hpp"
#include "policy/error.hpp"

namespace postern::policy {

inline constexpr const char* kDefaultConfigPath = "/etc/postern/postern.toml";

struct Config {
  std::string path;  // the file this came from ("" = built-in defaults)

  // [milter]
  std::string socket = "unix:/var/spool/postfix/postern/postern.sock";
  unsigned socket_mode = 0660;
  std::string socket_group = "postfix";
  std::string user = "postern";
  std::string group = "postern";
  int timeout = 300;  // seconds the MTA may stay silent in a transaction

  // [policy]
  std::vector<std::string> policy_dirs = {"/usr/share/postern/policies", "/etc/postern/policies"};

  // [scan]
  std::string authserv_id;  // "" = this host's name
  core::Action on_error = core::Action::Tempfail;
  std::map<std::string, core::Action, std::less<>> stage_on_error;

  // [limits]
  core::Limits limits;

  // [dns]: the one resolver of a snapshot (lib/dns). The DNS stages (SPF) run
  // only when this section is present: tests and hosts without it never touch
  // the network or /etc/resolv.conf.
  struct Dns {
    bool configured = false;              // the file has a [dns] section
    std::vector<std::string> forwarders;  // "IP" or "IP@PORT"; empty = /etc/resolv.conf
    std::string trust_anchor;             // DNSSEC trust anchor file; "" = no validation
    std::string local_data;               // local zone data file (unbound syntax)
    int timeout_ms = 5000;                // per query
    int max_queries = 50;                 // per message (dns::Budget)
  } dns;

  // [arc]: ARC (RFC 8617). Chains are verified whenever [dns] is configured;
  // sealing needs seal != off plus domain, selector and key.
  struct Arc {
    enum class Seal { Off, Modified, Always };
    Seal seal = Seal::Off;   // "off" | "modified" (postern changed the message) | "always"
    std::string domain;      // d= of the seals
    std::string selector;    // s= (the key record is <selector>._domainkey.<domain>)
    std::string key;         // PEM private key file (RSA 1024..8192 bits or Ed25519)
    int max_instances = 50;  // verify: longer chains fail; seal: never past it (RFC 8617: 50)
  } arc;
  // [dkim]: verification bounds (the dkim stage runs with [dns]) and signing keys
  // ([[dkim.sign]]: outbound mail is signed whenever one is configured).
  struct DkimKey {
    std::string domain;                    // d=, lower-case
    std::string selector;                  // s=
    std::string algorithm = "rsa-sha256";  // "rsa-sha256" | "ed25519-sha256"
    std::string key;                       // PEM private key file (resolved path)
    bool subdomains = false;               // also sign for From domains below `domain`
    int line = 0, column = 0;              // the entry in the file, for key loading errors
  };
  struct Dkim {
    bool allow_rsa_sha1 = false;  // RFC 8301: rsa-sha1 fails unless allowed
    int min_key_bits = 1024;      // RFC 8301: smaller RSA keys are permerror
    int max_signatures = 8;       // signatures evaluated per message
    // "native" (the signature core ARC uses too) | "libopendkim" (the reference library,
    // kept as the oracle of the differential test)
    std::string verifier = "native";
    std::vector<DkimKey> sign;
  } dkim;

  // [log]
  std::string log_target = "syslog";  // syslog | stderr
  std::string event_log;              // path, "-" = stdout, "" = off
};

postern::expected<Config, Errors> load_config(const std::string& path, bool missing_ok = false);

}  // namespace postern::policy
