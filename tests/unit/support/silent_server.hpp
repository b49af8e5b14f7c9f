// SilentServer: a UDP socket on 127.0.0.1 that receives DNS queries and never
// answers, for tests of timeouts and temperror results (a fault we can cause
// for real: a server that does not reply). Point a resolver's forwarder at
// "127.0.0.1@<port>". `received_names()` drains the queries that arrived so
// far and returns their question names (lower-case, no final dot), so a test
// can tell which lookups were actually sent. Closed on destruction.
#pragma once

#include <sys/socket.h>
#include <unistd.h>

#include <cctype>
#include <cstdint>
#include <set>
#include <string>

#include "support/loopback.hpp"

namespace postern::test {

struct SilentServer {
  uint16_t port = 0;
  int fd = -1;
  SilentServer() : fd(loopback_socket(SOCK_DGRAM, port)) {}
  ~SilentServer() { ::close(fd); }

  std::set<std::string> received_names() const {
    std::set<std::string> out;
    unsigned char buf[1500];
    for (;;) {
      ssize_t n = ::recv(fd, buf, sizeof buf, MSG_DONTWAIT);
      if (n < 0) break;
      std::string name;
      for (size_t i = 12; i < static_cast<size_t>(n) && buf[i] != 0;) {  // QNAME after the header
        size_t len = buf[i++];
        if (i + len > static_cast<size_t>(n)) break;
        if (!name.empty()) name += '.';
        for (size_t j = 0; j < len; ++j)
          name += static_cast<char>(std::tolower(static_cast<unsigned char>(buf[i + j])));
        i += len;
      }
      out.insert(name);
    }
    return out;
  }
  SilentServer(const SilentServer&) = delete;
  SilentServer& operator=(const SilentServer&) = delete;
};

}  // namespace postern::test
