// Registry: the folders' registrations, the stage and finisher order, the symbol
// catalogue, the unknown-symbol checks.
#include "scan/registry.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <tuple>

#include "attach/registration.hpp"
#include "auth/registration.hpp"
#include "content/bec_registration.hpp"
#include "content/registration.hpp"
#include "dlp/registration.hpp"
#include "dns/registration.hpp"
#include "limits/registration.hpp"
#include "mime/registration.hpp"
#include "quarantine/registration.hpp"
#include "ratelimit/registration.hpp"
#include "reputation/registration.hpp"
#include "scan/registration.hpp"
#include "smime/registration.hpp"
#include "state/registration.hpp"
#include "telemetry/metrics_config.hpp"
#include "tls/registration.hpp"
#include "url/click_registration.hpp"
#include "url/registration.hpp"

namespace postern::scan {

const std::vector<const core::Registration*>& registrations() {
  static const std::vector<const core::Registration*> all = {
      // The attach stage is registered before content's so that it runs right after
      // the mime stage, before the stages that spend the CPU budget: slow content must
      // not skip the attachment checks.
      &core::registration(),          &limits::registration(),      &dns::registration(),
      &reputation::registration(),    &attach::registration(),      &content::registration(),
      &smime::decrypt_registration(), &mime::registration(),        &auth::registration(),
      &scan::registration(),          &content::bec_registration(), &url::registration(),
      &url::click_registration(),     &state::registration(),       &ratelimit::registration(),
      &telemetry::registration(),     &quarantine::registration(),  &dlp::registration(),
      &tls::registration(),           &smime::registration()};
  return all;
}

namespace {

// Every folder's entries of one list (stages, finishers, ...), in run order.
template <class E>
postern::expected<std::vector<const E*>, std::string> ordered(
    std::vector<E> core::Registration::*list, std::string_view what) {
  std::vector<const E*> all;
  for (const auto* r : registrations())
    for (const auto& e : r->*list) all.push_back(&e);
  return order_entries(all, what);
}

}  // namespace

const postern::expected<std::vector<const core::StageEntry*>, std::string>& stage_order() {
  static const auto order = ordered(&core::Registration::stages, "stage");
  return order;
}

const postern::expected<std::vector<const core::FinisherEntry*>, std::string>& finisher_order() {
  static const auto order = ordered(&core::Registration::finishers, "finisher");
  return order;
}

const postern::expected<std::vector<const core::ModifierEntry*>, std::string>& modifier_order() {
  static const auto order = ordered(&core::Registration::modifiers, "modifier");
  return order;
}

const postern::expected<std::vector<const core::DisposerEntry*>, std::string>& disposer_order() {
  static const auto order = ordered(&core::Registration::disposers, "disposer");
  return order;
}

std::vector<core::ConfigSection> config_sections() {
  std::vector<core::ConfigSection> out;
  for (const auto* r : registrations())
    out.insert(out.end(), r->config_sections.begin(), r->config_sections.end());
  return out;
}

postern::expected<policy::Config, policy::Errors> load_config(const std::string& path,
                                                              bool missing_ok) {
  static const std::vector<core::ConfigSection> readers = config_sections();
  return policy::load_config(path, missing_ok, readers);
}

const std::vector<core::PolicySection>& policy_sections() {
  static const std::vector<core::PolicySection> all = [] {
    std::vector<core::PolicySection> out;
    for (const auto* r : registrations())
      out.insert(out.end(), r->policy_sections.begin(), r->policy_sections.end());
    return out;
  }();
  return all;
}

double effective_score(const policy::Policy& p, std::string_view symbol, double stage_score) {
  if (const core::SymbolInfo* info = find_builtin_symbol(symbol); info && !info->graded)
    stage_score = info->score;
  return p.score_for(symbol, stage_score);
}

bool is_connection_symbol(const policy::Policy& p, std::string_view symbol) {
  if (const core::SymbolInfo* info = find_builtin_symbol(symbol))
    return info->scope == core::Scope::Connection;
  for (const auto& z : p.dnsbl) {
    if (z.symbol == symbol) return true;
    for (const auto& [code, c] : z.codes)
      if (c.symbol == symbol) return true;
  }
  return false;
}

const std::vector<core::SymbolInfo>& builtin_symbols() {
  static const std::vector<core::SymbolInfo> all = [] {
    std::vector<core::SymbolInfo> v;
    for (const auto* r : registrations()) v.insert(v.end(), r->symbols.begin(), r->symbols.end());
    std::sort(v.begin(), v.end(), [](const auto& a, const auto& b) { return a.name < b.name; });
    return v;
  }();
  return all;
}

const core::SymbolInfo* find_builtin_symbol(std::string_view name) {
  const auto& all = builtin_symbols();
  auto it =
      std::lower_bound(all.begin(), all.end(), name,
                       [](const core::SymbolInfo& a, std::string_view n) { return a.name < n; });
  return it != all.end() && it->name == name ? &*it : nullptr;
}

std::vector<DefinedSymbol> policy_symbols(const policy::Policy& p) {
  std::vector<DefinedSymbol> out;
  for (const auto& l : p.lists) {
    core::Scope scope = l.match == policy::ListMatch::Recipient  ? core::Scope::Recipient
                        : l.match == policy::ListMatch::ClientIp ? core::Scope::Connection
                                                                 : core::Scope::Transaction;
    out.push_back({.name = l.symbol,
                   .score = l.score,
                   .scope = scope,
                   .description = fmt::format("a match in list {}", l.name),
                   .defined_by = fmt::format("list {}", l.name)});
  }
  for (const auto& z : p.dnsbl) {
    if (!z.symbol.empty())
      out.push_back({.name = z.symbol,
                     .score = z.score,
                     .scope = core::Scope::Connection,
                     .description = fmt::format("the client listed by {}", z.zone),
                     .defined_by = fmt::format("[dnsbl.{}]", z.name)});
    for (const auto& [code, c] : z.codes)
      out.push_back({.name = c.symbol,
                     .score = c.score,
                     .scope = core::Scope::Connection,
                     .description = fmt::format("the client listed by {} with {}", z.zone, code),
                     .defined_by = fmt::format("[dnsbl.{}] code {}", z.name, code)});
  }
  for (const auto& sec : policy_sections())
    if (sec.defined) sec.defined(p, out);
  return out;
}

namespace {

// Levenshtein distance, two rows; symbols are short (the caller bounds them).
size_t distance(std::string_view a, std::string_view b) {
  std::vector<size_t> prev(b.size() + 1), cur(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (size_t j = 1; j <= b.size(); ++j)
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] != b[j - 1])});
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

}  // namespace

std::string nearest_symbol(std::string_view name, const std::vector<std::string>& known) {
  if (name.size() > 128) return {};
  std::string best;
  size_t best_d = std::max<size_t>(3, name.size() / 3) + 1;  // close enough to be a typo
  for (const auto& k : known) {
    if (k.size() > 128) continue;
    size_t d = distance(name, k);
    if (d < best_d) best_d = d, best = k;
  }
  return best;
}

namespace {

// A symbol defined at a known place ([rules.X], [composites.X]) that is catalogued or
// defined before (lists and DNSBL zones first, then by file order and position): one
// error at that place, naming the other definition.
void check_defined_once(const policy::Policy& p, const std::vector<DefinedSymbol>& defined,
                        policy::Errors& errs) {
  auto place = [&](const DefinedSymbol& d) {
    size_t file =
        static_cast<size_t>(std::find(p.files.begin(), p.files.end(), d.file) - p.files.begin());
    return std::tuple(d.line != 0, file, d.line, d.column);
  };
  std::vector<const DefinedSymbol*> order;
  for (const auto& d : defined) order.push_back(&d);
  std::stable_sort(order.begin(), order.end(),
                   [&](const auto* a, const auto* b) { return place(*a) < place(*b); });
  std::map<std::string_view, const DefinedSymbol*, std::less<>> first;
  for (const DefinedSymbol* dp : order) {
    const DefinedSymbol& d = *dp;
    auto [it, fresh] = first.emplace(d.name, &d);
    if (d.line == 0) continue;
    std::string other;
    if (find_builtin_symbol(d.name)) {
      other = "a catalogued symbol";
    } else if (!fresh) {
      const DefinedSymbol& o = *it->second;
      other = o.line == 0 ? o.defined_by
                          : fmt::format("{} ({}:{}:{})", o.defined_by, o.file, o.line, o.column);
    } else {
      continue;
    }
    errs.push_back({d.file, d.line, d.column,
                    fmt::format("{}: {} is already defined by {}; a symbol has one definition",
                                d.defined_by, d.name, other)});
  }
}

}  // namespace

policy::Errors check_symbols(const policy::Policy& p) {
  std::vector<DefinedSymbol> defined = policy_symbols(p);
  std::vector<std::string> known;
  for (const auto& s : builtin_symbols()) known.emplace_back(s.name);
  for (const auto& s : defined) known.push_back(s.name);
  std::sort(known.begin(), known.end());
  policy::Errors errs;
  check_defined_once(p, defined, errs);
  for (const auto& r : p.symbol_refs) {
    if (std::binary_search(known.begin(), known.end(), r.symbol)) continue;
    policy::Error e = r.where;
    std::string near = nearest_symbol(r.symbol, known);
    e.message = fmt::format("{} names the unknown symbol {}{}", r.what, r.symbol,
                            near.empty() ? "" : fmt::format(" (did you mean {}?)", near));
    errs.push_back(std::move(e));
  }
  return errs;
}

policy::Errors check_sections(const policy::Policy& p) {
  policy::Errors errs;
  for (const auto& sec : policy_sections())
    if (sec.check) sec.check(p, errs);
  return errs;
}

postern::expected<policy::Policy, policy::Errors> load_checked_policy(
    const std::vector<std::string>& dirs) {
  auto pol = policy::load_policy(dirs, policy_sections());
  if (!pol) return pol;
  if (auto unknown = check_symbols(*pol); !unknown.empty()) return postern::unexpected(unknown);
  return pol;
}

}  // namespace postern::scan
