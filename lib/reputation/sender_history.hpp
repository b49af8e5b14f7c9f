// SenderHistory: which external addresses the users of a domain have written to,
// so a first message from a stranger can be told from a reply to a known contact
// (the BEC checks' first contact). A service (scan/services): long-lived, kept
// across policy reloads, shared by every connection thread.
//
// Contract: `open(path, max_entries)` loads the file (or starts empty when it
// does not exist) and keeps it open for appending; `in_memory(max)` keeps
// nothing on disk (tests, no path configured). `record(sender, domain)` notes
// that someone at `domain` (ours) wrote to `sender`; `seen(sender, domain)` says
// whether that was ever noted. Addresses and domains are compared
// case-insensitively. Keys are SHA-256("sender\ndomain") cut to 16 bytes: the
// file holds no address. At most `max_entries` keys are kept: recording a new
// one past the bound drops the one recorded or refreshed longest ago.
//
// The file: a first line "postern-sender-history 1", then one line of 32 hex
// digits per key, oldest first. A new key is appended (one write of 33 bytes,
// O_APPEND); once the file holds twice the bound of lines it is compacted: the
// live keys written to "<path>.tmp", fsynced and renamed over it. Loading skips
// a line that is not 32 hex digits (counted in `corrupt_lines()`; the next
// compaction drops it); a file whose first line is not the header is refused
// (it is not ours: it is never overwritten). A failed append is counted in
// `write_errors()` and the key kept in memory. A file (or compaction) that root
// creates takes the owner of its directory, so a root `postern-milter -t` or
// `postern scan` never leaves a file the daemon's user cannot read. Thread-safe (one mutex); each
// call is O(1) amortized.
//
// The state store of a later issue (SQLite/Redis) replaces the file behind the
// same two calls.
#pragma once

#include <cstddef>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "core/expected.hpp"

namespace postern::reputation {

inline constexpr size_t kDefaultHistoryEntries = 100000;
inline constexpr size_t kMaxHistoryEntries = 10000000;

class SenderHistory {
 public:
  // Loads `path` (an error names the path and what is wrong: unreadable, not a
  // history file, cannot be opened for appending).
  static postern::expected<std::shared_ptr<SenderHistory>, std::string> open(std::string path,
                                                                             size_t max_entries);
  static std::shared_ptr<SenderHistory> in_memory(size_t max_entries);
  ~SenderHistory();
  SenderHistory(const SenderHistory&) = delete;
  SenderHistory& operator=(const SenderHistory&) = delete;

  bool seen(std::string_view sender, std::string_view domain) const;
  void record(std::string_view sender, std::string_view domain);

  size_t size() const;
  size_t corrupt_lines() const { return corrupt_; }
  size_t write_errors() const;
  const std::string& path() const { return path_; }
  size_t max_entries() const { return max_; }

 private:
  SenderHistory(std::string path, size_t max_entries);
  using Key = std::string;  // 32 hex digits
  static Key key(std::string_view sender, std::string_view domain);
  void insert_locked(const Key& k);  // in memory only
  void compact_locked();

  std::string path_;
  size_t max_;
  int fd_ = -1;
  size_t corrupt_ = 0;
  size_t file_lines_ = 0;  // key lines in the file
  size_t write_errors_ = 0;
  mutable std::mutex mu_;
  std::list<Key> order_;  // oldest first
  std::unordered_map<Key, std::list<Key>::iterator> index_;
};

}  // namespace postern::reputation
