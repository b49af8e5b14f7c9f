// EventLog: the JSON event log, one line per transaction.
//
// Contract: `open(path)` with a file path (appended, created 0640), "-" for
// stdout, or "" for none. `write` is thread-safe and never throws or blocks
// mail: a failed write (disk full, file removed) is counted and reported to
// the diagnostic log at most once a minute, and mail keeps flowing. `reopen`
// (on SIGHUP) follows log rotation.
#pragma once

#include <atomic>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>

namespace postern::telemetry {

class EventLog {
 public:
  EventLog() = default;
  ~EventLog();
  EventLog(const EventLog&) = delete;
  EventLog& operator=(const EventLog&) = delete;

  // Returns false (and keeps no file) when the path cannot be opened.
  bool open(const std::string& path);
  bool reopen();
  void write(std::string_view json_line);
  uint64_t failures() const { return failures_.load(); }
  const std::string& path() const { return path_; }

 private:
  std::mutex mu_;
  std::string path_;
  int fd_ = -1;
  bool own_fd_ = false;
  std::atomic<uint64_t> failures_{0};
  int64_t last_report_ = 0;
};

}  // namespace postern::telemetry
