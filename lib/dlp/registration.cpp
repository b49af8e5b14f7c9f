// lib/dlp: the dlp stage, [dlp], DLP_LIMIT, postern.dlp[] (see registration.hpp).
#include "dlp/registration.hpp"

#include <array>

#include "dlp/policy.hpp"
#include "dlp/stage.hpp"
#include "policy/policy.hpp"

namespace postern::dlp {
namespace {

constexpr std::array kDlpSymbols{
    core::SymbolInfo{"DLP_LIMIT", 1.0, core::Scope::Transaction,
                     "the DLP scan stopped at a bound (bytes of text or matches per message): "
                     "what was past it was not scanned"},
    core::SymbolInfo{"DLP_UNREADABLE", 0.0, core::Scope::Transaction,
                     "an attachment DLP could not read (encrypted, an archive nested too deep, "
                     "a PDF pdftotext could not read in time): its content was not checked"},
};

}  // namespace

const core::Registration& registration() {
  static const core::Registration r{
      .folder = "dlp",
      .symbols = kDlpSymbols,
      .policy_sections = {{.name = "dlp", .read = read_dlp, .defined = dlp_defined}},
      // Provides content.findings: composites may name DLP_ symbols.
      .stages = {{.name = "dlp",
                  .provides = {"content.findings", "dlp.findings"},
                  .needs = {"mime.analysis"},
                  .make = [](const core::StageContext& c) -> std::unique_ptr<core::Stage> {
                    const auto& dp = c.policy.sections.section<DlpPolicy>("dlp");
                    if (!dp.any_enabled()) return nullptr;
                    auto s = DlpScanner::build(dp);
                    if (!s) {
                      c.errors.push_back(s.error());
                      return nullptr;
                    }
                    return std::make_unique<DlpStage>(std::move(*s));
                  }}},
      .event_writers = {write_event},
  };
  return r;
}

}  // namespace postern::dlp
