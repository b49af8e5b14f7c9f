// Hash feeds: SHA-256 lists of known-bad (and known-good) files, as admins
// download them: one hash per line, or the CSV that abuse.ch publishes
// (MalwareBazaar), whose commented header names the "signature" column.
//
// Contract: `HashFeed::load(path)` reads one file: blank lines and '#'
// comments are skipped; on every other line the first field (comma- or
// whitespace-separated, quotes stripped) that is 64 hex digits is the hash,
// and in a CSV with a "signature" column that field is the label. A line with
// no hash counts as bad; a file with bad lines and no hash at all, or more
// than `max_entries` hashes, or a line over 64 KiB, is an error (a truncated
// download must not silently load as an empty feed). Lookup is a binary
// search over sorted 32-byte keys: 40 bytes per entry plus the labels.
//
// `HashFeeds` is the service: every feed of the policy loaded once, shared
// read-only by all threads; `current()` is what a scan uses. A background
// thread stats the files every `interval` and, when one changed, loads the
// set anew off to the side and swaps it in (one atomic shared_ptr; the
// core::FileWatcher mechanism): a scan in
// flight keeps the set it took. A feed that fails to reload keeps its old
// entries and its error is kept for `postern` to report (`last_error`).
// Destruction stops the thread at once (condition variable).
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/expected.hpp"
#include "core/file_watcher.hpp"

namespace postern::attach {

using Sha256 = std::array<uint8_t, 32>;

// The 32 bytes of a 64-digit hex SHA-256 (either case), nullopt otherwise.
std::optional<Sha256> parse_sha256(std::string_view hex);

class HashFeed {
 public:
  static constexpr size_t kDefaultMaxEntries = 20'000'000;
  static postern::expected<HashFeed, std::string> load(const std::string& path,
                                                       size_t max_entries = kDefaultMaxEntries);

  // The label of `h` ("" when the feed has none), or nullopt when absent.
  std::optional<std::string_view> find(const Sha256& h) const;
  size_t size() const { return entries_.size(); }
  const std::string& path() const { return path_; }
  const std::string& name() const { return name_; }  // the file name without its directory

 private:
  struct Entry {
    Sha256 hash;
    uint32_t label;  // index into labels_
    bool operator<(const Entry& o) const { return hash < o.hash; }
  };
  std::string path_, name_;
  std::vector<Entry> entries_;
  std::vector<std::string> labels_;  // [0] = ""
};

struct HashFeedConfig {
  std::vector<std::string> bad;   // feeds of known-bad files
  std::vector<std::string> good;  // files on these lists are not scanned further
  std::chrono::milliseconds interval{60'000};
  bool operator==(const HashFeedConfig&) const = default;
};

struct FeedMatch {
  std::string feed;   // the feed's file name
  std::string label;  // the signature, "" when the feed gives none
};

class HashFeeds {
 public:
  // Loads every feed; the first error fails (a config error at startup).
  static postern::expected<std::shared_ptr<HashFeeds>, std::string> start(HashFeedConfig cfg);
  ~HashFeeds();
  HashFeeds(const HashFeeds&) = delete;
  HashFeeds& operator=(const HashFeeds&) = delete;

  struct Set {
    std::vector<HashFeed> bad, good;
    std::optional<FeedMatch> bad_match(const Sha256& h) const;
    bool good_match(const Sha256& h) const;
    size_t entries() const;
  };
  std::shared_ptr<const Set> current() const { return set_.load(); }
  const HashFeedConfig& config() const { return cfg_; }
  // Checks the files now (what the thread does each interval); true when it swapped.
  bool check_now() { return watcher_.check_now(); }
  std::string last_error() const { return watcher_.last_error(); }
  uint64_t reloads() const { return watcher_.reloads(); }

 private:
  explicit HashFeeds(HashFeedConfig cfg) : cfg_(std::move(cfg)) {}
  postern::expected<std::shared_ptr<const Set>, std::string> load_all() const;

  HashFeedConfig cfg_;
  std::atomic<std::shared_ptr<const Set>> set_;
  core::FileWatcher watcher_;  // last member: stopped before the rest goes
};

}  // namespace postern::attach
