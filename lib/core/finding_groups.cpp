// FindingGroups (see finding_groups.hpp).
#include "core/finding_groups.hpp"

#include <fmt/format.h>

namespace postern::core {

void FindingGroups::add(std::string_view symbol, double score, std::string detail) {
  auto it = groups_.find(symbol);
  if (it == groups_.end())
    it = groups_.emplace(std::string(symbol), Group{score, std::move(detail)}).first;
  ++it->second.count;
}

void FindingGroups::report(Transaction& tx) const {
  for (const auto& [symbol, g] : groups_)
    tx.add_finding(symbol, g.score,
                   g.count > 1 ? fmt::format("{} (and {} more)", g.detail, g.count - 1) : g.detail);
}

}  // namespace postern::core
