// lib/content: the header_sanity, classifier, rules, heuristics and composites
// stages, their policy sections ([classifier], [rules], [composites],
// [heuristics]), the "content.classifier" model service, the content symbols,
// the banner modifier.
#include "content/registration.hpp"

#include "auth/dmarc.hpp"
#include "content/banner.hpp"
#include "content/classifier_stage.hpp"
#include "content/composites.hpp"
#include "content/header_sanity.hpp"
#include "content/heuristics.hpp"
#include "content/rules.hpp"
#include "content/symbols.hpp"
#include "policy/policy.hpp"
#include "telemetry/metrics.hpp"

namespace postern::content {
namespace {

// postern_rule_hits_total{rule}: the hit counts of the rules of the rule set built
// last, counted in counters every set shares (hit_counters()), so a reload does not
// start them at 0 again.
void expose_hits(const std::shared_ptr<const RuleSet>& set) {
  std::weak_ptr<const RuleSet> weak = set;
  telemetry::metrics::global().collector("postern_rule_hits_total",
                                         "Content rule hits since the daemon started, by rule.",
                                         "counter", {"rule"}, [weak] {
                                           std::vector<telemetry::metrics::Sample> out;
                                           if (auto s = weak.lock())
                                             for (const auto& [rule, n] : s->hit_counts())
                                               out.push_back({{rule}, static_cast<double>(n)});
                                           return out;
                                         });
}

const std::shared_ptr<HitCounters>& hit_counters() {
  static const auto counters = std::make_shared<HitCounters>();
  return counters;
}

}  // namespace

std::shared_ptr<const auth::PublicSuffix> public_suffixes(const core::StageContext& c) {
  if (auto psl = c.services.get<const auth::PublicSuffix>("auth.psl")) return psl;
  return std::shared_ptr<const auth::PublicSuffix>(&auth::PublicSuffix::instance(),
                                                   [](const auth::PublicSuffix*) {});
}

const core::Registration& registration() {
  static const core::Registration r{
      .folder = "content",
      .symbols = symbols(),
      .policy_sections =
          {kClassifierSection,
           {.name = "rules", .read = read_rules, .defined = rules_defined, .check = rules_check},
           {.name = "composites", .read = read_composites, .defined = composites_defined},
           {.name = "heuristics", .read = read_heuristics_policy}},
      .services = {classifier_service()},
      .stages = {{.name = "header_sanity",
                  .provides = {"headers.checked"},
                  .needs = {"limits"},
                  .make = [](const core::StageContext&) -> std::unique_ptr<core::Stage> {
                    return std::make_unique<HeaderSanityStage>();
                  }},
                 // Every stage that adds content findings provides "content.findings", so
                 // the composites stage runs after all of them.
                 // The stages that read content::fields run after the url stage's list.
                 {.name = "rules",
                  .provides = {"content.findings"},
                  .needs = {"mime.analysis", "url.list"},
                  .make = [](const core::StageContext& c) -> std::unique_ptr<core::Stage> {
                    const auto& rp = c.policy.sections.section<RulesPolicy>("rules");
                    if (rp.rules.empty()) return nullptr;
                    auto set = RuleSet::build(rp, kMaxFieldBytes, hit_counters());
                    if (!set) {
                      c.errors.push_back(set.error());
                      return nullptr;
                    }
                    expose_hits(*set);
                    return std::make_unique<RulesStage>(std::move(*set));
                  }},
                 {.name = "composites",
                  .provides = {"content.composites"},
                  .needs = {"content.findings", "headers.checked", "dmarc", "lists"},
                  .make = [](const core::StageContext& c) -> std::unique_ptr<core::Stage> {
                    const auto& cp = c.policy.sections.section<CompositesPolicy>("composites");
                    if (cp.composites.empty()) return nullptr;
                    std::set<std::string, std::less<>> rule_names;
                    for (const auto& [n, r] : c.policy.sections.section<RulesPolicy>("rules").rules)
                      rule_names.insert(n);
                    auto set = CompositeSet::build(cp, rule_names);
                    if (!set) {
                      c.errors.push_back(set.error());
                      return nullptr;
                    }
                    return std::make_unique<CompositesStage>(std::move(*set));
                  }},
                 {.name = "heuristics",
                  .provides = {"content.findings"},
                  .needs = {"mime.analysis", "url.list"},
                  .make = [](const core::StageContext& c) -> std::unique_ptr<core::Stage> {
                    return std::make_unique<HeuristicsStage>(
                        c.policy.sections.section<HeuristicsPolicy>("heuristics"),
                        public_suffixes(c));
                  }},
                 // The classifier reads the mime stage's and the header checks' findings.
                 {.name = "classifier",
                  .provides = {"content.findings"},
                  .needs = {"mime.analysis", "headers.checked", "url.list"},
                  .services = {"content.classifier"},
                  .make = [](const core::StageContext& c) -> std::unique_ptr<core::Stage> {
                    const auto& pol = c.policy.sections.section<ClassifierPolicy>("classifier");
                    if (!pol.enabled) return nullptr;
                    return std::make_unique<ClassifierStage>(
                        c.services.get<const LoadedModel>("content.classifier"), pol);
                  }}},
      // The banner edits the body: before the archive's envelope edits (which copy it).
      .modifiers = {{.name = "banner",
                     .provides = {"body.edited"},
                     .make =
                         [](const core::StageContext& c) -> std::shared_ptr<const core::Modifier> {
                       if (c.policy.banner.text.empty()) return nullptr;
                       return std::make_shared<BannerModifier>(c.policy.banner);
                     }}},
  };
  return r;
}

}  // namespace postern::content
