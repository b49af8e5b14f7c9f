// Action: what postern asks the MTA to do with a message, ordered by severity.
//
// Contract: a pure value type. `most_severe` picks the stronger of two actions
// (reject > discard > tempfail > quarantine > tag > accept): when several rules
// or thresholds apply, the strongest wins. Thread-safe (no state).
#pragma once

#include <optional>
#include <string_view>

namespace postern::core {

enum class Action { Accept, Tag, Quarantine, Tempfail, Discard, Reject };

// Lower-case admin-facing name: "accept", "tag", ...
std::string_view to_string(Action a);

// Parses an admin-facing name; nullopt if unknown.
std::optional<Action> parse_action(std::string_view s);

// Severity rank, 0 (accept) to 5 (reject).
int severity(Action a);

// The stronger of two actions.
inline Action most_severe(Action a, Action b) {
  return severity(a) >= severity(b) ? a : b;
}

// True for actions that end the SMTP transaction without delivery.
inline bool is_final(Action a) {
  return a == Action::Reject || a == Action::Tempfail || a == Action::Discard;
}

}  // namespace postern::core
