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
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

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

}  // namespace postern::core
