// The process's cache of file types (see sha_cache.hpp).
#include "attach/sha_cache.hpp"

namespace postern::attach {

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
