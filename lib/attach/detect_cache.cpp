// The detection cache: a hash map into an LRU list under one mutex (see
// detect_cache.hpp).
#include "attach/detect_cache.hpp"

#include <cstring>

namespace postern::attach {

size_t DetectCache::KeyHash::operator()(const Sha256& k) const {
  size_t h;  // the digest is uniform already: its first bytes are the hash
  std::memcpy(&h, k.data(), sizeof h);
  return h;
}

std::optional<Detected> DetectCache::find(const Sha256& key) {
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

void DetectCache::put(const Sha256& key, const Detected& d) {
  if (capacity_ == 0) return;
  std::lock_guard lock(mu_);
  if (auto it = index_.find(key); it != index_.end()) {
    it->second->second = d;
    lru_.splice(lru_.begin(), lru_, it->second);
    return;
  }
  if (index_.size() >= capacity_) {
    index_.erase(lru_.back().first);
    lru_.pop_back();
  }
  lru_.emplace_front(key, d);
  index_.emplace(key, lru_.begin());
}

DetectCache::Stats DetectCache::stats() const {
  std::lock_guard lock(mu_);
  return {hits_, misses_, index_.size()};
}

DetectCache& process_detect_cache() {
  static DetectCache cache(kDetectCacheEntries);
  return cache;
}

Detected detect_cached(const Sha256& key, std::string_view data) {
  auto& cache = process_detect_cache();
  if (auto hit = cache.find(key)) return *hit;
  Detected d = detect(data);
  cache.put(key, d);
  return d;
}

}  // namespace postern::attach
