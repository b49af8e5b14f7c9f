// The ratelimit stage (checks at RCPT) and finisher (counts delivered messages).
#include "ratelimit/stage.hpp"

#include <fmt/format.h>

#include <map>

#include "core/address.hpp"
#include "core/digest.hpp"
#include "core/excerpt.hpp"
#include "core/ip.hpp"
#include "state/store.hpp"
#include "telemetry/metrics.hpp"

namespace postern::ratelimit {
namespace {

// What the stage learned in this transaction. The members are mutable: the
// transaction holds it as const (Transaction::put) and one thread drives it.
struct Memo {
  mutable std::map<std::string, uint64_t, std::less<>> counted;  // store key -> count in window
  mutable bool state_reported = false;
  mutable std::vector<Hit> hits;
};

const Memo& memo(core::Transaction& tx) {
  if (const Memo* m = tx.get<Memo>()) return *m;
  tx.put(std::make_shared<const Memo>());
  return *tx.get<Memo>();
}

bool applies(const RateRule& r, const core::Transaction& tx) {
  return r.directions.has(tx.direction()) && !exempt(r, tx.connection(), tx.envelope());
}

// What this transaction adds to `value`'s count with the recipients accepted so far
// (and `rcpt`, when not empty).
uint64_t pending(const RateRule& r, const core::Transaction& tx, std::string_view value,
                 std::string_view rcpt) {
  if (r.counting == Counting::Messages) return 1;
  uint64_t n = rcpt.empty() ? 0 : 1;
  for (const auto& a : tx.envelope().recipients)
    if (r.key != KeyKind::RcptDomain || core::domain_of(a) == value) ++n;
  return n;
}

void state_error(const state::Store& store) {
  telemetry::metrics::count_state_error(store.describe());
}

// The finding's detail: what was counted; for a tempfail rule, inside its reply text
// (the symbol's hard rule answers with the detail).
std::string detail(const RateRule& r, std::string_view shown, uint64_t total) {
  std::string counted = fmt::format(
      "rate limit {}: {} {}: {} {} in {} s, limit {}", r.name, to_string(r.key), shown, total,
      r.counting == Counting::Messages ? "messages" : "recipients", r.window.count(), r.limit);
  if (r.action != core::Action::Tempfail) return counted;
  const std::string_view text = r.text.empty() ? kDefaultText : std::string_view(r.text);
  if (size_t at = text.find("{detail}"); at != std::string_view::npos)
    return fmt::format("{}{}{}", text.substr(0, at), counted, text.substr(at + 8));
  return fmt::format("{} ({})", text, counted);
}

}  // namespace

std::string key_value(KeyKind k, const core::ConnectionInfo& c, const core::Envelope& e,
                      std::string_view rcpt) {
  switch (k) {
    case KeyKind::Sasl:
      return core::to_lower(c.sasl_user);
    case KeyKind::Sender:
      return core::to_lower(e.mail_from);
    case KeyKind::Ip: {
      auto a = core::IpAddress::parse(c.client_address);
      if (!a) return {};
      if (!a->v6) return a->to_string();
      for (size_t i = 8; i < 16; ++i) a->bytes[i] = 0;
      return a->to_string() + "/64";
    }
    case KeyKind::RcptDomain:
      return core::domain_of(rcpt);
  }
  return {};
}

std::string store_key(std::string_view rule, std::string_view value) {
  std::string in(rule);
  in.push_back('\n');
  in.append(value);
  return core::sha256_hex(in).substr(0, 32);
}

std::string shown_key(KeyKind k, std::string_view value) {
  if (k == KeyKind::Sasl || k == KeyKind::Sender) return core::mask(value);
  return std::string(value);
}

bool exempt(const RateRule& r, const core::ConnectionInfo& c, const core::Envelope& e) {
  if (!r.exempt_networks.empty())
    if (auto a = core::IpAddress::parse(c.client_address))
      for (const auto& n : r.exempt_networks)
        if (n.contains(*a)) return true;
  for (const auto& u : r.exempt_users) {
    if (!c.sasl_user.empty() && u.matches(c.sasl_user)) return true;
    if (!e.mail_from.empty() && u.matches(e.mail_from)) return true;
  }
  return false;
}

RateLimitStage::RateLimitStage(std::shared_ptr<state::Store> store, RateLimitPolicy policy,
                               Clock now)
    : store_(std::move(store)), policy_(std::move(policy)), now_(now ? now : state::now_seconds) {}

core::Step RateLimitStage::on_rcpt(core::Transaction& tx, std::string_view rcpt) const {
  const Memo& m = memo(tx);
  for (const RateRule& r : policy_.rules) {
    if (!applies(r, tx)) continue;
    const std::string value = key_value(r.key, tx.connection(), tx.envelope(), rcpt);
    if (value.empty()) continue;
    const std::string key = store_key(r.name, value);
    auto it = m.counted.find(key);
    if (it == m.counted.end()) {
      auto c = store_->hit(kNamespace, key, 0, r.window, now_());
      if (!c) {
        state_error(*store_);
        if (r.on_error == OnError::Tempfail)
          return core::Step::error(
              fmt::format("rate limit {}: state store: {}", r.name, state::to_string(c.error())));
        if (!m.state_reported) {
          m.state_reported = true;
          tx.add_finding("STATE_UNAVAILABLE", 0.0,
                         fmt::format("rate limit {} not checked: {}: {}", r.name,
                                     store_->describe(), state::to_string(c.error())));
        }
        continue;
      }
      it = m.counted.emplace(key, *c).first;
    }
    const uint64_t total = it->second + pending(r, tx, value, rcpt);
    if (total <= static_cast<uint64_t>(r.limit)) continue;
    const std::string shown = shown_key(r.key, value);
    tx.add_finding(r.symbol, 0.0, detail(r, shown, total));
    const bool known = std::any_of(m.hits.begin(), m.hits.end(), [&](const Hit& h) {
      return h.rule == r.name && h.key_hash == key;
    });
    if (!known)
      m.hits.push_back({.rule = r.name,
                        .key = shown,
                        .symbol = r.symbol,
                        .key_hash = key,
                        .kind = r.key,
                        .count = total,
                        .limit = r.limit,
                        .window = r.window.count(),
                        .action = r.action});
  }
  return core::Step::next();
}

RateLimitFinisher::RateLimitFinisher(std::shared_ptr<state::Store> store, RateLimitPolicy policy,
                                     Clock now)
    : store_(std::move(store)), policy_(std::move(policy)), now_(now ? now : state::now_seconds) {}

void RateLimitFinisher::finish(const core::Transaction& tx, const core::Message& /*leaving*/,
                               core::Outcome& /*out*/) const {
  const auto& rcpts = tx.envelope().recipients;
  if (rcpts.empty()) return;
  const int64_t t = now_();
  for (const RateRule& r : policy_.rules) {
    if (!applies(r, tx)) continue;
    // key value -> what this message adds
    std::map<std::string, uint32_t, std::less<>> add;
    if (r.key == KeyKind::RcptDomain) {
      for (const auto& a : rcpts) {
        std::string d = core::domain_of(a);
        if (d.empty()) continue;
        uint32_t& n = add[d];
        n = r.counting == Counting::Messages ? 1 : n + 1;
      }
    } else {
      std::string v = key_value(r.key, tx.connection(), tx.envelope(), {});
      if (v.empty()) continue;
      add[v] = r.counting == Counting::Messages ? 1 : static_cast<uint32_t>(rcpts.size());
    }
    for (const auto& [value, n] : add)
      if (!store_->hit(kNamespace, store_key(r.name, value), n, r.window, t)) state_error(*store_);
  }
}

const std::vector<Hit>& hits(const core::Transaction& tx) {
  static const std::vector<Hit> none;
  const Memo* m = tx.get<Memo>();
  return m ? m->hits : none;
}

}  // namespace postern::ratelimit
