// Content rules: the policy's [rules.SYMBOL] tables (a pattern over one field of
// the message), compiled once per snapshot into one RE2::Set per field, and the
// `rules` stage that scans each field once per message.
//
// Contract: `read_rules` is the [rules] policy reader (registered by
// lib/content): it validates each rule (name, field, pattern compiled with RE2,
// score, keys) and reports problems at file:line:column; a later file's
// [rules.X] replaces X. `RuleSet::build` compiles the rules of a policy on the
// thread that builds the snapshot; the result is immutable but for the hit
// counters (atomics), shared read-only by every connection thread. `match`
// reads `content::fields(tx)` (and, for `header:NAME`, the decoded fields of
// that name) and returns one Hit per rule that matched, with the span of its
// first match for the excerpt. Bounded: at most kMaxRules rules, patterns of at
// most kMaxPatternBytes (each compiling within kRuleMaxMem, else an error at the
// pattern when read), each Set limited to kSetMaxMem bytes of memory (a field
// whose rules do not compile as one Set within it is a policy error at its
// largest rule, from `postern policy check` and at load), and at
// most `max_field_bytes` bytes of each field scanned (a value cut there or
// skipped past it sets Scan::truncated). A Set whose DFA runs out of memory
// while matching is not a silent miss: its rules are run one by one (each RE2
// falls back to its NFA) and Scan::fallback names the field. Cost linear in the bytes scanned times
// the number of fields with rules. Never throws on hostile input.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "core/expected.hpp"
#include "core/stage.hpp"
#include "core/symbols.hpp"
#include "policy/error.hpp"
#include "policy/policy.hpp"

namespace re2 {
class RE2;
class Set;
}  // namespace re2

namespace postern::policy {
class TomlSection;
}

namespace postern::content {

inline constexpr size_t kMaxRules = 2000;
inline constexpr size_t kMaxPatternBytes = 2000;
inline constexpr int64_t kSetMaxMem = 64ll << 20;   // per field's Set
inline constexpr int64_t kRuleMaxMem = 8ll << 20;   // per rule's own RE2 (RE2's default)
inline constexpr size_t kMaxFieldBytes = 4u << 20;  // scanned per field and message
inline constexpr size_t kMaxSymbolBytes = 64;       // a rule's or composite's name

// One [rules.SYMBOL] table as read.
struct RuleDef {
  std::string symbol;
  std::string field;  // a Fields name, "raw", or "header:NAME"
  std::string pattern;
  std::string description;
  double score = 0;
  bool case_sensitive = false;
  policy::Directions directions{};
  policy::Error at{};  // where [rules.SYMBOL] was (re)defined
};

// The [rules] section: every rule by symbol (layered file by file).
struct RulesPolicy {
  std::map<std::string, RuleDef, std::less<>> rules;
};

// The [rules] reader (core::PolicySection) and the symbols the rules define.
void read_rules(policy::TomlSection& s, policy::Policy& p);
void rules_defined(const policy::Policy& p, std::vector<core::DefinedSymbol>& out);
// The [rules] section's check (core::PolicySection::check): the rules of each field
// compile as one Set (RuleSet::build's error), so `postern policy check` refuses what
// the daemon would.
void rules_check(const policy::Policy& p, std::vector<policy::Error>& errors);

// True for an UPPER_SNAKE name of at most kMaxSymbolBytes ([A-Z][A-Z0-9_]*).
bool is_symbol_name(std::string_view name);

// Hit counters by rule symbol that outlive one rule set: the daemon's sets, built at
// start and at each reload, count in one of these, so postern_rule_hits_total never
// goes back to 0 on a reload. Thread-safe; a symbol's counter is made on first use
// and kept (one per symbol ever loaded: bounded by the policies' rules).
class HitCounters {
 public:
  std::shared_ptr<std::atomic<uint64_t>> counter(const std::string& symbol);

 private:
  std::mutex m_;
  std::map<std::string, std::shared_ptr<std::atomic<uint64_t>>, std::less<>> by_symbol_;
};

class RuleSet {
 public:
  struct Hit {
    const RuleDef* rule;
    std::string detail;  // core::explain: what matched, field, part, excerpt
  };
  struct Scan {
    std::vector<Hit> hits;               // in rule order (by field, then symbol)
    std::vector<std::string> truncated;  // fields not scanned in full
    std::vector<std::string> fallback;   // fields whose Set ran out of memory
  };

  // Compiles `rules`; an error is at the rule that failed (for a field whose rules do not
  // compile as one Set within kSetMaxMem, at its largest rule: the policy is refused, no
  // rule is dropped). With `counters`, a rule counts its hits in the counter of its
  // symbol there, so the counts of rule sets built one after the other (reloads) go on
  // from where the last one left them; without, each set counts from 0.
  static postern::expected<std::shared_ptr<const RuleSet>, policy::Error> build(
      const RulesPolicy& rules, size_t max_field_bytes = kMaxFieldBytes,
      const std::shared_ptr<HitCounters>& counters = nullptr);
  ~RuleSet();

  // Scans the transaction's fields (needs its message; the MIME analysis for the
  // body fields) and counts the hits. Ticks the transaction's CPU budget.
  Scan match(core::Transaction& tx) const;

  size_t size() const { return rules_.size(); }
  // Times the rule `symbol` hit (since the set was built, or in every set built on the
  // same HitCounters), 0 when unknown.
  uint64_t hits(std::string_view symbol) const;
  // Every rule's hit count, by symbol.
  std::map<std::string, uint64_t> hit_counts() const;

 private:
  struct Rule;
  struct FieldSet;
  RuleSet() = default;

  std::vector<std::unique_ptr<Rule>> rules_;
  std::vector<std::unique_ptr<FieldSet>> fields_;
  size_t max_field_bytes_ = kMaxFieldBytes;
};

// The `rules` stage: one finding per rule that hit (the rule's score, the policy's
// [scores] over it), CONTENT_RULES_TRUNCATED and CONTENT_RULES_FALLBACK when a
// bound was met.
class RulesStage : public core::Stage {
 public:
  explicit RulesStage(std::shared_ptr<const RuleSet> set) : set_(std::move(set)) {}
  std::string_view name() const override { return "rules"; }
  bool content() const override { return true; }
  core::Step on_message(core::Transaction& tx) const override;
  const RuleSet& rules() const { return *set_; }

 private:
  std::shared_ptr<const RuleSet> set_;
};

}  // namespace postern::content
