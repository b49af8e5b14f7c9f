// FindingGroups: one finding per symbol however often a stage sees it.
//
// Contract: a stage `add`s every observation; `report(tx)` then adds one finding per
// symbol to the transaction, in symbol order, with the score and detail of the first
// observation and "(and N more)" for the others. Bounded by the number of distinct
// symbols, not of observations. Not thread-safe (one per stage call).
#pragma once

#include <map>
#include <string>
#include <string_view>

#include "core/transaction.hpp"

namespace postern::core {

class FindingGroups {
 public:
  void add(std::string_view symbol, double score, std::string detail);
  bool has(std::string_view symbol) const { return groups_.find(symbol) != groups_.end(); }
  void report(Transaction& tx) const;

 private:
  struct Group {
    double score = 0;
    std::string detail;
    size_t count = 0;
  };
  std::map<std::string, Group, std::less<>> groups_;
};

}  // namespace postern::core
