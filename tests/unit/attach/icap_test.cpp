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

#include "core/digest.hpp"
#include "support/temp_dir.hpp"

using namespace postern;
using namespace postern::attach;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

const std::string kEicar = "X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*";

// A TCP port on loopback nobody listens on now.
uint16_t free_port() {
  int s = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(s, reinterpret_cast<sockaddr*>(&sa), sizeof sa);
  socklen_t len = sizeof sa;
  ::getsockname(s, reinterpret_cast<sockaddr*>(&sa), &len);
  ::close(s);
  return ntohs(sa.sin_port);
}

bool port_open(uint16_t port) {
  int s = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(port);
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bool ok = ::connect(s, reinterpret_cast<sockaddr*>(&sa), sizeof sa) == 0;
  ::close(s);
  return ok;
}

pid_t spawn(const std::vector<std::string>& argv, const std::string& out) {
  pid_t pid = ::fork();
  if (pid == 0) {
    int fd = ::open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (fd >= 0) {
      ::dup2(fd, 1);
      ::dup2(fd, 2);
    }
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    ::execv(args[0], args.data());
    ::_exit(127);
  }
  return pid;
}

// clamd on a private socket with a one-signature database, and c-icap's
// virus_scan service asking it, on a free loopback port. `running()` is false
// when either is not installed or did not come up within 60 s.
class IcapServer {
 public:
  IcapServer() : port_(free_port()) {
    const fs::path d = dir_.path();
    dir_.write("db/test.hsb", core::sha256_hex(kEicar) + ":" + std::to_string(kEicar.size()) +
                                  ":Postern.Test.Eicar\n");
    dir_.write("clamd.conf", "LocalSocket " + (d / "clamd.sock").string() + "\nDatabaseDirectory " +
                                 (d / "db").string() + "\nForeground yes\nLogFile " +
                                 (d / "clamd.log").string() + "\n");
    dir_.write("c-icap.conf",
               "PidFile " + (d / "c-icap.pid").string() + "\nCommandsSocket " +
                   (d / "c-icap.ctl").string() + "\nPort 127.0.0.1:" + std::to_string(port_) +
                   "\nTimeout 30\nStartServers 1\nMaxServers 2\nMinSpareThreads 2\n"
                   "MaxSpareThreads 4\nThreadsPerChild 4\nTmpDir " +
                   d.string() +
                   "\nModulesDir /usr/lib/x86_64-linux-gnu/c_icap\n"
                   "ServicesDir /usr/lib/x86_64-linux-gnu/c_icap\n"
                   "TemplateDir /usr/share/c_icap/templates/\nTemplateDefaultLanguage en\n"
                   "LoadMagicFile /etc/c-icap/c-icap.magic\nServerLog " +
                   (d / "server.log").string() + "\nAccessLog " + (d / "access.log").string() +
                   "\nModule common clamd_mod.so\nclamd_mod.ClamdSocket " +
                   (d / "clamd.sock").string() +
                   "\nService antivirus_module virus_scan.so\n"
                   "ServiceAlias avscan virus_scan?allow204=on&sizelimit=off&mode=simple\n"
                   "virus_scan.ScanFileTypes TEXT DATA EXECUTABLE ARCHIVE GIF JPEG MSOFFICE\n"
                   "virus_scan.MaxObjectSize 5M\n");
    if (::access("/usr/sbin/clamd", X_OK) != 0 || ::access("/usr/bin/c-icap", X_OK) != 0) return;
    clamd_ =
        spawn({"/usr/sbin/clamd", "--foreground", "--config-file=" + (d / "clamd.conf").string()},
              (d / "clamd.out").string());
    for (int i = 0; i < 600 && !fs::exists(d / "clamd.sock"); ++i)
      std::this_thread::sleep_for(100ms);
    if (!fs::exists(d / "clamd.sock")) return;
    icap_ = spawn({"/usr/bin/c-icap", "-N", "-f", (d / "c-icap.conf").string()},
                  (d / "c-icap.out").string());
    for (int i = 0; i < 300 && !port_open(port_); ++i) std::this_thread::sleep_for(100ms);
    running_ = port_open(port_);
  }
  ~IcapServer() {
    for (pid_t p : {icap_, clamd_})
      if (p > 0) {
        ::kill(p, SIGTERM);
        ::waitpid(p, nullptr, 0);
      }
  }
  bool running() const { return running_; }
  uint16_t port() const { return port_; }

 private:
  test::TempDir dir_;
  uint16_t port_;
  pid_t clamd_ = -1, icap_ = -1;
  bool running_ = false;
};

IcapServer& server() {
  static IcapServer s;
  return s;
}

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
  if (!server().running()) {
    WARN(
        "c-icap or clamd did not start (scripts/bootstrap installs c-icap, "
        "libc-icap-mod-virus-scan and clamav-daemon)");
    return;
  }
  auto c = config(server().port());
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

  if (!server().running()) {
    WARN("c-icap or clamd did not start");
    return;
  }
  // A service the server does not have.
  IcapResult unknown = icap_scan(config(server().port(), "no_such_service"), kEicar, "x");
  CHECK(unknown.status == IcapResult::Status::Error);
}
