// The ICAP client against a real c-icap (Debian's c-icap with its virus_scan
// service) in front of a real clamd, both started here on loopback with private
// configs and a database made in the test: EICAR is Infected with its name, a
// clean file Clean, and every failure (no server, an unknown service, a server
// that accepts and never answers) an Error within the timeouts, never Clean.
#include "attach/icap.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include <chrono>
#include <filesystem>
#include <thread>

#include "attach/icap_server.hpp"
#include "core/digest.hpp"
#include "support/temp_dir.hpp"

using namespace postern;
using namespace postern::attach;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

using test::free_port;
using test::kEicar;
using test::port_open;

namespace {

IcapConfig config(uint16_t port, std::string service = "avscan") {
  IcapConfig c;
  c.port = port;
  c.service = std::move(service);
  c.connect_timeout = 2s;
  c.io_timeout = 5s;
  c.deadline = 20s;
  return c;
}

}  // namespace

TEST_CASE("icap URLs name the host, port and service") {
  struct Row {
    std::string url, host;
    uint16_t port;
    std::string service;
  };
  for (const auto& r :
       std::vector<Row>{{"icap://127.0.0.1:1344/avscan", "127.0.0.1", 1344, "avscan"},
                        {"icap://sandbox.example/respmod", "sandbox.example", 1344, "respmod"},
                        {"icap://[::1]:11344/srv_clamav", "::1", 11344, "srv_clamav"}}) {
    INFO(r.url);
    auto c = parse_icap_url(r.url);
    REQUIRE(c);
    CHECK(c->host == r.host);
    CHECK(c->port == r.port);
    CHECK(c->service == r.service);
  }
  for (std::string bad : {"http://x/avscan", "icap://x", "icap://x/", "icap://x:0/a",
                          "icap://x:99999/a", "icap://:1344/a", "icap://[::1/a", "icap://x:/a"}) {
    INFO(bad);
    CHECK_FALSE(parse_icap_url(bad));
  }
}

TEST_CASE("c-icap in front of clamd: EICAR is infected, a clean file is clean") {
  if (!test::icap_server().running()) {
    WARN(
        "c-icap or clamd did not start (scripts/bootstrap installs c-icap, "
        "libc-icap-mod-virus-scan and clamav-daemon)");
    return;
  }
  auto c = config(test::icap_server().port());
  IcapResult bad = icap_scan(c, kEicar, "eicar.com");
  CHECK(bad.status == IcapResult::Status::Infected);
  CHECK(bad.icap_status == 200);
  CHECK(bad.threat.find("Postern.Test.Eicar") != std::string::npos);

  // Bytes no signature names (a clean file), of a few sizes around the chunk and preview edges.
  for (size_t n : {size_t{0}, size_t{1}, size_t{4095}, size_t{65536}, size_t{1} << 20}) {
    INFO(n);
    std::string clean(n, 'a');
    IcapResult ok = icap_scan(c, clean, "report name with spaces & ümlauts.pdf");
    CHECK(ok.status == IcapResult::Status::Clean);
    CHECK(ok.error.empty());
  }
  // Without a file name: the verdict does not depend on it.
  IcapResult again = icap_scan(c, kEicar, "");
  CHECK(again.status == IcapResult::Status::Infected);
}

TEST_CASE("every ICAP failure is an error within its timeouts, never clean") {
  // Nobody listening.
  IcapResult none = icap_scan(config(free_port()), kEicar, "x");
  CHECK(none.status == IcapResult::Status::Error);
  CHECK(none.error.find("connect") != std::string::npos);

  // A file over the size the server is sent: not sent, not clean.
  IcapConfig small = config(free_port());
  small.max_bytes = 10;
  CHECK(icap_scan(small, kEicar, "x").status == IcapResult::Status::TooLarge);

  // A server that accepts and never answers: an error after the I/O timeout.
  int s = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(s, reinterpret_cast<sockaddr*>(&sa), sizeof sa);
  ::listen(s, 4);
  socklen_t len = sizeof sa;
  ::getsockname(s, reinterpret_cast<sockaddr*>(&sa), &len);
  IcapConfig silent = config(ntohs(sa.sin_port));
  silent.io_timeout = 300ms;
  auto t0 = std::chrono::steady_clock::now();
  IcapResult hung = icap_scan(silent, kEicar, "x");
  auto took = std::chrono::steady_clock::now() - t0;
  ::close(s);
  CHECK(hung.status == IcapResult::Status::Error);
  CHECK(hung.error.find("timed out") != std::string::npos);
  CHECK(took < 3s);

  if (!test::icap_server().running()) {
    WARN("c-icap or clamd did not start");
    return;
  }
  // A service the server does not have.
  IcapResult unknown =
      icap_scan(config(test::icap_server().port(), "no_such_service"), kEicar, "x");
  CHECK(unknown.status == IcapResult::Status::Error);
}
