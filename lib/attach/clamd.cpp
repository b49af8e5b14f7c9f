// The clamd client: address parsing, zINSTREAM with bounded waits, reply parsing.
#include "attach/clamd.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <utility>

namespace postern::attach {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

// One owned socket.
class Socket {
 public:
  explicit Socket(int fd) : fd_(fd) {}
  Socket(const Socket&) = delete;
  Socket& operator=(const Socket&) = delete;
  ~Socket() {
    if (fd_ >= 0) ::close(fd_);
  }
  int get() const { return fd_; }

 private:
  int fd_;
};

std::string printable(std::string_view s) {
  std::string out;
  for (char c : s.substr(0, 200)) out.push_back(c >= 0x20 && c < 0x7f ? c : '?');
  return out;
}

ScanResult error(std::string text) {
  ScanResult r;
  r.status = ScanStatus::Error;
  r.error = std::move(text);
  return r;
}

ScanResult stream_limit(uint64_t sent) {
  ScanResult r;
  r.status = ScanStatus::Found;
  r.names.emplace_back(kClamdStreamLimitName);
  r.scanned_bytes = sent;
  return r;
}

// Milliseconds to wait: the step's own bound, cut at the exchange's deadline.
int wait_ms(milliseconds step, Clock::time_point deadline) {
  auto left = std::chrono::duration_cast<milliseconds>(deadline - Clock::now());
  return static_cast<int>(std::max<int64_t>(0, std::min(step, left).count()));
}

enum class SendState { Sent, PeerSpoke, Failed };

// Sends all of `buf`, unless clamd speaks or closes first (its size-limit reply).
SendState send_all(int fd, std::string_view buf, milliseconds step, Clock::time_point deadline,
                   std::string& why) {
  while (!buf.empty()) {
    pollfd p{fd, POLLOUT | POLLIN, 0};
    int n = ::poll(&p, 1, wait_ms(step, deadline));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      why = fmt::format("poll: {}", std::strerror(errno));
      return SendState::Failed;
    }
    if (n == 0) {
      why = "timed out sending";
      return SendState::Failed;
    }
    if (p.revents & (POLLIN | POLLHUP | POLLERR)) return SendState::PeerSpoke;
    ssize_t w = ::send(fd, buf.data(), buf.size(), MSG_NOSIGNAL);
    if (w < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) continue;
      if (errno == EPIPE || errno == ECONNRESET) return SendState::PeerSpoke;
      why = fmt::format("send: {}", std::strerror(errno));
      return SendState::Failed;
    }
    buf.remove_prefix(static_cast<size_t>(w));
  }
  return SendState::Sent;
}

// Reads until clamd closes; at most kMaxClamdReply bytes.
postern::expected<std::string, std::string> read_reply(int fd, milliseconds step,
                                                       Clock::time_point deadline) {
  std::string reply;
  char buf[1024];
  for (;;) {
    pollfd p{fd, POLLIN, 0};
    int n = ::poll(&p, 1, wait_ms(step, deadline));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return postern::unexpected(fmt::format("poll: {}", std::strerror(errno)));
    if (n == 0) return postern::unexpected(std::string("timed out waiting for the reply"));
    ssize_t r = ::recv(fd, buf, sizeof buf, 0);
    if (r < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) continue;
      // A reset after the reply was sent still leaves the reply readable before it.
      if (errno == ECONNRESET && !reply.empty()) return reply;
      return postern::unexpected(fmt::format("recv: {}", std::strerror(errno)));
    }
    if (r == 0) return reply;
    reply.append(buf, static_cast<size_t>(r));
    if (reply.size() > kMaxClamdReply)
      return postern::unexpected(fmt::format("reply longer than {} bytes", kMaxClamdReply));
  }
}

bool parse_port(std::string_view s, uint16_t& port) {
  if (s.empty() || s.size() > 5) return false;
  unsigned v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + static_cast<unsigned>(c - '0');
  }
  if (v == 0 || v > 65535) return false;
  port = static_cast<uint16_t>(v);
  return true;
}

}  // namespace

postern::expected<ClamdClient, std::string> ClamdClient::create(const ClamdConfig& config) {
  ClamdClient c;
  c.config_ = config;
  if (config.chunk_size == 0 || config.chunk_size > (1u << 24))
    return postern::unexpected(std::string("clamd: chunk_size must be 1 byte to 16 MiB"));
  if (config.max_stream == 0 || config.connect_timeout.count() <= 0 ||
      config.io_timeout.count() <= 0 || config.scan_timeout.count() <= 0)
    return postern::unexpected(std::string("clamd: max_stream and the timeouts must be above 0"));
  std::string_view a = config.address;
  if (a.starts_with("unix:") || a.starts_with("/")) {
    if (a.starts_with("unix:")) a.remove_prefix(5);
    sockaddr_un un{};
    if (a.empty() || a.front() != '/' || a.size() >= sizeof un.sun_path ||
        a.find('\0') != std::string_view::npos)
      return postern::unexpected(
          fmt::format("clamd: {}: a unix socket needs an absolute path of at most {} bytes",
                      config.address, sizeof un.sun_path - 1));
    un.sun_family = AF_UNIX;
    std::memcpy(un.sun_path, a.data(), a.size());
    std::memcpy(&c.addr_, &un, sizeof un);
    c.addr_len_ = sizeof un;
    return c;
  }
  if (!a.starts_with("tcp:"))
    return postern::unexpected(fmt::format(
        "clamd: {}: the address must be unix:/path, /path or tcp:HOST:PORT", config.address));
  a.remove_prefix(4);
  std::string_view host, port_text;
  if (a.starts_with("[")) {
    size_t close = a.find(']');
    if (close == std::string_view::npos || close + 1 >= a.size() || a[close + 1] != ':')
      return postern::unexpected(fmt::format("clamd: {}: expected [ADDRESS]:PORT", config.address));
    host = a.substr(1, close - 1);
    port_text = a.substr(close + 2);
  } else {
    size_t colon = a.rfind(':');
    if (colon == std::string_view::npos || a.find(':') != colon)
      return postern::unexpected(fmt::format("clamd: {}: expected HOST:PORT", config.address));
    host = a.substr(0, colon);
    port_text = a.substr(colon + 1);
  }
  uint16_t port = 0;
  if (host.empty() || !parse_port(port_text, port))
    return postern::unexpected(fmt::format("clamd: {}: expected HOST:PORT", config.address));
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICSERV;
  addrinfo* res = nullptr;
  std::string h(host), p = std::to_string(port);
  if (int rc = ::getaddrinfo(h.c_str(), p.c_str(), &hints, &res); rc != 0 || res == nullptr)
    return postern::unexpected(fmt::format("clamd: {}: {}", config.address, gai_strerror(rc)));
  std::memcpy(&c.addr_, res->ai_addr, res->ai_addrlen);
  c.addr_len_ = res->ai_addrlen;
  ::freeaddrinfo(res);
  return c;
}

ScanResult ClamdClient::scan(std::string_view data) const {
  if (data.size() > config_.max_stream) return stream_limit(0);
  const auto deadline = Clock::now() + config_.scan_timeout;
  Socket s(::socket(addr_.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  if (s.get() < 0) return error(fmt::format("clamd: socket: {}", std::strerror(errno)));
  if (::connect(s.get(), reinterpret_cast<const sockaddr*>(&addr_), addr_len_) != 0) {
    // EAGAIN on a unix socket: clamd's backlog is full; that is no connect in progress.
    if (errno != EINPROGRESS)
      return error(fmt::format("clamd: connect {}: {}", config_.address, std::strerror(errno)));
    pollfd p{s.get(), POLLOUT, 0};
    int n;
    do n = ::poll(&p, 1, wait_ms(config_.connect_timeout, deadline));
    while (n < 0 && errno == EINTR);
    if (n <= 0) return error(fmt::format("clamd: connect {}: timed out", config_.address));
    int err = 0;
    socklen_t len = sizeof err;
    ::getsockopt(s.get(), SOL_SOCKET, SO_ERROR, &err, &len);
    if (err != 0)
      return error(fmt::format("clamd: connect {}: {}", config_.address, std::strerror(err)));
  }

  std::string why;
  SendState st =
      send_all(s.get(), std::string_view("zINSTREAM\0", 10), config_.io_timeout, deadline, why);
  uint64_t sent = 0;
  while (st == SendState::Sent) {
    size_t n = std::min<size_t>(config_.chunk_size, data.size() - sent);
    const uint32_t len = htonl(static_cast<uint32_t>(n));
    char head[4];
    std::memcpy(head, &len, 4);
    st = send_all(s.get(), std::string_view(head, 4), config_.io_timeout, deadline, why);
    if (st != SendState::Sent || n == 0) break;  // n == 0: that was the terminating length
    st = send_all(s.get(), data.substr(sent, n), config_.io_timeout, deadline, why);
    sent += n;
  }
  if (st == SendState::Failed) return error(fmt::format("clamd {}: {}", config_.address, why));

  auto reply = read_reply(s.get(), config_.io_timeout, deadline);
  if (!reply) return error(fmt::format("clamd {}: {}", config_.address, reply.error()));
  ScanResult r = parse_clamd_reply(*reply);
  r.scanned_bytes = sent;
  if (r.status == ScanStatus::Error) r.error = fmt::format("{} ({})", r.error, config_.address);
  return r;
}

ScanResult parse_clamd_reply(std::string_view reply) {
  if (reply.empty()) return error("clamd: no reply");
  if (reply.back() != '\0') return error("clamd: reply not NUL-terminated: " + printable(reply));
  constexpr std::string_view kStream = "stream: ", kFound = " FOUND", kError = " ERROR";
  ScanResult r;
  size_t oks = 0;
  reply.remove_suffix(1);
  for (;;) {
    size_t end = reply.find('\0');
    std::string_view line = reply.substr(0, end);
    if (line == "stream: OK") {
      ++oks;
    } else if (line == "INSTREAM size limit exceeded. ERROR") {
      r.names.emplace_back(kClamdStreamLimitName);
    } else if (line.ends_with(kError)) {
      return error("clamd: " + printable(line));
    } else if (line.starts_with(kStream) && line.ends_with(kFound) &&
               line.size() > kStream.size() + kFound.size()) {
      std::string_view name =
          line.substr(kStream.size(), line.size() - kStream.size() - kFound.size());
      if (std::any_of(name.begin(), name.end(), [](char c) { return c < 0x21 || c > 0x7e; }))
        return error("clamd: a name with spaces or control bytes: " + printable(line));
      if (r.names.size() < 32) r.names.emplace_back(name);
    } else {
      return error("clamd: unexpected reply: " + printable(line));
    }
    if (end == std::string_view::npos) break;
    reply.remove_prefix(end + 1);
  }
  if (!r.names.empty() && oks > 0) return error("clamd: OK and FOUND in one reply");
  if (r.names.empty() && oks != 1) return error("clamd: more than one OK in one reply");
  r.status = r.names.empty() ? ScanStatus::Clean : ScanStatus::Found;
  return r;
}

}  // namespace postern::attach
