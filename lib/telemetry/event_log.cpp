// EventLog: O_APPEND writes of whole lines, failures counted and reported.
#include "telemetry/event_log.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>

#include "telemetry/log.hpp"

namespace postern::telemetry {

EventLog::~EventLog() {
  if (own_fd_ && fd_ >= 0) ::close(fd_);
}

bool EventLog::open(const std::string& path) {
  // Open the new target first: when that fails (e.g. after dropping privileges), keep the old one.
  int fd = -1;
  bool own = false;
  if (path == "-") {
    fd = STDOUT_FILENO;
  } else if (!path.empty()) {
    fd = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
    if (fd < 0) {
      log_error("event log {}: {}", path, std::strerror(errno));
      return false;
    }
    own = true;
  }
  std::lock_guard lk(mu_);
  if (own_fd_ && fd_ >= 0) ::close(fd_);
  fd_ = fd;
  own_fd_ = own;
  path_ = path;
  return true;
}

bool EventLog::reopen() {
  std::string p;
  {
    std::lock_guard lk(mu_);
    p = path_;
  }
  return open(p);
}

void EventLog::write(std::string_view line) {
  std::lock_guard lk(mu_);
  if (path_.empty()) return;
  std::string buf(line);
  buf.push_back('\n');
  ssize_t n = fd_ >= 0 ? ::write(fd_, buf.data(), buf.size()) : -1;
  if (n == static_cast<ssize_t>(buf.size())) return;
  int err = n < 0 ? errno : ENOSPC;
  if (n > 0 && own_fd_) {
    // A partial line would corrupt the JSON stream: cut it back where possible.
    off_t end = ::lseek(fd_, 0, SEEK_END);
    if (end >= n) {
      // Best effort: when this fails too, the next line still starts on its own.
      [[maybe_unused]] int rc = ::ftruncate(fd_, end - n);
    }
  }
  uint64_t count = ++failures_;
  int64_t now = static_cast<int64_t>(std::time(nullptr));
  if (now - last_report_ >= 60) {
    last_report_ = now;
    log_error("event log {}: write failed ({}); {} event(s) lost so far; mail keeps flowing", path_,
              std::strerror(err), count);
  }
}

}  // namespace postern::telemetry
