// RateLimitPolicy: the [ratelimit.NAME] tables of the policy files, what the
// ratelimit stage (ratelimit/stage.hpp) counts and when it is over.
//
// Contract: `read_ratelimit_policy` is the [ratelimit] policy section reader
// (registered by lib/ratelimit). Each [ratelimit.NAME] is one rule:
//   key = "sasl" | "sender" | "ip" | "rcpt_domain"   (required)
//   limit = 1..10^9, window = seconds (integer) or "90s" / "10m" / "1h" / "2d",
//     1 s .. 366 days                                   (both required)
//   count = "messages" (default) | "recipients"
//   direction = "inbound" | "outbound" | "both" (default: outbound for sasl and
//     sender, both for ip and rcpt_domain)
//   action = "tempfail" (default) | "quarantine" | "tag"; text = the SMTP reply
//     text of a tempfail ({detail} is the finding's detail; default kDefaultText)
//   symbol = the finding (default RATE_LIMIT_<KEY>); on_error = "accept"
//     (default) | "tempfail"; exempt_networks = [CIDR...], exempt_users =
//     [address patterns, as in lists: "a@b", "@b", "b", "a@"]; enabled = false
//     removes a rule an earlier file defined.
// A later file's rule of the same name replaces it whole. The rule's action is
// written as a hard rule for its symbol in its directions ([inbound.rules] /
// [outbound.rules]: the policy decides, the stage only finds), with the reply
// text "{detail}": a tempfail rule's finding detail is its reply text (its
// `text`, "{detail}" in it replaced by what was counted, else followed by it in
// parentheses). So rules that share a symbol must share the action (otherwise
// an error asks for a `symbol` of its own), not the text. Every error is at file:line:column. Pure;
// not thread-safe while loading, immutable afterwards.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/action.hpp"
#include "core/ip.hpp"
#include "policy/error.hpp"
#include "policy/policy.hpp"

namespace postern::ratelimit {

enum class KeyKind { Sasl, Sender, Ip, RcptDomain };
std::string_view to_string(KeyKind k);  // "sasl", "sender", "ip", "rcpt_domain"

enum class Counting { Messages, Recipients };
enum class OnError { Accept, Tempfail };

inline constexpr int64_t kMaxLimit = 1000000000;
inline constexpr size_t kMaxRules = 256;
inline constexpr std::string_view kSection = "ratelimit";
inline constexpr std::string_view kDefaultText = "Rate limit reached, try again later";

struct RateRule {
  std::string name;
  KeyKind key = KeyKind::Sasl;
  int64_t limit = 0;
  std::chrono::seconds window{0};
  Counting counting = Counting::Messages;
  policy::Directions directions;
  core::Action action = core::Action::Tempfail;
  std::string text;    // reply text; "" = the default
  std::string symbol;  // RATE_LIMIT_<KEY> unless set
  bool own_symbol = false;
  OnError on_error = OnError::Accept;
  std::vector<core::Cidr> exempt_networks;
  std::vector<policy::AddressPattern> exempt_users;
  policy::Error at;  // the rule's table, for errors and `postern symbols`
};

struct RateLimitPolicy {
  std::vector<RateRule> rules;  // in the order first defined
};

// The default symbol of a key kind: RATE_LIMIT_SASL, _SENDER, _IP, _RCPT_DOMAIN.
std::string default_symbol(KeyKind k);

// "3600", "90s", "10m", "1h", "2d" -> seconds; nullopt when malformed or out of range.
std::optional<std::chrono::seconds> parse_window(std::string_view s);

void read_ratelimit_policy(policy::TomlSection& s, policy::Policy& p);
void ratelimit_defined(const policy::Policy& p, std::vector<core::DefinedSymbol>& out);
const RateLimitPolicy& ratelimit_policy(const policy::Policy& p);

}  // namespace postern::ratelimit
