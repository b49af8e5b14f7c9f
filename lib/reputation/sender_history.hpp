// SenderHistory: which external addresses the users of a domain have written to,
// so a first message from a stranger can be told from a reply to a known contact
// (the BEC checks' first contact), kept in the state store (state/store.hpp:
// SQLite on one host, Redis shared by many).
//
// Contract: `record(sender, domain)` notes that someone at `domain` (ours) wrote
// to `sender`; `seen(sender, domain)` says whether that was noted within the
// last `ttl` (default kDefaultHistoryTtl, 400 days: a contact written to once a
// year — the yearly invoice, the renewal — is still known; one silent for more
// than a year is a stranger again). Recording refreshes the ttl, at most once per
// `refresh` (default a day) for a pair this instance wrote itself: most mail goes
// to the same correspondents, and a store write for each one of them cost about
// 0.15 CPU-ms per outbound message; against a ttl of 400 days a day changes
// nothing (the pairs written are remembered in memory, at most kMaxRecent, the
// memory cleared when full). Addresses and
// domains are compared case-insensitively. The store's key (namespace
// kHistoryNamespace) is SHA-256("sender\ndomain") cut to 16 bytes, in hex, with
// an empty value: the store holds no address. A store error (Redis down, the
// file locked) is counted in `errors()`: `lookup` says Unavailable and `seen`
// answers true (an outage never adds first-contact score to mail; the bec stage
// adds STATE_UNAVAILABLE instead), `record` loses that one record;
// both count it in postern_state_errors_total (telemetry/metrics.hpp).
// Thread-safe; each call is at most one store operation.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

namespace postern::state {
class Store;
}

namespace postern::reputation {

inline constexpr std::string_view kHistoryNamespace = "senders";
inline constexpr std::chrono::seconds kDefaultHistoryTtl{400LL * 86400};
inline constexpr std::chrono::seconds kDefaultHistoryRefresh{86400};

class SenderHistory {
 public:
  static constexpr size_t kMaxRecent = 100000;

  explicit SenderHistory(std::shared_ptr<state::Store> store,
                         std::chrono::seconds ttl = kDefaultHistoryTtl,
                         std::chrono::seconds refresh = kDefaultHistoryRefresh);

  enum class Seen { Yes, No, Unavailable };
  // Seen or not; Unavailable when the store failed (counted like every error).
  Seen lookup(std::string_view sender, std::string_view domain) const;
  bool seen(std::string_view sender, std::string_view domain) const {
    return lookup(sender, domain) != Seen::No;
  }
  void record(std::string_view sender, std::string_view domain);

  // The store key of (sender, domain): 32 hex digits.
  static std::string key(std::string_view sender, std::string_view domain);
  size_t errors() const { return errors_.load(); }
  const std::shared_ptr<state::Store>& store() const { return store_; }

 private:
  void count_error() const;  // in the metrics (postern_state_errors_total)

  std::shared_ptr<state::Store> store_;
  std::chrono::seconds ttl_, refresh_;
  mutable std::atomic<size_t> errors_{0};
  std::mutex recent_mutex_;
  std::unordered_map<std::string, std::chrono::steady_clock::time_point> recent_;  // key -> written
};

}  // namespace postern::reputation
