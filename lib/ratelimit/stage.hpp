// The ratelimit stage and its finisher: sliding-window counts per SASL user,
// envelope sender, client address (IPv6 by /64) or recipient domain, kept in the
// state store (state/store.hpp: Store::hit), so MTAs sharing one Redis share
// the counts.
//
// Contract: at each RCPT the stage reads (hit with n = 0, once per rule and key
// per transaction, then remembered) how much each rule's key counted in its
// window, adds what this transaction would add (messages: 1 per key; recipients:
// the recipients accepted so far with that key, plus this one) and, when that
// is over the limit, adds the rule's finding about this recipient (its hard rule,
// policy.hpp, then tempfails it at RCPT or holds or tags the message). Counts are
// added only by the finisher, once per message that is delivered or held (a
// finisher never runs for reject, tempfail or discard): a message refused for
// being over the limit, retried by the client every few minutes, never counts,
// so a client that stops sending gets through as soon as its window has room.
// Two MTAs reading the count at once may let both messages through: the overshoot
// is at most one message per concurrent transaction. A state store error: the
// rule's on_error: accept (one STATE_UNAVAILABLE finding per transaction, the
// rest of the scan goes on) or tempfail (the stage fails: [scan] on_error for
// stage "ratelimit"). Keys in the store are SHA-256(rule "\n" key) cut to 16
// bytes, in hex: the store holds no address. Immutable; shared by threads.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/finisher.hpp"
#include "core/stage.hpp"
#include "ratelimit/policy.hpp"

namespace postern::state {
class Store;
}

namespace postern::ratelimit {

inline constexpr std::string_view kNamespace = "rate";

// What one rule counts for this transaction and recipient: the SASL user
// (lower case), the envelope sender (lower case; "" for the null sender), the
// client address (IPv4 as is, IPv6 as its /64: "2001:db8:1:2::/64"), the
// recipient's domain. "" = the rule does not apply.
std::string key_value(KeyKind k, const core::ConnectionInfo& c, const core::Envelope& e,
                      std::string_view rcpt);
// The store key of (rule, value): 32 hex digits.
std::string store_key(std::string_view rule, std::string_view value);
// The value as a finding and the event show it: addresses masked, addresses of
// clients and domains as they are.
std::string shown_key(KeyKind k, std::string_view value);
// Whether the rule leaves this transaction alone (its exempt networks, users).
bool exempt(const RateRule& r, const core::ConnectionInfo& c, const core::Envelope& e);

// A rule over its limit in this transaction (for the event: postern.rate_limit).
struct Hit {
  std::string rule, key, symbol, key_hash;
  KeyKind kind = KeyKind::Sasl;
  uint64_t count = 0;
  int64_t limit = 0, window = 0;
  core::Action action = core::Action::Tempfail;
};

// Unix seconds now (tests pass their own clock).
using Clock = int64_t (*)();

class RateLimitStage final : public core::Stage {
 public:
  RateLimitStage(std::shared_ptr<state::Store> store, RateLimitPolicy policy, Clock now = nullptr);
  std::string_view name() const override { return "ratelimit"; }
  core::Step on_rcpt(core::Transaction& tx, std::string_view rcpt) const override;

 private:
  std::shared_ptr<state::Store> store_;
  RateLimitPolicy policy_;
  Clock now_;
};

class RateLimitFinisher final : public core::Finisher {
 public:
  RateLimitFinisher(std::shared_ptr<state::Store> store, RateLimitPolicy policy,
                    Clock now = nullptr);
  std::string_view name() const override { return "ratelimit"; }
  bool needs_message(const core::Transaction&) const override { return false; }
  void finish(const core::Transaction& tx, const core::Message& leaving,
              core::Outcome& out) const override;

 private:
  std::shared_ptr<state::Store> store_;
  RateLimitPolicy policy_;
  Clock now_;
};

// The rules over their limit in `tx` (empty when none).
const std::vector<Hit>& hits(const core::Transaction& tx);

}  // namespace postern::ratelimit
