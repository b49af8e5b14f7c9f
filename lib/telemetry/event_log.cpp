// EventLog: O_APPEND writes of whole lines and syslog datagrams, failures counted and reported.
#include "telemetry/event_log.hpp"

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <syslog.h>
#include <unistd.h>

#include <fmt/format.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <utility>

#include "telemetry/log.hpp"

namespace postern::telemetry {
namespace {

constexpr std::string_view kSyslogTag = "postern-events";
constexpr std::string_view kDefaultSyslogSocket = "/dev/log";

int connect_datagram(const std::string& path) {
  sockaddr_un addr{};
  if (path.empty() || path.size() >= sizeof(addr.sun_path)) {
    errno = ENAMETOOLONG;
    return -1;
  }
  addr.sun_family = AF_UNIX;
  std::memcpy(addr.sun_path, path.data(), path.size());
  int fd = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  if (::connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof(addr)) != 0) {
    int err = errno;
    ::close(fd);
    errno = err;
    return -1;
  }
  return fd;
}

// "Mmm dd hh:mm:ss" in local time, as syslog(3) writes it (English month names
// whatever the locale).
std::string syslog_time() {
  static constexpr std::array<const char*, 12> kMonths = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                          "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  std::time_t t = std::time(nullptr);
  std::tm tm{};
  localtime_r(&t, &tm);
  return fmt::format("{} {:>2} {:02}:{:02}:{:02}", kMonths[static_cast<size_t>(tm.tm_mon) % 12],
                     tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

}  // namespace

std::optional<int> syslog_facility(std::string_view name) {
  static constexpr std::array<std::pair<std::string_view, int>, 11> kFacilities = {{
      {"mail", LOG_MAIL},
      {"daemon", LOG_DAEMON},
      {"user", LOG_USER},
      {"local0", LOG_LOCAL0},
      {"local1", LOG_LOCAL1},
      {"local2", LOG_LOCAL2},
      {"local3", LOG_LOCAL3},
      {"local4", LOG_LOCAL4},
      {"local5", LOG_LOCAL5},
      {"local6", LOG_LOCAL6},
      {"local7", LOG_LOCAL7},
  }};
  for (const auto& [n, code] : kFacilities)
    if (n == name) return code;
  return std::nullopt;
}

EventLog::~EventLog() {
  if (own_fd_ && fd_ >= 0) ::close(fd_);
  if (syslog_fd_ >= 0) ::close(syslog_fd_);
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

bool EventLog::open_syslog(const std::string& spec) {
  int priority = 0;
  std::string socket;
  if (!spec.empty()) {
    const size_t colon = spec.find(':');
    auto facility = syslog_facility(std::string_view(spec).substr(0, colon));
    socket =
        colon == std::string::npos ? std::string(kDefaultSyslogSocket) : spec.substr(colon + 1);
    if (!facility || socket.empty()) {
      log_error("event syslog '{}': expected FACILITY or FACILITY:SOCKET", spec);
      return false;
    }
    priority = *facility | LOG_INFO;
  }
  std::lock_guard lk(mu_);
  if (syslog_fd_ >= 0) ::close(syslog_fd_);
  syslog_fd_ = -1;  // connected at the first event: the daemon may start after us
  syslog_spec_ = spec;
  syslog_socket_ = std::move(socket);
  syslog_priority_ = priority;
  return true;
}

bool EventLog::reopen() {
  std::string p, s;
  {
    std::lock_guard lk(mu_);
    p = path_;
    s = syslog_spec_;
  }
  return open(p) && open_syslog(s);
}

void EventLog::failed(std::string_view target, int err) {
  uint64_t count = ++failures_;
  int64_t now = static_cast<int64_t>(std::time(nullptr));
  if (now - last_report_ >= 60) {
    last_report_ = now;
    log_error("event log {}: write failed ({}); {} event(s) lost so far; mail keeps flowing",
              target, std::strerror(err), count);
  }
}

void EventLog::write_syslog(std::string_view line) {
  if (syslog_fd_ < 0) syslog_fd_ = connect_datagram(syslog_socket_);
  if (syslog_fd_ >= 0) {
    std::string dgram = fmt::format("<{}>{} {}[{}]: {}", syslog_priority_, syslog_time(),
                                    kSyslogTag, ::getpid(), line);
    // Never wait for a slow syslog daemon: a full socket loses this event, not mail time.
    ssize_t n = ::send(syslog_fd_, dgram.data(), dgram.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
    if (n == static_cast<ssize_t>(dgram.size())) return;
  }
  const int err = errno;
  if (syslog_fd_ >= 0 && err != EAGAIN && err != EMSGSIZE) {
    ::close(syslog_fd_);  // the daemon restarted or went away: connect again next time
    syslog_fd_ = -1;
  }
  failed("syslog:" + syslog_socket_, err);
}

void EventLog::write(std::string_view line) {
  std::lock_guard lk(mu_);
  if (!syslog_spec_.empty()) write_syslog(line);
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
  failed(path_, err);
}

}  // namespace postern::telemetry
