#include "core/subprocess.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <fmt/core.h>

namespace postern::core {

std::string SubprocessResult::describe() const {
  if (!started) return error;
  if (timed_out) return "no answer before the deadline";
  if (truncated) return "output over the limit";
  if (exited) return fmt::format("exit {}", exit_code);
  return fmt::format("killed by signal {}", signal);
}

namespace {

struct Fd {
  int fd = -1;
  Fd() = default;
  explicit Fd(int f) : fd(f) {}
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() { reset(); }
  void reset() {
    if (fd >= 0) ::close(fd);
    fd = -1;
  }
};

using Clock = std::chrono::steady_clock;

int ms_left(Clock::time_point until) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(until - Clock::now()).count();
  return left < 0 ? 0 : static_cast<int>(left);
}

}  // namespace

SubprocessResult run_subprocess(const std::vector<std::string>& argv, std::string_view input,
                                const SubprocessLimits& limits) {
  SubprocessResult res;
  if (argv.empty()) {
    res.error = "no program given";
    return res;
  }
  std::vector<std::string> copy(argv);
  std::vector<char*> args;
  for (auto& a : copy) args.push_back(a.data());
  args.push_back(nullptr);

  // stdin is a socket so a child that exits unread gives EPIPE to send(MSG_NOSIGNAL),
  // not SIGPIPE to the milter. The status pipe carries exec's errno (closed on exec).
  int in_pair[2] = {-1, -1}, out_pipe[2] = {-1, -1}, status_pipe[2] = {-1, -1};
  if (!input.empty() && ::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, in_pair) != 0) {
    res.error = fmt::format("socketpair: {}", std::strerror(errno));
    return res;
  }
  Fd in_child(in_pair[0]), in_parent(in_pair[1]);
  if (::pipe2(out_pipe, O_CLOEXEC) != 0 || ::pipe2(status_pipe, O_CLOEXEC) != 0) {
    res.error = fmt::format("pipe: {}", std::strerror(errno));
    for (int f : {out_pipe[0], out_pipe[1]})
      if (f >= 0) ::close(f);
    return res;
  }
  Fd out_read(out_pipe[0]), out_write(out_pipe[1]), st_read(status_pipe[0]),
      st_write(status_pipe[1]);
  Fd devnull(::open("/dev/null", O_RDWR | O_CLOEXEC));

  const pid_t pid = ::fork();
  if (pid < 0) {
    res.error = fmt::format("fork: {}", std::strerror(errno));
    return res;
  }
  if (pid == 0) {
    // The child: async-signal-safe calls only.
    ::dup2(in_child.fd >= 0 ? in_child.fd : devnull.fd, 0);
    ::dup2(out_write.fd, 1);
    ::dup2(limits.merge_stderr ? out_write.fd : devnull.fd, 2);
    ::dup2(st_write.fd, 3);
    ::fcntl(3, F_SETFD, FD_CLOEXEC);
    ::close_range(4, ~0U, 0);
    if (limits.cpu_seconds) {
      rlimit r{limits.cpu_seconds, limits.cpu_seconds + 1};
      ::setrlimit(RLIMIT_CPU, &r);
    }
    if (limits.address_space) {
      rlimit r{limits.address_space, limits.address_space};
      ::setrlimit(RLIMIT_AS, &r);
    }
    ::signal(SIGPIPE, SIG_DFL);
    ::execv(args[0], args.data());
    int e = errno;
    ssize_t ignored = ::write(3, &e, sizeof e);
    (void)ignored;
    ::_exit(127);
  }
  in_child.reset();
  out_write.reset();
  st_write.reset();
  res.started = true;

  const auto until = Clock::now() + limits.wall;
  size_t sent = 0;
  if (in_parent.fd >= 0) ::fcntl(in_parent.fd, F_SETFL, O_NONBLOCK);
  bool reading = true;
  while (reading) {
    pollfd p[2];
    int n = 0;
    p[n++] = {out_read.fd, POLLIN, 0};
    const bool writing = in_parent.fd >= 0;
    if (writing) p[n++] = {in_parent.fd, POLLOUT, 0};
    const int wait = ms_left(until);
    if (wait == 0) {
      res.timed_out = true;
      break;
    }
    int r = ::poll(p, static_cast<nfds_t>(n), wait);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) break;
    if (r == 0) continue;  // the deadline check above ends it
    if (writing && p[1].revents) {
      ssize_t k = ::send(in_parent.fd, input.data() + sent, input.size() - sent, MSG_NOSIGNAL);
      if (k > 0) sent += static_cast<size_t>(k);
      if ((k < 0 && errno != EAGAIN && errno != EINTR) || sent == input.size())
        in_parent.reset();  // done, or it stopped reading: EOF on its stdin
    }
    if (p[0].revents) {
      char buf[16384];
      ssize_t k = ::read(out_read.fd, buf, sizeof buf);
      if (k < 0 && errno == EINTR) continue;
      if (k <= 0) {
        reading = false;
        break;
      }
      const size_t room = limits.max_output - res.output.size();
      res.output.append(buf, std::min(room, static_cast<size_t>(k)));
      if (static_cast<size_t>(k) > room) {
        res.truncated = true;
        break;
      }
    }
  }
  in_parent.reset();
  out_read.reset();
  int status = 0;
  pid_t done = 0;
  if (!res.timed_out && !res.truncated) {
    // Its output ended: it exits now, or at the deadline it is killed.
    while ((done = ::waitpid(pid, &status, WNOHANG)) == 0 && ms_left(until) > 0) ::usleep(1000);
    if (done == 0) res.timed_out = true;
  }
  if (done <= 0) {
    ::kill(pid, SIGKILL);
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
  }
  int exec_errno = 0;
  if (::read(st_read.fd, &exec_errno, sizeof exec_errno) == sizeof exec_errno) {
    res.started = false;
    res.error = fmt::format("cannot run {}: {}", argv[0], std::strerror(exec_errno));
    return res;
  }
  if (WIFEXITED(status)) {
    res.exited = true;
    res.exit_code = WEXITSTATUS(status);
  } else if (WIFSIGNALED(status)) {
    res.signal = WTERMSIG(status);
  }
  return res;
}

std::optional<std::string> run_with_input(const std::vector<std::string>& argv,
                                          std::string_view input, std::chrono::milliseconds wall) {
  const SubprocessResult r = run_subprocess(argv, input, {.wall = wall, .max_output = 4096});
  if (r.ok()) return std::nullopt;
  if (!r.started) return r.error;
  return fmt::format("{}: {}", argv[0], r.describe());
}

}  // namespace postern::core
