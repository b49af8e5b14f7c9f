// Pool: idle connections of one backend, taken by a thread for one call and
// given back after it (SqliteStore, RedisStore).
//
// Contract: `take()` returns an idle connection or null (the caller opens a new
// one); `give(c)` keeps `c` for the next taker, or drops it when `max_idle` are
// kept already. A connection that failed is not given back (the next call opens
// a fresh one: that is how a restarted Redis is found again). Thread-safe (one
// mutex, held only to move a pointer).
#pragma once

#include <cstddef>
#include <memory>
#include <mutex>
#include <vector>

namespace postern::state {

template <typename C>
class Pool {
 public:
  explicit Pool(size_t max_idle) : max_idle_(max_idle) {}

  std::unique_ptr<C> take() {
    std::lock_guard lock(mu_);
    if (idle_.empty()) return nullptr;
    auto c = std::move(idle_.back());
    idle_.pop_back();
    return c;
  }
  void give(std::unique_ptr<C> c) {
    std::lock_guard lock(mu_);
    if (idle_.size() < max_idle_) idle_.push_back(std::move(c));
  }
  void clear() {
    std::lock_guard lock(mu_);
    idle_.clear();
  }

 private:
  size_t max_idle_;
  std::mutex mu_;
  std::vector<std::unique_ptr<C>> idle_;
};

}  // namespace postern::state
