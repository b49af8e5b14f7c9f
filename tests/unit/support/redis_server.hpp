// RedisServer: a real redis-server on a free loopback port, in its own scratch
// directory, for the tests of the Redis state backend (lib/state).
//
// Contract: test-only. The constructor finds redis-server (PATH, then
// /usr/bin), picks a free 127.0.0.1 port, starts it with no persistence
// (--save "" --appendonly no) and waits until it answers PING; it throws
// std::runtime_error with a clear message when redis-server is missing
// (scripts/bootstrap installs it) or does not come up. `kill()` SIGKILLs it
// (a crash, for the down tests); `start()` starts it again on the same port
// (empty: nothing was saved). `url()` is "tcp://127.0.0.1:<port>/0". The
// destructor kills it. Not thread-safe (one test thread drives it).
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "support/loopback.hpp"
#include "support/temp_dir.hpp"

namespace postern::test {

class RedisServer {
 public:
  RedisServer() : binary_(find_binary()), port_(free_port()) { start(); }
  ~RedisServer() { kill(); }
  RedisServer(const RedisServer&) = delete;
  RedisServer& operator=(const RedisServer&) = delete;

  std::string url() const { return "tcp://127.0.0.1:" + std::to_string(port_) + "/0"; }
  uint16_t port() const { return port_; }

  void start() {
    if (pid_ > 0) return;
    const std::string port = std::to_string(port_);
    const std::string dir = dir_.str();
    const std::string log = dir + "/redis.log";
    std::vector<std::string> args{binary_, "--port",       port, "--bind", "127.0.0.1", "--save",
                                  "",      "--appendonly", "no", "--dir",  dir,         "--logfile",
                                  log,     "--daemonize",  "no"};
    pid_ = ::fork();
    if (pid_ < 0) throw std::runtime_error("RedisServer: fork failed");
    if (pid_ == 0) {
      std::vector<char*> argv;
      for (auto& a : args) argv.push_back(a.data());
      argv.push_back(nullptr);
      ::execv(binary_.c_str(), argv.data());
      ::_exit(127);
    }
    // Up when it accepts a connection and answers PING (at most ~10 s).
    for (int i = 0; i < 500; ++i) {
      if (ping()) return;
      int status = 0;
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        throw std::runtime_error("RedisServer: redis-server exited at start; see " + log);
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    kill();
    throw std::runtime_error("RedisServer: redis-server did not answer PING on port " + port);
  }

  void kill() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
    pid_ = -1;
  }

 private:
  static std::string find_binary() {
    std::vector<std::string> dirs;
    if (const char* path = ::getenv("PATH")) {
      std::string p = path;
      size_t start = 0;
      while (start <= p.size()) {
        size_t end = p.find(':', start);
        if (end == std::string::npos) end = p.size();
        dirs.push_back(p.substr(start, end - start));
        start = end + 1;
      }
    }
    dirs.push_back("/usr/bin");
    for (const auto& d : dirs) {
      std::string b = d + "/redis-server";
      if (!d.empty() && ::access(b.c_str(), X_OK) == 0) return b;
    }
    throw std::runtime_error(
        "redis-server not found: the Redis state tests run a real one "
        "(apt-get install redis-server; scripts/bootstrap installs it)");
  }

  bool ping() const {
    int fd = loopback_connect(port_);
    if (fd < 0) return false;
    bool ok = false;
    if (::write(fd, "PING\r\n", 6) == 6) {
      char buf[16] = {};
      ok = ::read(fd, buf, sizeof buf) > 0 && std::string(buf).starts_with("+PONG");
    }
    ::close(fd);
    return ok;
  }

  TempDir dir_;
  std::string binary_;
  uint16_t port_;
  pid_t pid_ = -1;
};

}  // namespace postern::test
