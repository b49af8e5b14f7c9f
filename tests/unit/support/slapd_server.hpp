// SlapdServer: a real OpenLDAP slapd on a free loopback port, with a throwaway mdb
// database under the suffix dc=postern,dc=test, for the LDAP certificate lookup tests.
//
// Contract: test-only. The constructor writes a slapd.conf in its scratch directory
// (core, cosine and inetOrgPerson schemas; rootdn cn=admin,dc=postern,dc=test with
// password kRootPassword; everyone may read), loads the suffix entry and `ldif` (more
// entries) with slapadd, starts `slapd -d 0` on 127.0.0.1 and waits until the port
// accepts a connection; it throws std::runtime_error when slapd is missing (scripts/
// bootstrap installs slapd) or does not come up. `kill()` SIGKILLs it (the directory
// down); `start()` starts it again on the same port with the same data. The destructor
// kills it. Not thread-safe (one test thread drives it).
#pragma once

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "support/loopback.hpp"
#include "support/temp_dir.hpp"

namespace postern::test {

class SlapdServer {
 public:
  static constexpr const char* kSuffix = "dc=postern,dc=test";
  static constexpr const char* kRootDn = "cn=admin,dc=postern,dc=test";
  static constexpr const char* kRootPassword = "postern-test-secret";

  explicit SlapdServer(const std::string& ldif) : port_(free_port()) {
    if (::access("/usr/sbin/slapd", X_OK) != 0 || ::access("/usr/sbin/slapadd", X_OK) != 0)
      throw std::runtime_error(
          "slapd not found: the LDAP tests run a real one (apt-get install slapd; "
          "scripts/bootstrap installs it)");
    const std::string d = dir_.str();
    std::filesystem::create_directories(d + "/db");
    write(d + "/slapd.conf",
          "include /etc/ldap/schema/core.schema\n"
          "include /etc/ldap/schema/cosine.schema\n"
          "include /etc/ldap/schema/inetorgperson.schema\n"
          "modulepath /usr/lib/ldap\nmoduleload back_mdb\n"
          "pidfile " +
              d + "/slapd.pid\nargsfile " + d +
              "/slapd.args\n"
              "database mdb\nmaxsize 10485760\nsuffix \"" +
              std::string(kSuffix) +
              "\"\n"
              "rootdn \"" +
              std::string(kRootDn) + "\"\nrootpw " + kRootPassword +
              "\n"
              "directory " +
              d + "/db\naccess to * by * read\n");
    write(d + "/data.ldif", "dn: " + std::string(kSuffix) +
                                "\nobjectClass: dcObject\nobjectClass: organization\n"
                                "dc: postern\no: postern test\n\n" +
                                ldif);
    const std::string add = "/usr/sbin/slapadd -f '" + d + "/slapd.conf' -l '" + d +
                            "/data.ldif' > '" + d + "/slapadd.log' 2>&1";
    if (std::system(add.c_str()) != 0)
      throw std::runtime_error("SlapdServer: slapadd failed; see " + d + "/slapadd.log");
    start();
  }
  ~SlapdServer() { kill(); }
  SlapdServer(const SlapdServer&) = delete;
  SlapdServer& operator=(const SlapdServer&) = delete;

  std::string uri() const { return "ldap://127.0.0.1:" + std::to_string(port_); }
  std::string dir() const { return dir_.str(); }

  void start() {
    if (pid_ > 0) return;
    const std::string d = dir_.str();
    std::vector<std::string> args{"/usr/sbin/slapd", "-d", "0",        "-f",
                                  d + "/slapd.conf", "-h", uri() + "/"};
    pid_ = ::fork();
    if (pid_ < 0) throw std::runtime_error("SlapdServer: fork failed");
    if (pid_ == 0) {
      std::FILE* log = std::freopen((d + "/slapd.log").c_str(), "w", stderr);
      (void)log;
      std::vector<char*> argv;
      for (auto& a : args) argv.push_back(a.data());
      argv.push_back(nullptr);
      ::execv(argv[0], argv.data());
      ::_exit(127);
    }
    // Up when the port accepts a connection (at most ~10 s).
    for (int i = 0; i < 500; ++i) {
      if (int fd = loopback_connect(port_); fd >= 0) {
        ::close(fd);
        return;
      }
      int status = 0;
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        throw std::runtime_error("SlapdServer: slapd exited at start; see " + d + "/slapd.log");
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    kill();
    throw std::runtime_error("SlapdServer: slapd did not listen on " + uri());
  }

  void kill() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
    pid_ = -1;
  }

 private:
  static void write(const std::string& path, const std::string& text) {
    std::ofstream(path, std::ios::binary) << text;
  }

  TempDir dir_;
  uint16_t port_;
  pid_t pid_ = -1;
};

}  // namespace postern::test
