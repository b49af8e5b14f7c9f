// Registry: every folder's registration (lib/<folder>/registration.cpp, see
// core/registration.hpp) in one list, the stage and finisher order they declare,
// every finding symbol postern knows, and the policy checks that use them.
//
// Contract: `registrations()` lists the folders in a fixed order (core, limits,
// dns, reputation, content, mime, auth): the tie-break of the stage order and the
// order config sections are read in. `order_entries` sorts entries by their
// provides/needs tags (Kahn's algorithm; among entries free to go, the earliest
// first_event, then the earliest registered): deterministic, and an error naming
// the entries of a cycle or a tag no entry provides. `stage_order()` and
// `finisher_order()` are the registry's, computed once. `builtin_symbols()` is
// built once (thread-safe static) and sorted by name. `policy_symbols(p)` are the symbols a policy
// defines itself (its lists, DNSBL zones and return codes; its sections' `defined`).
// `check_symbols(p)` returns one error per rule or score that names a symbol in neither, at its
// file:line:column, with the nearest known name, and one per symbol a section defines ([rules.X],
// [composites.X]) that is already catalogued or defined by another part of the policy, at the later
// definition. (Lists and DNSBL codes may share a symbol.) Pure functions otherwise.
#pragma once

#include <algorithm>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/format.h>

#include "core/expected.hpp"
#include "core/registration.hpp"
#include "core/symbols.hpp"
#include "policy/config.hpp"
#include "policy/policy.hpp"

namespace postern::scan {

const std::vector<const core::Registration*>& registrations();

// `entries` in run order, or an error: "stage order: cycle between a, b" /
// "stage order: c needs 'x', which no stage provides". E is any entry with name,
// provides, needs and first_event (core::StageEntry, core::FinisherEntry, ...).
template <class E>
postern::expected<std::vector<const E*>, std::string> order_entries(
    const std::vector<const E*>& entries, std::string_view what) {
  std::map<std::string_view, std::vector<size_t>> providers;
  for (size_t i = 0; i < entries.size(); ++i)
    for (auto tag : entries[i]->provides) providers[tag].push_back(i);
  std::vector<std::set<size_t>> after(entries.size());  // i runs after each of after[i]
  for (size_t i = 0; i < entries.size(); ++i) {
    for (auto tag : entries[i]->needs) {
      auto it = providers.find(tag);
      if (it == providers.end())
        return postern::unexpected(fmt::format("{} order: {} needs '{}', which no {} provides",
                                               what, entries[i]->name, tag, what));
      for (size_t p : it->second)
        if (p != i) after[i].insert(p);
    }
  }
  std::vector<const E*> out;
  std::vector<bool> done(entries.size(), false);
  while (out.size() < entries.size()) {
    std::optional<size_t> next;
    for (size_t i = 0; i < entries.size(); ++i) {
      if (done[i] ||
          !std::all_of(after[i].begin(), after[i].end(), [&](size_t p) { return done[p]; }))
        continue;
      if (!next || entries[i]->first_event < entries[*next]->first_event) next = i;
    }
    if (!next) {
      std::string names;
      for (size_t i = 0; i < entries.size(); ++i)
        if (!done[i]) names += fmt::format("{}{}", names.empty() ? "" : ", ", entries[i]->name);
      return postern::unexpected(fmt::format("{} order: cycle between {}", what, names));
    }
    done[*next] = true;
    out.push_back(entries[*next]);
  }
  return out;
}

// The registry's stages and finishers in run order (an error is a programming
// error in a registration: load_snapshot reports it, make_snapshot throws).
const postern::expected<std::vector<const core::StageEntry*>, std::string>& stage_order();
const postern::expected<std::vector<const core::FinisherEntry*>, std::string>& finisher_order();
const postern::expected<std::vector<const core::ModifierEntry*>, std::string>& modifier_order();
const postern::expected<std::vector<const core::DisposerEntry*>, std::string>& disposer_order();

// Every folder's config section readers, in registry order (scan::load_config).
std::vector<core::ConfigSection> config_sections();

// policy::load_config with every folder's section readers.
postern::expected<policy::Config, policy::Errors> load_config(const std::string& path,
                                                              bool missing_ok = false);

// Whether a finding is about the connection (the client's address or HELO name):
// a catalogued symbol of Scope::Connection, or a DNSBL zone's symbol of `p`.
// An authenticated client is not judged by those (scan::Session::mail_from).
bool is_connection_symbol(const policy::Policy& p, std::string_view symbol);

const std::vector<core::SymbolInfo>& builtin_symbols();
const core::SymbolInfo* find_builtin_symbol(std::string_view name);

// A finding's score: the catalogue's default for a catalogued symbol (a graded one
// keeps the score its stage gave), else the stage's; then the policy's [scores]
// override. What the session gives every finding.
double effective_score(const policy::Policy& p, std::string_view symbol, double stage_score);

// What a policy defines: each list's symbol (its scope from the list's match),
// each DNSBL zone's and return code's, and what the folders' policy sections
// define (a rule's symbol). Descriptions name the list, zone or rule.
using core::DefinedSymbol;
std::vector<DefinedSymbol> policy_symbols(const policy::Policy& p);

// Every folder's policy sections ([rules], ...), for policy::load_policy.
const std::vector<core::PolicySection>& policy_sections();

policy::Errors check_symbols(const policy::Policy& p);

// policy::load_policy, then check_symbols: what the daemon, `postern policy
// check` and `postern scan --policy-dir` load, so a typo is refused everywhere.
postern::expected<policy::Policy, policy::Errors> load_checked_policy(
    const std::vector<std::string>& dirs);

// Every policy section's `check` (core::PolicySection): what only compiling the
// policy shows (a field's rules over their RE2 set's memory). `postern policy check`
// runs it after load_checked_policy; the daemon finds the same when it builds the
// snapshot, so it does not compile twice.
policy::Errors check_sections(const policy::Policy& p);

// The known name closest to `name` (edit distance), "" when none is close.
std::string nearest_symbol(std::string_view name, const std::vector<std::string>& known);

}  // namespace postern::scan
