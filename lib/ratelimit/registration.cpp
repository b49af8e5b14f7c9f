// lib/ratelimit: the [ratelimit] policy section, the ratelimit stage and finisher
// (on the "state" service), the RATE_LIMIT_* symbols, postern.rate_limit in the event.
#include "ratelimit/registration.hpp"

#include <nlohmann/json.hpp>

#include "policy/policy.hpp"
#include "ratelimit/policy.hpp"
#include "ratelimit/stage.hpp"
#include "ratelimit/symbols.hpp"
#include "state/config.hpp"
#include "state/store.hpp"

namespace postern::ratelimit {
namespace {

// postern.rate_limit: one object per rule over its limit, for a SIEM to alert on.
void write_event(const core::Transaction& tx, nlohmann::json& event) {
  const auto& hs = hits(tx);
  if (hs.empty()) return;
  nlohmann::json a = nlohmann::json::array();
  for (const Hit& h : hs)
    a.push_back({{"rule", h.rule},
                 {"key_kind", std::string(to_string(h.kind))},
                 {"key", h.key},
                 {"key_hash", h.key_hash},
                 {"symbol", h.symbol},
                 {"count", h.count},
                 {"limit", h.limit},
                 {"window_seconds", h.window},
                 {"action", std::string(core::to_string(h.action))}});
  event["postern"]["rate_limit"] = std::move(a);
}

}  // namespace

const core::Registration& registration() {
  static const core::Registration r{
      .folder = "ratelimit",
      .symbols = symbols(),
      .policy_sections = {{.name = kSection,
                           .read = read_ratelimit_policy,
                           .defined = ratelimit_defined}},
      .stages = {{.name = "ratelimit",
                  .provides = {"ratelimit"},
                  .needs = {"limits"},
                  .services = {state::kStateService},
                  .first_event = core::Event::Rcpt,
                  .make = [](const core::StageContext& c) -> std::unique_ptr<core::Stage> {
                    const RateLimitPolicy& p = ratelimit_policy(c.policy);
                    auto store = c.services.get<state::Store>(state::kStateService);
                    if (p.rules.empty() || !store) return nullptr;
                    return std::make_unique<RateLimitStage>(std::move(store), p);
                  }}},
      .finishers = {{.name = "ratelimit",
                     .provides = {"ratelimit.count"},
                     .services = {state::kStateService},
                     .make =
                         [](const core::StageContext& c) -> std::shared_ptr<const core::Finisher> {
                       const RateLimitPolicy& p = ratelimit_policy(c.policy);
                       auto store = c.services.get<state::Store>(state::kStateService);
                       if (p.rules.empty() || !store) return nullptr;
                       return std::make_shared<RateLimitFinisher>(std::move(store), p);
                     }}},
      .event_writers = {write_event},
  };
  return r;
}

}  // namespace postern::ratelimit
