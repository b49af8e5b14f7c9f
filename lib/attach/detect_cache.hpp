// A per-process cache of file type detections, keyed by the file's SHA-256: the
// same attachment sent to many recipients, or again and again (a signature logo, a
// newsletter's PDF), is typed once.
//
// Contract: `find(key)` gives the detection stored for `key` and makes it the most
// recently used; nullopt when there is none. `put(key, d)` stores it, dropping the
// least recently used entry when `capacity` entries are held. Thread-safe: one
// mutex, held for a hash lookup and a list splice. Nothing invalidates an entry:
// detect() is a pure function of the bytes for the life of the process (libmagic's
// database is loaded once per thread and never reloaded). `detect_cached` is
// detect() through the process's cache (kDetectCacheEntries entries, ~1 MB).
#pragma once

#include <cstddef>
#include <cstdint>
#include <list>
#include <mutex>
#include <optional>
#include <unordered_map>

#include "attach/filetype.hpp"
#include "attach/hash_feed.hpp"

namespace postern::attach {

class DetectCache {
 public:
  explicit DetectCache(size_t capacity) : capacity_(capacity) {}
  std::optional<Detected> find(const Sha256& key);
  void put(const Sha256& key, const Detected& d);

  struct Stats {
    uint64_t hits = 0, misses = 0;
    size_t size = 0;
  };
  Stats stats() const;

 private:
  struct KeyHash {
    size_t operator()(const Sha256& k) const;
  };
  using Entry = std::pair<Sha256, Detected>;
  const size_t capacity_;
  mutable std::mutex mu_;
  std::list<Entry> lru_;  // most recently used first
  std::unordered_map<Sha256, std::list<Entry>::iterator, KeyHash> index_;
  uint64_t hits_ = 0, misses_ = 0;
};

inline constexpr size_t kDetectCacheEntries = 4096;

// detect(data) through the process's cache, under `key` (the SHA-256 of data).
Detected detect_cached(const Sha256& key, std::string_view data);
DetectCache& process_detect_cache();

}  // namespace postern::attach
