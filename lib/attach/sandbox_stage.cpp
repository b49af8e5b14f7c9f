// The sandbox policy section, stage and disposer (see sandbox_stage.hpp).
#include "attach/sandbox_stage.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <set>

#include "attach/stage.hpp"
#include "attach/symbols.hpp"
#include "core/excerpt.hpp"
#include "policy/toml_reader.hpp"
#include "telemetry/log.hpp"

namespace postern::attach {

void read_sandbox_policy(policy::TomlSection& s, policy::Policy& p) {
  SandboxPolicy sp = p.sections.has_section("sandbox")
                         ? p.sections.section<SandboxPolicy>("sandbox")
                         : SandboxPolicy{};
  if (auto v = s.boolean("enabled")) sp.enabled = *v;
  if (auto v = s.strings("types")) {
    for (const auto& t : *v) {
      FileClass c;
      if (!parse_class(t, c))
        s.error(*s.node("types"), fmt::format("'types': unknown file class '{}'", t));
      else if (std::find(sp.types.begin(), sp.types.end(), c) == sp.types.end())
        sp.types.push_back(c);
    }
  }
  if (auto v = s.string("when")) {
    const toml::node& n = *s.node("when");
    if (v->size() > content::kMaxExpressionBytes) {
      s.error(n, fmt::format("'when': longer than {} bytes", content::kMaxExpressionBytes));
    } else if (v->empty()) {
      sp.when.clear();
      sp.parsed_when = {};
    } else if (auto parsed = content::parse_expression(*v); !parsed) {
      s.error(n, fmt::format("'when': {} (at byte {})", parsed.error().message,
                             parsed.error().offset + 1));
    } else {
      sp.when = *v;
      sp.parsed_when = std::move(*parsed);
      for (const auto& name : sp.parsed_when.names)
        p.symbol_refs.push_back(
            {name.symbol, "[sandbox] when", policy::error_at(s.file(), n.source(), "")});
    }
  }
  policy::read_direction(s, sp.directions);
  if (auto v = s.integer("max_files", 0, 100)) sp.max_files = size_t(*v);
  s.finish();
  p.sections.set_section("sandbox", std::move(sp));
}

core::Step SandboxStage::on_message(core::Transaction& tx) const {
  const auto* cand = tx.get<SandboxCandidates>();
  if (!cand || (cand->files.empty() && cand->over_count == 0)) return core::Step::next();
  auto report = std::make_shared<SandboxReport>();
  if (!policy_.when.empty()) {
    std::set<std::string, std::less<>> present;
    for (const auto& f : tx.findings()) present.insert(f.symbol);
    if (!policy_.parsed_when.eval(present)) {
      tx.put<SandboxReport>(std::move(report));
      return core::Step::next();
    }
  }
  report->sent = true;
  auto hold = std::make_shared<SandboxHold>();
  std::vector<std::string> malicious, pending, unchecked;
  for (const auto& f : cand->files) {
    SandboxVerdict v = f.data ? sandbox_->verdict(f.sha256, *f.data, f.name)
                              : SandboxVerdict{SandboxVerdict::Kind::TooLarge, {}};
    const std::string shown = f.name.empty() ? "unnamed file" : std::string(shown_name(f.name));
    switch (v.kind) {
      case SandboxVerdict::Kind::Malicious:
        malicious.push_back(fmt::format("{}: {}", shown, v.detail));
        break;
      case SandboxVerdict::Kind::Unanswered:
        pending.push_back(shown);
        hold->files.push_back({{f.sha256, f.name}, f.data});
        break;
      case SandboxVerdict::Kind::TooLarge:
        unchecked.push_back(
            fmt::format("{} ({} bytes, over the sandbox's max_size)", shown, f.size));
        break;
      case SandboxVerdict::Kind::Clean:
        break;
    }
    report->files.push_back({f.sha256, f.name, std::move(v)});
  }
  if (cand->over_count)
    unchecked.push_back(fmt::format("{} more files of the sandbox's types (max_files = {})",
                                    cand->over_count, policy_.max_files));
  auto named = [](const std::vector<std::string>& v) {
    std::string s = fmt::format(
        "{}", fmt::join(v.begin(), v.begin() + std::min<size_t>(v.size(), kMaxNamed), "; "));
    if (v.size() > kMaxNamed) s += fmt::format("; and {} more", v.size() - kMaxNamed);
    return s;
  };
  if (!malicious.empty())
    tx.add_finding("ATTACH_SANDBOX_MALICIOUS", default_score("ATTACH_SANDBOX_MALICIOUS"),
                   named(malicious));
  else if (!pending.empty())
    tx.add_finding("ATTACH_SANDBOX_PENDING", default_score("ATTACH_SANDBOX_PENDING"),
                   fmt::format("held until the sandbox ({}) answers: {}", sandbox_->describe(),
                               named(pending)));
  if (!unchecked.empty())
    tx.add_finding("ATTACH_SANDBOX_UNCHECKED", default_score("ATTACH_SANDBOX_UNCHECKED"),
                   named(unchecked));
  if (malicious.empty() && !hold->files.empty()) tx.put<SandboxHold>(std::move(hold));
  tx.put<SandboxReport>(std::move(report));
  return core::Step::next();
}

std::optional<std::string> SandboxDisposer::dispose(const core::Transaction& tx,
                                                    const core::Message&,
                                                    const core::Outcome& out) const {
  const auto* hold = tx.get<SandboxHold>();
  if (!hold || hold->files.empty() || out.verdict.action != core::Action::Quarantine)
    return std::nullopt;
  PendingRecord r;
  r.queue_id = tx.envelope().queue_id;
  if (r.queue_id.empty()) {
    // `postern scan`, or an MTA that does not send the macro i: held with no record.
    telemetry::log_warn(
        "{}: sandbox: held without a release record (no queue id): release it "
        "by hand",
        tx.scan_id());
    return std::nullopt;
  }
  r.scan_id = tx.scan_id();
  r.held_at = std::chrono::duration_cast<std::chrono::seconds>(
                  std::chrono::system_clock::now().time_since_epoch())
                  .count();
  for (const auto& f : hold->files) r.files.push_back(f.file);
  return sandbox_->hold(r, hold->files);
}

}  // namespace postern::attach
