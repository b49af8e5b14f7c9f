// EventLog: the JSON event log, one line per transaction, to a file, to
// syslog, or both.
//
// Contract: `open(path)` with a file path (appended, created 0640), "-" for
// stdout, or "" for none. `open_syslog(spec)` with "FACILITY" or
// "FACILITY:SOCKET" (a local syslog datagram socket, default /dev/log; the
// facility one of syslog_facility's names), or "" for none: each event is one
// datagram "<PRI>Mmm dd hh:mm:ss postern-events[PID]: JSON" at severity info,
// the format of syslog(3), which rsyslog, syslog-ng and journald all read.
// `write` is thread-safe and never throws or blocks mail: a failed write (disk
// full, file removed, no syslog daemon, its socket full, an event larger than
// the socket takes) is counted and reported to the diagnostic log at most once
// a minute, and mail keeps flowing; the syslog socket is connected again at the
// next event. `reopen` (on SIGHUP) follows log rotation and reconnects.
#pragma once

#include <atomic>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

namespace postern::telemetry {

// The syslog facility code (LOG_LOCAL3...) of a name: "mail", "daemon", "user",
// "local0".."local7"; nullopt for any other.
std::optional<int> syslog_facility(std::string_view name);

class EventLog {
 public:
  EventLog() = default;
  ~EventLog();
  EventLog(const EventLog&) = delete;
  EventLog& operator=(const EventLog&) = delete;

  // Returns false (and keeps no file) when the path cannot be opened.
  bool open(const std::string& path);
  // Returns false (and keeps the previous syslog target) for a bad spec.
  bool open_syslog(const std::string& spec);
  bool reopen();
  void write(std::string_view json_line);
  uint64_t failures() const { return failures_.load(); }
  const std::string& path() const { return path_; }
  const std::string& syslog_spec() const { return syslog_spec_; }

 private:
  void write_syslog(std::string_view line);       // mu_ held
  void failed(std::string_view target, int err);  // mu_ held

  std::mutex mu_;
  std::string path_;
  int fd_ = -1;
  bool own_fd_ = false;
  std::string syslog_spec_;
  std::string syslog_socket_;
  int syslog_priority_ = 0;
  int syslog_fd_ = -1;  // connected lazily; closed after a failure
  std::atomic<uint64_t> failures_{0};
  int64_t last_report_ = 0;
};

}  // namespace postern::telemetry
