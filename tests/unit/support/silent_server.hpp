// SilentServer: a UDP socket on 127.0.0.1 that receives DNS queries and never
// answers, for tests of timeouts and temperror results (a fault we can cause
// for real: a server that does not reply). Point a resolver's forwarder at
// "127.0.0.1@<port>". Closed on destruction.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdint>

namespace postern::test {

struct SilentServer {
  int fd = -1;
  uint16_t port = 0;
  SilentServer() {
    fd = ::socket(AF_INET, SOCK_DGRAM, 0);
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa);
    socklen_t len = sizeof sa;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&sa), &len);
    port = ntohs(sa.sin_port);
  }
  ~SilentServer() { ::close(fd); }
  SilentServer(const SilentServer&) = delete;
  SilentServer& operator=(const SilentServer&) = delete;
};

}  // namespace postern::test
