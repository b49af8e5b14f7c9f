// Loopback sockets for test servers (DNS, ICAP, clamd, Redis fixtures).
//
// Contract: test-only, thread-safe (no shared state). `loopback_socket(type,
// port)` returns a socket of `type` (SOCK_STREAM, SOCK_DGRAM) bound to
// 127.0.0.1 on a port the kernel picks, written to `port`; it throws
// std::runtime_error when the kernel gives none. `free_port()` is such a TCP
// port, closed again: nobody listens on it now. `loopback_connect(port)` is a
// TCP socket connected to 127.0.0.1:port, or -1 when nothing listens there;
// `port_open(port)` says whether something does.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdint>
#include <stdexcept>

namespace postern::test {

inline int loopback_socket(int type, uint16_t& port) {
  int fd = ::socket(AF_INET, type | SOCK_CLOEXEC, 0);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof sa;
  if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&sa), &len) != 0) {
    if (fd >= 0) ::close(fd);
    throw std::runtime_error("no free loopback port");
  }
  port = ntohs(sa.sin_port);
  return fd;
}

inline uint16_t free_port() {
  uint16_t port = 0;
  ::close(loopback_socket(SOCK_STREAM, port));
  return port;
}

inline int loopback_connect(uint16_t port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(port);
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (fd >= 0 && ::connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) == 0) return fd;
  if (fd >= 0) ::close(fd);
  return -1;
}

inline bool port_open(uint16_t port) {
  int fd = loopback_connect(port);
  if (fd < 0) return false;
  ::close(fd);
  return true;
}

}  // namespace postern::test
