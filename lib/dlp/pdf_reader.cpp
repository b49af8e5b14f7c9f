#include "dlp/pdf_reader.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <fmt/core.h>

namespace postern::dlp {
namespace {

using Clock = std::chrono::steady_clock;

int ms_left(Clock::time_point until) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(until - Clock::now()).count();
  return left < 0 ? 0 : static_cast<int>(left);
}

enum class Io { kOk, kDeadline, kClosed };

// Writes all of `data` to the non-blocking socket before `until`.
Io send_all(int fd, std::string_view data, Clock::time_point until) {
  size_t sent = 0;
  while (sent < data.size()) {
    ssize_t k = ::send(fd, data.data() + sent, data.size() - sent, MSG_NOSIGNAL);
    if (k > 0) {
      sent += static_cast<size_t>(k);
      continue;
    }
    if (k < 0 && errno == EINTR) continue;
    if (k < 0 && errno != EAGAIN) return Io::kClosed;
    pollfd p{fd, POLLOUT, 0};
    const int wait = ms_left(until);
    if (wait == 0) return Io::kDeadline;
    if (::poll(&p, 1, wait) < 0 && errno != EINTR) return Io::kClosed;
  }
  return Io::kOk;
}

// Reads exactly `n` bytes into `out` before `until`.
Io recv_exact(int fd, char* out, size_t n, Clock::time_point until) {
  size_t got = 0;
  while (got < n) {
    ssize_t k = ::recv(fd, out + got, n - got, 0);
    if (k > 0) {
      got += static_cast<size_t>(k);
      continue;
    }
    if (k == 0) return Io::kClosed;
    if (errno == EINTR) continue;
    if (errno != EAGAIN) return Io::kClosed;
    pollfd p{fd, POLLIN, 0};
    const int wait = ms_left(until);
    if (wait == 0) return Io::kDeadline;
    if (::poll(&p, 1, wait) < 0 && errno != EINTR) return Io::kClosed;
  }
  return Io::kOk;
}

std::string describe_status(int status) {
  if (WIFEXITED(status)) return fmt::format("the reader exited ({})", WEXITSTATUS(status));
  if (WIFSIGNALED(status)) {
    const int sig = WTERMSIG(status);
    return fmt::format("the reader died (signal {}{})", sig, sig == SIGXCPU ? ": CPU limit" : "");
  }
  return "the reader stopped";
}

}  // namespace

PdfReader::PdfReader(PdfReaderOptions options) : options_(std::move(options)) {
  if (options_.readers == 0) options_.readers = 1;
}

PdfReader::~PdfReader() {
  std::lock_guard lock(mutex_);
  for (auto& w : idle_) discard(w);
  idle_.clear();
}

unsigned PdfReader::started() const {
  std::lock_guard lock(mutex_);
  return started_;
}

postern::expected<PdfReader::Worker, std::string> PdfReader::spawn() {
  int sv[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0)
    return postern::unexpected(fmt::format("socketpair: {}", std::strerror(errno)));
  posix_spawn_file_actions_t fa;
  posix_spawnattr_t attr;
  ::posix_spawn_file_actions_init(&fa);
  ::posix_spawnattr_init(&attr);
  // The child's end becomes stdin and stdout (dup2 clears close-on-exec); nothing else
  // is inherited.
  ::posix_spawn_file_actions_adddup2(&fa, sv[1], 0);
  ::posix_spawn_file_actions_adddup2(&fa, sv[1], 1);
  ::posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
  ::posix_spawn_file_actions_addclosefrom_np(&fa, 3);
  sigset_t none, all;
  sigemptyset(&none);
  sigfillset(&all);
  ::posix_spawnattr_setsigmask(&attr, &none);
  ::posix_spawnattr_setsigdefault(&attr, &all);
  ::posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);

  const std::string memory = std::to_string(options_.memory);
  const std::string cpu = std::to_string(options_.cpu_seconds);
  std::vector<char*> argv{const_cast<char*>(options_.program.c_str()),
                          const_cast<char*>("--memory"),
                          const_cast<char*>(memory.c_str()),
                          const_cast<char*>("--cpu"),
                          const_cast<char*>(cpu.c_str()),
                          nullptr};
  char* envp[] = {nullptr};
  pid_t pid = -1;
  const int rc = ::posix_spawn(&pid, options_.program.c_str(), &fa, &attr, argv.data(), envp);
  ::posix_spawn_file_actions_destroy(&fa);
  ::posix_spawnattr_destroy(&attr);
  ::close(sv[1]);
  if (rc != 0) {
    ::close(sv[0]);
    return postern::unexpected(
        fmt::format("cannot start {}: {}", options_.program, std::strerror(rc)));
  }
  ::fcntl(sv[0], F_SETFL, O_NONBLOCK);
  return Worker{.pid = pid, .fd = sv[0], .served = 0};
}

void PdfReader::discard(Worker& w) {
  if (w.fd >= 0) ::close(w.fd);
  if (w.pid > 0) {
    ::kill(w.pid, SIGKILL);
    while (::waitpid(w.pid, nullptr, 0) < 0 && errno == EINTR) {
    }
  }
  w = Worker{};
}

postern::expected<PdfReader::Worker, std::string> PdfReader::acquire(Clock::time_point until) {
  std::unique_lock lock(mutex_);
  for (;;) {
    while (!idle_.empty()) {
      Worker w = idle_.back();
      idle_.pop_back();
      // One that died while idle (the OOM killer, an operator) is replaced.
      if (::waitpid(w.pid, nullptr, WNOHANG) == 0) return w;
      ::close(w.fd);
      --running_;
    }
    if (running_ < options_.readers) {
      ++running_;
      ++started_;
      lock.unlock();
      auto w = spawn();
      if (!w) {
        lock.lock();
        --running_;
        free_.notify_one();
      }
      return w;
    }
    if (free_.wait_until(lock, until) == std::cv_status::timeout && idle_.empty() &&
        running_ >= options_.readers)
      return postern::unexpected("no reader free before the deadline");
  }
}

void PdfReader::release(Worker w) {
  std::lock_guard lock(mutex_);
  if (w.fd < 0 || ++w.served >= options_.max_requests) {
    if (w.fd >= 0) discard(w);
    --running_;
  } else {
    idle_.push_back(w);
  }
  free_.notify_one();
}

postern::expected<PdfText, std::string> PdfReader::read(std::string_view pdf, unsigned pages,
                                                        size_t max_out,
                                                        std::chrono::milliseconds wall) {
  if (pdf.size() > pdf_wire::kMaxInput) return postern::unexpected("larger than the reader takes");
  max_out = std::min<size_t>(max_out, pdf_wire::kMaxInput);
  const auto until = Clock::now() + wall;
  auto got = acquire(until);
  if (!got) return postern::unexpected(got.error());
  Worker w = *got;

  std::string header;
  pdf_wire::put32(header, static_cast<uint32_t>(pdf.size()));
  pdf_wire::put32(header, pages);
  pdf_wire::put32(header, static_cast<uint32_t>(max_out));
  Io io = send_all(w.fd, header, until);
  if (io == Io::kOk) io = send_all(w.fd, pdf, until);
  char reply[8];
  if (io == Io::kOk) io = recv_exact(w.fd, reply, sizeof reply, until);
  std::string text;
  uint32_t status = 0;
  if (io == Io::kOk) {
    status = pdf_wire::get32(reply);
    const uint32_t length = pdf_wire::get32(reply + 4);
    if (status > pdf_wire::kLocked || length > max_out) {
      io = Io::kClosed;  // garbage: the reader is not trusted again
    } else {
      text.resize(length);
      io = recv_exact(w.fd, text.data(), length, until);
      // More bytes than the reply: the reader is not doing what it was asked (a PDF that
      // took it over could answer the next file's request with them). Not used again.
      char extra = 0;
      if (io == Io::kOk && ::recv(w.fd, &extra, 1, MSG_PEEK | MSG_DONTWAIT) > 0) io = Io::kClosed;
    }
  }
  if (io != Io::kOk) {
    std::string why = "no answer before the deadline";
    int st = 0;
    if (io == Io::kClosed) {
      why = "the reader broke the protocol";
      // A reader that ended on its own says how (a crash, the CPU limit).
      pid_t r = 0;
      for (int i = 0; i < 50 && (r = ::waitpid(w.pid, &st, WNOHANG)) == 0; ++i) ::usleep(2000);
      if (r == w.pid) {
        why = describe_status(st);
        w.pid = -1;
      }
    }
    discard(w);
    release(w);
    return postern::unexpected(why);
  }
  release(w);
  switch (status) {
    case pdf_wire::kDamaged:
      return postern::unexpected("poppler cannot open it");
    case pdf_wire::kLocked:
      return postern::unexpected("encrypted with a password");
    default:
      return PdfText{std::move(text), status == pdf_wire::kTruncated};
  }
}

}  // namespace postern::dlp
