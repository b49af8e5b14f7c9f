// FileWatcher: stamps, the checking thread, the reload call (see file_watcher.hpp).
#include "core/file_watcher.hpp"

#include <sys/stat.h>

namespace postern::core {

std::vector<FileWatcher::Stamp> FileWatcher::stamps() const {
  std::vector<Stamp> out;
  for (const auto& p : paths_) {
    Stamp s;
    struct stat st {};
    if (::stat(p.c_str(), &st) == 0) {
      s.mtime_ns = int64_t{st.st_mtim.tv_sec} * 1000000000 + st.st_mtim.tv_nsec;
      s.size = st.st_size;
    }
    out.push_back(s);
  }
  return out;
}

void FileWatcher::start(std::vector<std::string> paths, std::chrono::milliseconds interval,
                        Reload reload) {
  paths_ = std::move(paths);
  interval_ = interval;
  reload_ = std::move(reload);
  loaded_ = stamps();
  if (interval_.count() > 0)
    thread_ = std::thread([this] {
      std::unique_lock lock(stop_mu_);
      while (!stop_cv_.wait_for(lock, interval_, [this] { return stop_; })) {
        lock.unlock();
        check_now();
        lock.lock();
      }
    });
}

void FileWatcher::stop() {
  {
    std::lock_guard lock(stop_mu_);
    stop_ = true;
  }
  stop_cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

bool FileWatcher::check_now() {
  std::lock_guard lock(check_mu_);
  auto now = stamps();
  if (now == loaded_ || !reload_) return false;
  std::string err = reload_();
  std::lock_guard e(err_mu_);
  last_error_ = err;
  if (!err.empty()) return false;  // the old data keeps serving; the next check tries again
  loaded_ = std::move(now);
  reloads_.fetch_add(1);
  return true;
}

std::string FileWatcher::last_error() const {
  std::lock_guard e(err_mu_);
  return last_error_;
}

}  // namespace postern::core
