// Finding symbols: the admin-facing catalogue.
//
// Contract: each lib folder declares the symbols its stages add in one table
// (lib/<folder>/symbols.cpp): the name, the default score, the scope (what the
// finding is about: the connection, the transaction, one recipient) and a
// one-line description. scan/registry gathers the tables. The catalogue is the
// source of a symbol's default score: the session scores every catalogued
// finding from it (a policy [scores] entry overrides it), `postern symbols`
// prints it, `postern policy check` refuses a rule or score for a symbol that
// is neither catalogued nor defined by the policy itself (lists, DNSBL zones).
// Plain constant data, thread-safe.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace postern::core {

enum class Scope { Connection, Transaction, Recipient };

constexpr std::string_view to_string(Scope s) {
  return s == Scope::Connection  ? "connection"
         : s == Scope::Recipient ? "recipient"
                                 : "transaction";
}

struct SymbolInfo {
  std::string_view name;
  double score = 0;
  Scope scope = Scope::Transaction;
  std::string_view description;
  // Graded: the stage gives each finding its own score (the classifier's grows with
  // its probability) and `score` is the most it gives; the session keeps the stage's
  // score unless the policy's [scores] sets one for the symbol.
  bool graded = false;
};

// A symbol the policy itself defines (a list's, a DNSBL zone's, a rule's).
struct DefinedSymbol {
  std::string name;
  double score = 0;
  Scope scope = Scope::Transaction;
  std::string description;
  // What defines it ("[rules.X]") and where (line 0: not known), so that
  // `postern policy check` can refuse a name defined twice at its file:line:column.
  std::string defined_by{};
  std::string file{};
  uint32_t line = 0, column = 0;
};

// The symbols lib/core itself adds (stage errors, the findings and CPU bounds).
std::span<const SymbolInfo> symbols();

}  // namespace postern::core
