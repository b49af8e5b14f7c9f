// Store: the argument checks and error names both backends share.
#include "state/store.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace postern::state {

std::string_view to_string(ErrorKind k) {
  switch (k) {
    case ErrorKind::Invalid:
      return "invalid";
    case ErrorKind::TooLarge:
      return "too large";
    case ErrorKind::Unavailable:
      return "unavailable";
    case ErrorKind::Corrupt:
      return "corrupt";
  }
  return "error";
}

std::string to_string(const Error& e) {
  return fmt::format("{}: {}", to_string(e.kind), e.text);
}

int64_t now_seconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::optional<Error> Store::check_ns(std::string_view ns) const {
  const bool ok =
      !ns.empty() && ns.size() <= kMaxNamespaceBytes &&
      std::all_of(ns.begin(), ns.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-';
      });
  if (ok) return std::nullopt;
  return Error{ErrorKind::Invalid,
               fmt::format("namespace '{}' is not 1..{} of [a-z0-9_.-]",
                           ns.substr(0, kMaxNamespaceBytes), kMaxNamespaceBytes)};
}

std::optional<Error> Store::check_key(std::string_view ns, std::string_view key) const {
  if (auto e = check_ns(ns)) return e;
  if (key.empty() || key.size() > kMaxKeyBytes)
    return Error{ErrorKind::Invalid, fmt::format("{}: a key or id is 1..{} bytes, not {}", ns,
                                                 kMaxKeyBytes, key.size())};
  return std::nullopt;
}

std::optional<Error> Store::check_value(std::string_view ns, std::string_view key,
                                        std::string_view value) const {
  if (auto e = check_key(ns, key)) return e;
  if (value.size() > max_value_)
    return Error{ErrorKind::TooLarge,
                 fmt::format("{}: a value of {} bytes (at most {})", ns, value.size(), max_value_)};
  return std::nullopt;
}

std::optional<Error> Store::check_window(std::chrono::seconds window) {
  if (window.count() < 1 || window.count() > kMaxWindowSeconds)
    return Error{ErrorKind::Invalid, fmt::format("a counter window is 1..{} seconds, not {}",
                                                 kMaxWindowSeconds, window.count())};
  return std::nullopt;
}

std::optional<Error> Store::check_limit(size_t limit) {
  if (limit > kMaxRangeLimit)
    return Error{ErrorKind::Invalid,
                 fmt::format("a range returns at most {} entries, not {}", kMaxRangeLimit, limit)};
  return std::nullopt;
}

}  // namespace postern::state
