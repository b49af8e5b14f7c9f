// ICAP client: one RESPMOD exchange per file (see icap.hpp).
#include "attach/icap.hpp"

#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fmt/format.h>

#include <cerrno>
#include <charconv>
#include <cstring>
#include <vector>

namespace postern::attach {
namespace {

using Clock = std::chrono::steady_clock;

class Fd {
 public:
  explicit Fd(int fd = -1) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

// Milliseconds to wait for the next poll: the I/O timeout, cut at the deadline.
int wait_ms(const IcapConfig& c, Clock::time_point end) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(end - Clock::now());
  auto w = std::min(left, c.io_timeout);
  return static_cast<int>(std::max<int64_t>(0, w.count()));
}

postern::expected<int, std::string> connect_to(const IcapConfig& c) {
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  std::string port = std::to_string(c.port);
  if (int rc = ::getaddrinfo(c.host.c_str(), port.c_str(), &hints, &res); rc != 0)
    return postern::unexpected(fmt::format("{}: {}", c.host, gai_strerror(rc)));
  std::string err = "no address";
  int fd = -1;
  for (addrinfo* ai = res; ai && fd < 0; ai = ai->ai_next) {
    int s = ::socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (s < 0) continue;
    if (::connect(s, ai->ai_addr, ai->ai_addrlen) == 0) {
      fd = s;
      break;
    }
    if (errno == EINPROGRESS) {
      pollfd p{s, POLLOUT, 0};
      int soerr = 0;
      socklen_t len = sizeof soerr;
      if (::poll(&p, 1, static_cast<int>(c.connect_timeout.count())) == 1 &&
          ::getsockopt(s, SOL_SOCKET, SO_ERROR, &soerr, &len) == 0 && soerr == 0) {
        fd = s;
        break;
      }
      err = soerr ? std::strerror(soerr) : "connect timed out";
    } else {
      err = std::strerror(errno);
    }
    ::close(s);
  }
  ::freeaddrinfo(res);
  if (fd < 0) return postern::unexpected(fmt::format("connect {}:{}: {}", c.host, c.port, err));
  return fd;
}

std::string url_path(std::string_view name) {
  std::string out = "/";
  for (unsigned char ch : name.substr(0, 200)) {
    if (std::isalnum(ch) || ch == '-' || ch == '.' || ch == '_' || ch == '~')
      out += static_cast<char>(ch);
    else
      out += fmt::format("%{:02X}", ch);
  }
  return out == "/" ? "/file" : out;
}

// The value of header `name` (case-insensitive) in `head`, "" when absent;
// folded continuation lines are joined with a space.
std::string header(std::string_view head, std::string_view name) {
  size_t pos = 0;
  while (pos < head.size()) {
    size_t eol = head.find("\r\n", pos);
    if (eol == std::string_view::npos) eol = head.size();
    std::string_view line = head.substr(pos, eol - pos);
    pos = eol + 2;
    size_t colon = line.find(':');
    if (colon != name.size()) continue;
    bool same = true;
    for (size_t i = 0; i < colon && same; ++i)
      same = std::tolower(static_cast<unsigned char>(line[i])) ==
             std::tolower(static_cast<unsigned char>(name[i]));
    if (!same) continue;
    std::string v(line.substr(colon + 1));
    while (pos < head.size() && (head[pos] == ' ' || head[pos] == '\t')) {
      size_t e = head.find("\r\n", pos);
      if (e == std::string_view::npos) e = head.size();
      v += ' ';
      v += head.substr(pos, e - pos);
      pos = e + 2;
    }
    size_t b = v.find_first_not_of(" \t");
    return b == std::string::npos ? "" : v.substr(b);
  }
  return {};
}

// The threat a reply's ICAP headers name, "" when none.
std::string threat_of(std::string_view head) {
  std::string inf = header(head, "X-Infection-Found");
  if (!inf.empty()) {
    size_t t = inf.find("Threat=");
    if (t != std::string::npos) {
      std::string name = inf.substr(t + 7, inf.find(';', t) - t - 7);
      return name.empty() ? "unnamed" : name;
    }
    return "unnamed";
  }
  std::string id = header(head, "X-Virus-ID");
  if (!id.empty()) return id;
  std::string viol = header(head, "X-Violations-Found");
  if (!viol.empty()) {
    // "1 <file> <threat> <id> <resolution>" once folded: the count, then the fields.
    int count = 0;
    std::from_chars(viol.data(), viol.data() + viol.size(), count);
    if (count > 0) {
      std::vector<std::string> f;
      size_t i = 0;
      while (i < viol.size() && f.size() < 3) {
        size_t e = viol.find(' ', i);
        if (e == std::string::npos) e = viol.size();
        if (e > i) f.push_back(viol.substr(i, e - i));
        i = e + 1;
      }
      return f.size() >= 3 ? f[2] : "unnamed";
    }
  }
  return {};
}

}  // namespace

postern::expected<IcapConfig, std::string> parse_icap_url(std::string_view url, IcapConfig c) {
  constexpr std::string_view scheme = "icap://";
  if (url.substr(0, scheme.size()) != scheme)
    return postern::unexpected(fmt::format("'{}': expected icap://host[:port]/service", url));
  url.remove_prefix(scheme.size());
  size_t slash = url.find('/');
  if (slash == std::string_view::npos || slash + 1 >= url.size())
    return postern::unexpected("the ICAP URL names no service (icap://host:1344/service)");
  std::string_view hostport = url.substr(0, slash);
  c.service = std::string(url.substr(slash + 1));
  std::string_view port;
  if (!hostport.empty() && hostport.front() == '[') {  // [v6 address]:port
    size_t close = hostport.find(']');
    if (close == std::string_view::npos)
      return postern::unexpected("'[' without ']' in the ICAP URL");
    std::string_view rest = hostport.substr(close + 1);
    if (!rest.empty() && rest.front() != ':') return postern::unexpected("bad ICAP URL host");
    if (!rest.empty()) port = rest.substr(1);
    hostport = hostport.substr(1, close - 1);
  } else if (size_t colon = hostport.rfind(':'); colon != std::string_view::npos) {
    port = hostport.substr(colon + 1);
    hostport = hostport.substr(0, colon);
  }
  if (!port.empty() || url.substr(0, slash).ends_with(":")) {
    unsigned p = 0;
    auto r = std::from_chars(port.data(), port.data() + port.size(), p);
    if (r.ec != std::errc{} || r.ptr != port.data() + port.size() || p == 0 || p > 65535)
      return postern::unexpected(fmt::format("'{}': bad port", port));
    c.port = static_cast<uint16_t>(p);
  }
  if (hostport.empty()) return postern::unexpected("the ICAP URL names no host");
  c.host = std::string(hostport);
  return c;
}

IcapResult icap_scan(const IcapConfig& c, std::string_view data, std::string_view name) {
  IcapResult r;
  if (data.size() > c.max_bytes) {
    r.status = IcapResult::Status::TooLarge;
    r.error =
        fmt::format("{} bytes, over the {} the ICAP server is sent", data.size(), c.max_bytes);
    return r;
  }
  const auto end = Clock::now() + c.deadline;
  auto fd = connect_to(c);
  if (!fd) {
    r.error = fd.error();
    return r;
  }
  Fd sock(*fd);
  const std::string req_hdr =
      fmt::format("GET {} HTTP/1.1\r\nHost: postern\r\n\r\n", url_path(name));
  const std::string res_hdr = fmt::format(
      "HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: {}\r\n\r\n",
      data.size());
  const std::string head = fmt::format(
      "RESPMOD icap://{}:{}/{} ICAP/1.0\r\nHost: {}\r\nAllow: 204\r\nConnection: close\r\n"
      "Encapsulated: req-hdr=0, res-hdr={}, res-body={}\r\n\r\n{}{}",
      c.host, c.port, c.service, c.host, req_hdr.size(), req_hdr.size() + res_hdr.size(), req_hdr,
      res_hdr);
  // The body in one chunk (the server may not read before it has it all).
  const std::string chunk_head = fmt::format("{:x}\r\n", data.size());
  const std::string_view tail = data.empty() ? "0\r\n\r\n" : "\r\n0\r\n\r\n";
  const std::string_view pieces[] = {head, chunk_head, data, tail};
  std::string send_error;  // a server that refuses the request may answer, then close
  for (std::string_view piece : pieces) {
    if (!send_error.empty()) break;
    if (data.empty() && piece.data() == chunk_head.data()) continue;
    while (!piece.empty()) {
      pollfd p{sock.get(), POLLOUT, 0};
      if (::poll(&p, 1, wait_ms(c, end)) != 1) {
        r.error = "timed out sending to the ICAP server";
        return r;
      }
      ssize_t n = ::send(sock.get(), piece.data(), piece.size(), MSG_NOSIGNAL);
      if (n < 0) {
        if (errno == EAGAIN || errno == EINTR) continue;
        send_error = fmt::format("send: {}", std::strerror(errno));
        break;
      }
      piece.remove_prefix(static_cast<size_t>(n));
    }
  }
  std::string reply;
  char buf[16384];
  for (;;) {
    size_t hdr_end = reply.find("\r\n\r\n");
    // 204 carries no body: stop at the end of its headers.
    if (hdr_end != std::string::npos && reply.compare(0, 13, "ICAP/1.0 204 ") == 0) break;
    pollfd p{sock.get(), POLLIN, 0};
    if (::poll(&p, 1, wait_ms(c, end)) != 1) {
      if (hdr_end != std::string::npos) break;  // the headers are what we need
      r.error = "timed out waiting for the ICAP server";
      return r;
    }
    ssize_t n = ::recv(sock.get(), buf, sizeof buf, 0);
    if (n < 0) {
      if (errno == EAGAIN || errno == EINTR) continue;
      r.error = fmt::format("recv: {}", std::strerror(errno));
      return r;
    }
    if (n == 0) break;
    reply.append(buf, static_cast<size_t>(n));
    if (reply.size() > kMaxIcapReply) break;
  }
  size_t hdr_end = reply.find("\r\n\r\n");
  if (reply.compare(0, 9, "ICAP/1.0 ") != 0 || hdr_end == std::string::npos) {
    r.error = !send_error.empty() ? send_error
              : reply.empty()     ? "the ICAP server closed without a reply"
                                  : "garbled ICAP reply";
    return r;
  }
  std::from_chars(reply.data() + 9, reply.data() + std::min<size_t>(12, reply.size()),
                  r.icap_status);
  std::string_view icap_head(reply.data(), hdr_end);
  if (!send_error.empty() && r.icap_status != 200 && r.icap_status != 204 && r.icap_status < 400) {
    r.error = send_error;
    return r;
  }
  if (r.icap_status != 200 && r.icap_status != 204) {
    r.error = fmt::format("ICAP status: {}",
                          icap_head.substr(0, std::min<size_t>(icap_head.find("\r\n"), 100)));
    return r;
  }
  r.threat = threat_of(icap_head);
  r.status = r.threat.empty() ? IcapResult::Status::Clean : IcapResult::Status::Infected;
  return r;
}

}  // namespace postern::attach
