// lib/content: the header_sanity stage, the HEADER_* symbols, the banner modifier.
#include "content/registration.hpp"

#include "auth/dmarc.hpp"
#include "content/banner.hpp"
#include "content/header_sanity.hpp"
#include "content/heuristics.hpp"
#include "content/symbols.hpp"
#include "policy/policy.hpp"

namespace postern::content {

const core::Registration& registration() {
  static const core::Registration r{
      .folder = "content",
      .symbols = symbols(),
      .policy_sections = {{.name = "heuristics", .read = read_heuristics_policy}},
      .stages = {{.name = "header_sanity",
                  .provides = {"headers.checked"},
                  .needs = {"limits"},
                  .make = [](const core::StageContext&) -> std::unique_ptr<core::Stage> {
                    return std::make_unique<HeaderSanityStage>();
                  }},
                 {.name = "heuristics",
                  .provides = {"content.findings"},
                  .needs = {"mime.analysis"},
                  .make = [](const core::StageContext& c) -> std::unique_ptr<core::Stage> {
                    // The PSL service when present, else the process-wide list.
                    auto psl = c.services.get<const auth::PublicSuffix>("auth.psl");
                    if (!psl)
                      psl = std::shared_ptr<const auth::PublicSuffix>(
                          &auth::PublicSuffix::instance(), [](const auth::PublicSuffix*) {});
                    return std::make_unique<HeuristicsStage>(
                        c.policy.sections.section<HeuristicsPolicy>("heuristics"), std::move(psl));
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
