// FileWatcher: reloads what a set of files holds when one of them changes; the
// mechanism of the long-lived file services (attach::HashFeeds, url::UrlFeeds).
//
// Contract: `start(paths, interval, reload)` records the files' stamps (mtime
// and size; a missing file has its own stamp) and, with a positive interval,
// starts a thread that calls `check_now()` every `interval`. The owner loads
// its data itself before start(). `check_now()` stats the files and, when a
// stamp differs from the last successful load, calls `reload()`: it returns ""
// after it swapped in the new data, or an error (the owner keeps its old data;
// the error is kept for `last_error()` and the same change is tried again at
// the next check). check_now() calls are serialized. Destruction (or stop())
// stops the thread at once (condition variable); the owner must stop the
// watcher before the data its reload() touches goes away.
//
// `Reloading<Set>` is the whole service shape on top: `start(paths, interval,
// load)` loads once (an error fails the start), then keeps the set current
// with a FileWatcher; `current()` is one atomic shared_ptr load, so a reader
// keeps the set it took while a reload swaps in the next.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "core/expected.hpp"

namespace postern::core {

class FileWatcher {
 public:
  using Reload = std::function<std::string()>;  // "" = swapped in, else the error
  FileWatcher() = default;
  ~FileWatcher() { stop(); }
  FileWatcher(const FileWatcher&) = delete;
  FileWatcher& operator=(const FileWatcher&) = delete;

  void start(std::vector<std::string> paths, std::chrono::milliseconds interval, Reload reload);
  void stop();
  // Checks the files now (what the thread does each interval); true when it reloaded.
  bool check_now();
  std::string last_error() const;
  uint64_t reloads() const { return reloads_.load(); }

 private:
  struct Stamp {
    int64_t mtime_ns = -1;
    int64_t size = -1;
    bool operator==(const Stamp&) const = default;
  };
  std::vector<Stamp> stamps() const;

  std::vector<std::string> paths_;
  std::chrono::milliseconds interval_{0};
  Reload reload_;
  std::vector<Stamp> loaded_;  // guarded by check_mu_
  std::mutex check_mu_;
  mutable std::mutex err_mu_;
  std::string last_error_;
  std::atomic<uint64_t> reloads_{0};
  std::mutex stop_mu_;
  std::condition_variable stop_cv_;
  bool stop_ = false;
  std::thread thread_;
};

template <class Set>
class Reloading {
 public:
  // What makes a set: the set, or an error text.
  using Load = std::function<postern::expected<std::shared_ptr<const Set>, std::string>()>;

  std::string start(std::vector<std::string> paths, std::chrono::milliseconds interval, Load load) {
    auto first = load();
    if (!first) return first.error();
    set_.store(std::move(*first));
    watcher_.start(std::move(paths), interval, [this, load = std::move(load)] {
      auto s = load();
      if (!s) return s.error();
      set_.store(std::move(*s));
      return std::string();
    });
    return {};
  }
  std::shared_ptr<const Set> current() const { return set_.load(); }
  bool check_now() { return watcher_.check_now(); }
  std::string last_error() const { return watcher_.last_error(); }
  uint64_t reloads() const { return watcher_.reloads(); }

 private:
  std::atomic<std::shared_ptr<const Set>> set_;
  FileWatcher watcher_;  // last member: stopped first
};

}  // namespace postern::core
