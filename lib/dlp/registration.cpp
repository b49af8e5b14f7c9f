// lib/dlp: the dlp stage, [dlp], DLP_LIMIT, postern.dlp[] (see registration.hpp).
#include "dlp/registration.hpp"

#include <array>
#include <optional>

#include "dlp/notify.hpp"
#include "dlp/pdf_reader.hpp"
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
                     "a PDF the PDF reader could not read in time): its content was not checked"},
};

// PdfReaderOptions of the policy, or nullopt when no PDF is read.
std::optional<PdfReaderOptions> pdf_options(const policy::Policy& p) {
  const auto& dp = p.sections.section<DlpPolicy>("dlp");
  if (!dp.any_enabled() || !dp.attachments || dp.pdf_reader.empty()) return std::nullopt;
  return PdfReaderOptions{.program = dp.pdf_reader, .readers = dp.pdf_readers};
}

}  // namespace

const core::Registration& registration() {
  static const core::Registration r{
      .folder = "dlp",
      .symbols = kDlpSymbols,
      .policy_sections = {{.name = "dlp", .read = read_dlp, .defined = dlp_defined}},
      // The PDF readers outlive snapshots: remade only when their options change.
      .services = {{.name = "dlp.pdf",
                    .make = [](const policy::Config&, const policy::Policy& p,
                               std::string&) -> std::shared_ptr<void> {
                      auto o = pdf_options(p);
                      return o ? std::make_shared<PdfReader>(std::move(*o)) : nullptr;
                    },
                    .changed =
                        [](const void* current, const policy::Config&, const policy::Config&,
                           const policy::Policy& p) {
                          auto o = pdf_options(p);
                          auto* r = static_cast<const PdfReader*>(current);
                          return !o || !r || !(r->options() == *o);
                        }}},
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
                    return std::make_unique<DlpStage>(std::move(*s),
                                                      c.services.get<PdfReader>("dlp.pdf"));
                  }}},
      .finishers = {{.name = "dlp-route",
                     .provides = {"dlp-route"},
                     .make =
                         [](const core::StageContext& c) -> std::shared_ptr<const core::Finisher> {
                       const auto& dp = c.policy.sections.section<DlpPolicy>("dlp");
                       for (const auto& rule : dp.rules)
                         if (rule.second.enabled && rule.second.action == "require_tls")
                           return std::make_shared<const RouteFinisher>();
                       return nullptr;
                     }}},
      // Registered after lib/quarantine, so it runs after the store: a message that
      // could not be stored is not announced.
      // After smime-guard: a message the guard stops (plain text under an encrypt rule)
      // is tempfailed, and its sender is not told it was delivered.
      .disposers = {{.name = "dlp-notify",
                     .provides = {"dlp-notify"},
                     .needs = {"smime.guard"},
                     .make =
                         [](const core::StageContext& c) -> std::shared_ptr<const core::Disposer> {
                       const auto& dp = c.policy.sections.section<DlpPolicy>("dlp");
                       bool any = false;
                       for (const auto& rule : dp.rules)
                         any = any || (rule.second.enabled && rule.second.notifies());
                       if (!any) return nullptr;
                       std::string from = dp.notify_from;
                       if (from.find('@') == std::string::npos)
                         from += "@" + (c.hostname.empty() ? std::string("localhost") : c.hostname);
                       return std::make_shared<const NotifyDisposer>(std::move(from),
                                                                     dp.notify_command);
                     }}},
      .event_writers = {write_event},
  };
  return r;
}

}  // namespace postern::dlp
