// bench_common: the small pieces milter_load and smtp_load share.
//
// Contract: `Fd` owns one file descriptor (closed once, movable, never
// copied). `connect_socket` opens a blocking stream socket to "unix:PATH",
// "inet:PORT@HOST" (milter syntax) or "HOST:PORT", with send and receive
// timeouts so no read or write waits forever; it returns an invalid Fd and an
// error text on failure. `write_all` / `read_exact` return false on error,
// timeout or EOF. `load_messages` reads every regular file of a directory in
// name order (bounded: at most kMaxMessages files of at most kMaxMessageBytes
// each; larger files are refused). `ProcStat` reads a process's CPU time and
// RSS from /proc (zeros when the process is gone); `read_proc_tree` sums it
// over a process and all its descendants (a daemon with worker processes).
// `percentile` is the
// nearest-rank percentile of a sorted vector. Nothing here throws on I/O
// failure; argument errors are reported by the callers.
#pragma once

#include <sys/resource.h>

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/types.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace postern::bench {

// User + system CPU seconds of this process so far.
inline double cpu_seconds() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
         static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

inline constexpr size_t kMaxMessages = 100000;
inline constexpr size_t kMaxMessageBytes = 32u << 20;

// One owned file descriptor.
class Fd {
 public:
  Fd() = default;
  explicit Fd(int fd) : fd_(fd) {}
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  Fd(Fd&& o) noexcept : fd_(std::exchange(o.fd_, -1)) {}
  Fd& operator=(Fd&& o) noexcept {
    if (this != &o) {
      reset();
      fd_ = std::exchange(o.fd_, -1);
    }
    return *this;
  }
  ~Fd() { reset(); }
  void reset() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }
  int get() const { return fd_; }
  explicit operator bool() const { return fd_ >= 0; }

 private:
  int fd_ = -1;
};

// Opens a stream socket to SPEC ("unix:PATH", "local:PATH", "inet:PORT@HOST", "HOST:PORT").
inline Fd connect_socket(const std::string& spec, int timeout_s, std::string& err) {
  auto set_timeouts = [&](int fd) {
    timeval tv{timeout_s, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  };
  std::string path;
  if (spec.rfind("unix:", 0) == 0)
    path = spec.substr(5);
  else if (spec.rfind("local:", 0) == 0)
    path = spec.substr(6);
  if (!path.empty()) {
    sockaddr_un sa{};
    if (path.size() >= sizeof sa.sun_path) {
      err = "socket path too long";
      return Fd();
    }
    sa.sun_family = AF_UNIX;
    std::memcpy(sa.sun_path, path.data(), path.size());
    Fd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (!fd) {
      err = std::strerror(errno);
      return fd;
    }
    set_timeouts(fd.get());
    if (::connect(fd.get(), reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0) {
      err = path + ": " + std::strerror(errno);
      return Fd();
    }
    return fd;
  }
  std::string host, port;
  if (spec.rfind("inet:", 0) == 0) {
    auto at = spec.find('@');
    if (at == std::string::npos) {
      err = "inet socket needs PORT@HOST";
      return Fd();
    }
    port = spec.substr(5, at - 5);
    host = spec.substr(at + 1);
  } else {
    auto colon = spec.rfind(':');
    if (colon == std::string::npos) {
      err = "expected unix:PATH, inet:PORT@HOST or HOST:PORT";
      return Fd();
    }
    host = spec.substr(0, colon);
    port = spec.substr(colon + 1);
  }
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV;
  addrinfo* res = nullptr;
  if (int rc = getaddrinfo(host.c_str(), port.c_str(), &hints, &res); rc != 0) {
    err = spec + ": " + gai_strerror(rc);
    return Fd();
  }
  std::unique_ptr<addrinfo, void (*)(addrinfo*)> guard(res, freeaddrinfo);
  Fd fd(::socket(res->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd) {
    err = std::strerror(errno);
    return fd;
  }
  set_timeouts(fd.get());
  if (::connect(fd.get(), res->ai_addr, res->ai_addrlen) != 0) {
    err = spec + ": " + std::strerror(errno);
    return Fd();
  }
  return fd;
}

inline bool write_all(int fd, std::string_view data) {
  while (!data.empty()) {
    ssize_t n = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    data.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

inline bool read_exact(int fd, char* buf, size_t len) {
  while (len > 0) {
    ssize_t n = ::recv(fd, buf, len, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    buf += n;
    len -= static_cast<size_t>(n);
  }
  return true;
}

struct LoadedMessage {
  std::string name;
  std::string raw;
};

// Every regular file of DIR in name order; false (and why) on error.
inline bool load_messages(const std::string& dir, std::vector<LoadedMessage>& out,
                          std::string& err) {
  namespace fs = std::filesystem;
  std::error_code ec;
  std::vector<fs::path> files;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    if (it->is_regular_file() && it->path().extension() == ".eml") files.push_back(it->path());
    if (files.size() > kMaxMessages) {
      err = dir + ": more than " + std::to_string(kMaxMessages) + " messages";
      return false;
    }
  }
  if (ec) {
    err = dir + ": " + ec.message();
    return false;
  }
  std::sort(files.begin(), files.end());
  for (const auto& p : files) {
    auto size = fs::file_size(p, ec);
    if (ec || size > kMaxMessageBytes) {
      err = p.string() + (ec ? ": " + ec.message() : ": larger than the bound");
      return false;
    }
    std::ifstream in(p, std::ios::binary);
    std::ostringstream ss;
    ss << in.rdbuf();
    out.push_back({p.filename().string(), ss.str()});
  }
  if (out.empty()) {
    err = dir + ": no *.eml files";
    return false;
  }
  return true;
}

// The raw message with every line ending made CRLF.
inline std::string to_crlf(std::string_view in) {
  std::string out;
  out.reserve(in.size() + in.size() / 40);
  for (size_t i = 0; i < in.size(); ++i) {
    char c = in[i];
    if (c == '\r') {
      out += "\r\n";
      if (i + 1 < in.size() && in[i + 1] == '\n') ++i;
    } else if (c == '\n') {
      out += "\r\n";
    } else {
      out.push_back(c);
    }
  }
  return out;
}

// A header field: name and value (value without the colon and, like Postfix,
// without the one leading space; folded lines keep their "\n" + whitespace).
struct HeaderField {
  std::string name;
  std::string value;
};

// Splits a CRLF message into header fields and body (the body after the blank line).
inline void split_message(std::string_view msg, std::vector<HeaderField>& headers,
                          std::string_view& body) {
  size_t pos = 0;
  body = {};
  while (pos < msg.size()) {
    size_t eol = msg.find("\r\n", pos);
    if (eol == std::string_view::npos) eol = msg.size();
    std::string_view line = msg.substr(pos, eol - pos);
    size_t next = std::min(msg.size(), eol + 2);
    if (line.empty()) {
      body = msg.substr(next);
      return;
    }
    if ((line[0] == ' ' || line[0] == '\t') && !headers.empty()) {
      headers.back().value += "\n";
      headers.back().value += line;
    } else {
      size_t colon = line.find(':');
      if (colon == std::string_view::npos || colon == 0) {  // not a header: the body starts here
        body = msg.substr(pos);
        return;
      }
      std::string_view value = line.substr(colon + 1);
      if (!value.empty() && value[0] == ' ') value.remove_prefix(1);
      headers.push_back({std::string(line.substr(0, colon)), std::string(value)});
    }
    pos = next;
  }
}

// CPU time and memory of a process, from /proc/PID/stat and /proc/PID/status.
struct ProcStat {
  bool ok = false;
  double cpu_seconds = 0;  // utime + stime of every thread
  long rss_kb = 0;         // VmRSS
  long hwm_kb = 0;         // VmHWM: peak RSS since the process started
};

inline ProcStat read_proc(long pid) {
  ProcStat s;
  if (pid <= 0) return s;
  std::ifstream st("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  if (!std::getline(st, line)) return s;
  auto rp = line.rfind(')');
  if (rp == std::string::npos) return s;
  std::istringstream fields(line.substr(rp + 2));
  std::vector<std::string> f;
  for (std::string t; fields >> t && f.size() < 20;) f.push_back(t);
  if (f.size() < 13) return s;
  double tick = static_cast<double>(sysconf(_SC_CLK_TCK));
  s.cpu_seconds = (std::stod(f[11]) + std::stod(f[12])) / tick;  // fields 14 and 15
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  while (std::getline(status, line)) {
    if (line.rfind("VmRSS:", 0) == 0) s.rss_kb = std::atol(line.c_str() + 6);
    if (line.rfind("VmHWM:", 0) == 0) s.hwm_kb = std::atol(line.c_str() + 6);
  }
  s.ok = true;
  return s;
}

// One process's /proc/PID/stat fields we use: parent, own and reaped children's CPU ticks.
struct ProcTicks {
  long ppid = 0;
  double own = 0;       // utime + stime (fields 14, 15)
  double children = 0;  // cutime + cstime (fields 16, 17): waited-for children, whole lifetime
};

inline bool read_ticks(long pid, ProcTicks& t) {
  std::ifstream st("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  if (!std::getline(st, line)) return false;
  auto rp = line.rfind(')');
  if (rp == std::string::npos || rp + 2 > line.size()) return false;
  std::istringstream fields(line.substr(rp + 2));
  std::vector<std::string> f;
  for (std::string x; fields >> x && f.size() < 20;) f.push_back(x);
  if (f.size() < 15) return false;
  t.ppid = std::atol(f[1].c_str());
  t.own = std::stod(f[11]) + std::stod(f[12]);
  t.children = std::stod(f[13]) + std::stod(f[14]);
  return true;
}

// CPU time and memory of PID and every live descendant (found through the parent pids in
// /proc/N/stat), for a daemon whose work is done by worker processes. cpu_seconds counts each
// process's utime + stime plus its cutime + cstime, so a worker that exits (and is reaped) between
// two readings still counts: its time moves into its parent's cutime. rss_kb and hwm_kb are
// sums over the live processes (the peak sum is an upper bound: the peaks need not coincide).
// processes = how many were found (0 when PID is gone).
struct TreeStat {
  ProcStat total;
  int processes = 0;
};

inline TreeStat read_proc_tree(long root) {
  TreeStat out;
  if (root <= 0) return out;
  std::map<long, std::vector<long>> kids;
  std::map<long, ProcTicks> ticks;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator("/proc", ec)) {
    const std::string name = e.path().filename().string();
    if (name.empty() || name.find_first_not_of("0123456789") != std::string::npos) continue;
    long pid = std::atol(name.c_str());
    ProcTicks t;
    if (!read_ticks(pid, t)) continue;  // gone meanwhile
    ticks[pid] = t;
    kids[t.ppid].push_back(pid);
  }
  if (!ticks.contains(root)) return out;
  double tick = static_cast<double>(sysconf(_SC_CLK_TCK));
  std::vector<long> todo{root};
  while (!todo.empty()) {
    long pid = todo.back();
    todo.pop_back();
    const ProcTicks& t = ticks[pid];
    out.total.cpu_seconds += (t.own + t.children) / tick;
    ProcStat m = read_proc(pid);
    out.total.rss_kb += m.rss_kb;
    out.total.hwm_kb += m.hwm_kb;
    ++out.processes;
    for (long k : kids[pid]) todo.push_back(k);
  }
  out.total.ok = true;
  return out;
}

// Nearest-rank percentile (P in 0..100) of a sorted vector; 0 when empty.
inline double percentile(const std::vector<double>& sorted, double p) {
  if (sorted.empty()) return 0;
  size_t rank = static_cast<size_t>(std::ceil(p / 100.0 * static_cast<double>(sorted.size())));
  rank = std::clamp<size_t>(rank, 1, sorted.size());
  return sorted[rank - 1];
}

// Parses a positive number argument; false when it is not one.
inline bool parse_number(const char* s, double& out) {
  char* end = nullptr;
  errno = 0;
  out = std::strtod(s, &end);
  return errno == 0 && end && *end == '\0' && end != s && out >= 0 && std::isfinite(out);
}

}  // namespace postern::bench
