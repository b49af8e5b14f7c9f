// Composite rules: [composites.SYMBOL] expression = "A && (B || !C)", a symbol
// that fires when a boolean expression over the transaction's findings holds.
//
// Contract: `parse_expression` parses the expression language: symbol names
// (UPPER_SNAKE), `!` (not), `&&` (and, binds tighter), `||` (or), parentheses;
// a symbol is true when a finding of it is present. Bounded: at most
// kMaxExpressionBytes bytes, kMaxExpressionDepth nesting of parentheses and
// `!`; an error gives the byte offset of the bad token. `read_composites` is the
// [composites] policy reader: each named symbol becomes a SymbolRef (so
// `postern policy check` refuses an unknown one at its file:line:column, the
// column of the name inside the string when the string is written plainly);
// a later file's [composites.X] replaces X. `CompositeSet::build` orders the
// composites so one that names another is evaluated after it (a cycle is an
// error); the `composites` stage runs after every stage that provides
// "content.findings" (and after authentication), sees every finding added so
// far, and adds one finding per composite that holds, with the parts that
// made it hold in its detail. A composite never removes its parts: they keep
// their scores. Findings about one recipient count for that recipient only:
// when they make a composite's value differ between recipients, it is added
// per recipient. Not a content stage: it is cheap (at most kMaxComposites
// expressions of bounded size) and runs even when the CPU budget is spent, over
// what was found. Immutable after build; thread-safe. Never throws on hostile input.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "core/expected.hpp"
#include "core/stage.hpp"
#include "core/symbols.hpp"
#include "policy/error.hpp"

namespace postern::policy {
class TomlSection;
struct Policy;
}  // namespace postern::policy

namespace postern::content {

inline constexpr size_t kMaxExpressionBytes = 1000;
inline constexpr size_t kMaxExpressionDepth = 32;
inline constexpr size_t kMaxComposites = 500;

// A parsed expression: nodes in a flat vector, the root last.
struct Expression {
  struct Node {
    enum class Kind { Symbol, Not, And, Or } kind;
    std::string symbol;   // Symbol
    size_t a = 0, b = 0;  // operands (Not: a)
  };
  std::vector<Node> nodes;
  struct Name {
    std::string symbol;
    size_t offset;  // in the expression text
  };
  std::vector<Name> names;  // every symbol named, in order

  // The value under `present` (the symbols that have a finding).
  bool eval(const std::set<std::string, std::less<>>& present) const;
};

struct ExpressionError {
  size_t offset;  // byte offset of the bad token in the text
  std::string message;
};

postern::expected<Expression, ExpressionError> parse_expression(std::string_view text);

struct CompositeDef {
  std::string symbol;
  std::string expression;
  Expression parsed;
  double score = 0;
  std::string description;
  policy::Error at{};          // the expression's position
  policy::Error defined_at{};  // where [composites.SYMBOL] was (re)defined
};

struct CompositesPolicy {
  std::map<std::string, CompositeDef, std::less<>> composites;
};

void read_composites(policy::TomlSection& s, policy::Policy& p);
void composites_defined(const policy::Policy& p, std::vector<core::DefinedSymbol>& out);

class CompositeSet {
 public:
  // Orders the composites by their references to each other; a cycle (or a
  // composite with the name of a rule) is an error at the composite's expression.
  static postern::expected<std::shared_ptr<const CompositeSet>, policy::Error> build(
      const CompositesPolicy& c, const std::set<std::string, std::less<>>& rule_names = {});
  const std::vector<CompositeDef>& ordered() const { return ordered_; }

 private:
  std::vector<CompositeDef> ordered_;
};

class CompositesStage : public core::Stage {
 public:
  explicit CompositesStage(std::shared_ptr<const CompositeSet> set) : set_(std::move(set)) {}
  std::string_view name() const override { return "composites"; }
  core::Step on_message(core::Transaction& tx) const override;

 private:
  std::shared_ptr<const CompositeSet> set_;
};

}  // namespace postern::content
