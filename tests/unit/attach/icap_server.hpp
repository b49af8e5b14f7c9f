// A real c-icap (virus_scan) in front of a real clamd, for the tests of the ICAP
// client and the sandbox: both started on loopback with private configs and a
// one-signature database (EICAR named Postern.Test.Eicar), stopped at exit.
// `server()` is one per test process; `running()` is false when either is not
// installed or did not come up within 60 s (the tests then WARN and return).
#pragma once

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "clam_fixtures.hpp"
#include "core/digest.hpp"
#include "support/loopback.hpp"
#include "support/temp_dir.hpp"

namespace postern::test {

using namespace std::chrono_literals;
namespace fs = std::filesystem;

inline pid_t spawn(const std::vector<std::string>& argv, const std::string& out) {
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
    dir_.write("db/test.hsb", core::sha256_hex(kEicar) + ":" +
                                  std::to_string(std::string_view(kEicar).size()) +
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
    clamd_up_ = true;
    start();
  }
  // c-icap stopped (SIGTERM, waited for) and started again on the same port.
  void stop() {
    if (icap_ > 0) {
      ::kill(icap_, SIGTERM);
      ::waitpid(icap_, nullptr, 0);
      icap_ = -1;
    }
    for (int i = 0; i < 100 && port_open(port_); ++i) std::this_thread::sleep_for(100ms);
    running_ = false;
  }
  void start() {
    if (!clamd_up_ || icap_ > 0) return;
    const fs::path d = dir_.path();
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
  TempDir dir_;
  uint16_t port_;
  pid_t clamd_ = -1, icap_ = -1;
  bool running_ = false, clamd_up_ = false;
};

inline IcapServer& icap_server() {
  static IcapServer s;
  return s;
}

}  // namespace postern::test
