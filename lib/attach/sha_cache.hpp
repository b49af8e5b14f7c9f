// Per-process caches keyed by a file's SHA-256: the same attachment sent to many
// recipients, or again and again (a signature logo, a newsletter's PDF), is typed
// and scanned once.
//
// Contract: `ShaCache<V>::find(key)` gives the value stored for `key` and makes it
// the most recently used; nullopt when there is none. `put(key, v)` stores it,
// dropping the least recently used entry when `capacity` entries are held (0: stores
// nothing). Thread-safe: one mutex, held for a hash lookup and a list splice.
// `detect_cached` is detect() through the process's cache of types
// (kDetectCacheEntries): nothing invalidates it, as detect() is a pure function of
// the bytes for the life of the process (libmagic's database is loaded once per
// thread and never reloaded). ClamAV results are cached per engine (clamav.hpp), so
// a reload starts with an empty cache.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <list>
#include <mutex>
#include <optional>
#include <unordered_map>
#include <utility>

#include "attach/filetype.hpp"
#include "attach/hash_feed.hpp"

namespace postern::attach {

template <class V>
class ShaCache {
 public:
  explicit ShaCache(size_t capacity) : capacity_(capacity) {}

  std::optional<V> find(const Sha256& key) {
    std::lock_guard lock(mu_);
    auto it = index_.find(key);
    if (it == index_.end()) {
      ++misses_;
      return std::nullopt;
    }
    ++hits_;
    lru_.splice(lru_.begin(), lru_, it->second);
    return it->second->second;
  }

  void put(const Sha256& key, const V& v) {
    if (capacity_ == 0) return;
    std::lock_guard lock(mu_);
    if (auto it = index_.find(key); it != index_.end()) {
      it->second->second = v;
      lru_.splice(lru_.begin(), lru_, it->second);
      return;
    }
    if (index_.size() >= capacity_) {
      index_.erase(lru_.back().first);
      lru_.pop_back();
    }
    lru_.emplace_front(key, v);
    index_.emplace(key, lru_.begin());
  }

  struct Stats {
    uint64_t hits = 0, misses = 0;
    size_t size = 0;
  };
  Stats stats() const {
    std::lock_guard lock(mu_);
    return {hits_, misses_, index_.size()};
  }

 private:
  struct KeyHash {
    size_t operator()(const Sha256& k) const {
      size_t h;  // the digest is uniform already: its first bytes are the hash
      std::memcpy(&h, k.data(), sizeof h);
      return h;
    }
  };
  using Entry = std::pair<Sha256, V>;
  const size_t capacity_;
  mutable std::mutex mu_;
  std::list<Entry> lru_;  // most recently used first
  std::unordered_map<Sha256, typename std::list<Entry>::iterator, KeyHash> index_;
  uint64_t hits_ = 0, misses_ = 0;
};

using DetectCache = ShaCache<Detected>;
inline constexpr size_t kDetectCacheEntries = 4096;

// detect(data) through the process's cache, under `key` (the SHA-256 of data).
Detected detect_cached(const Sha256& key, std::string_view data);
DetectCache& process_detect_cache();

}  // namespace postern::attach
