// Action names and severity.
#include "core/action.hpp"

#include <array>

namespace postern::core {
namespace {
// In severity order; the index is the severity.
constexpr std::array<std::pair<Action, std::string_view>, 6> kActions{{
    {Action::Accept, "accept"},
    {Action::Tag, "tag"},
    {Action::Quarantine, "quarantine"},
    {Action::Tempfail, "tempfail"},
    {Action::Discard, "discard"},
    {Action::Reject, "reject"},
}};
}  // namespace

std::string_view to_string(Action a) {
  return kActions[static_cast<size_t>(severity(a))].second;
}

std::optional<Action> parse_action(std::string_view s) {
  for (const auto& [a, name] : kActions)
    if (name == s) return a;
  return std::nullopt;
}

int severity(Action a) {
  for (size_t i = 0; i < kActions.size(); ++i)
    if (kActions[i].first == a) return static_cast<int>(i);
  return 0;
}

}  // namespace postern::core
