// lib/content: the header_sanity and classifier stages (with the [classifier] policy
// section and the "content.classifier" model service), the symbols, the banner modifier.
#include "content/registration.hpp"

#include "content/banner.hpp"
#include "content/classifier_stage.hpp"
#include "content/header_sanity.hpp"
#include "content/symbols.hpp"
#include "policy/policy.hpp"

namespace postern::content {

const core::Registration& registration() {
  static const core::Registration r{
      .folder = "content",
      .symbols = symbols(),
      .policy_sections = {kClassifierSection},
      .services = {classifier_service()},
      .stages = {{.name = "header_sanity",
                  .provides = {"headers.checked"},
                  .needs = {"limits"},
                  .make = [](const core::StageContext&) -> std::unique_ptr<core::Stage> {
                    return std::make_unique<HeaderSanityStage>();
                  }},
                 {.name = "classifier",
                  .provides = {"content.findings"},
                  .needs = {"mime.analysis"},
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
