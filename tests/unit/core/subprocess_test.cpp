// A child process bounded in output, wall time, CPU and memory: its exit code,
// input written while its output is read (no deadlock on a megabyte each way), a
// program that does not exist, a child killed by a signal, the rlimits it runs
// under, and one that never answers (killed at the deadline, always reaped).
#include "core/subprocess.hpp"

#include <sys/wait.h>

#include <catch2/catch.hpp>

#include <string>

using postern::core::run_subprocess;
using postern::core::SubprocessLimits;

TEST_CASE("a child's exit, output and input", "[core][subprocess]") {
  auto r = run_subprocess({"/bin/sh", "-c", "echo out; echo err >&2; exit 3"}, {}, {});
  CHECK(r.started);
  CHECK(r.exited);
  CHECK(r.exit_code == 3);
  CHECK_FALSE(r.ok());
  CHECK(r.output == "out\nerr\n");
  CHECK(r.describe() == "exit 3");

  auto quiet =
      run_subprocess({"/bin/sh", "-c", "echo out; echo err >&2"}, {}, {.merge_stderr = false});
  CHECK(quiet.ok());
  CHECK(quiet.output == "out\n");

  // A megabyte in while a megabyte comes out: both pipes full at once must not hang.
  const std::string big(1 << 20, 'x');
  auto cat = run_subprocess({"/bin/cat"}, big, {.max_output = 2 << 20});
  CHECK(cat.ok());
  CHECK(cat.output == big);
}

TEST_CASE("a child's failures are results", "[core][subprocess]") {
  auto missing = run_subprocess({"/nonexistent/tool"}, "input", {});
  CHECK_FALSE(missing.started);
  CHECK(missing.describe().starts_with("cannot run /nonexistent/tool: No such file"));

  auto killed = run_subprocess({"/bin/sh", "-c", "kill -9 $$"}, {}, {});
  CHECK(killed.started);
  CHECK_FALSE(killed.exited);
  CHECK(killed.signal == 9);
  CHECK(killed.describe() == "killed by signal 9");

  // A child that stops reading its input early: the writer gets EPIPE, not SIGPIPE.
  auto early = run_subprocess({"/bin/sh", "-c", "head -c 10 >/dev/null; echo done"},
                              std::string(4 << 20, 'y'), {});
  CHECK(early.ok());
  CHECK(early.output == "done\n");

  auto chatty = run_subprocess({"/bin/sh", "-c", "yes"}, {}, {.max_output = 1000});
  CHECK(chatty.truncated);
  CHECK(chatty.output.size() == 1000);
  CHECK_FALSE(chatty.ok());

  auto mute = run_subprocess({"/bin/sleep", "30"}, {}, {.wall = std::chrono::milliseconds(200)});
  CHECK(mute.timed_out);
  CHECK_FALSE(mute.ok());
  CHECK(mute.describe() == "no answer before the deadline");
  // Reaped: no child of ours is left.
  CHECK(::waitpid(-1, nullptr, WNOHANG) == -1);
}

TEST_CASE("a child runs under the CPU and memory limits", "[core][subprocess]") {
  auto r = run_subprocess({"/bin/sh", "-c", "ulimit -t; ulimit -v"}, {},
                          {.cpu_seconds = 7, .address_space = size_t{512} << 20});
  CHECK(r.ok());
  CHECK(r.output == "7\n524288\n");
}

TEST_CASE("a message handed to a command: nullopt on exit 0, else one line saying why",
          "[core][subprocess]") {
  using postern::core::run_with_input;
  const std::chrono::seconds wall(10);
  CHECK_FALSE(run_with_input({"/bin/sh", "-c", "cat > /dev/null"}, "x", wall));
  auto failed = run_with_input({"/bin/sh", "-c", "exit 3"}, "x", wall);
  REQUIRE(failed);
  CHECK(failed->find("exit 3") != std::string::npos);
  auto missing = run_with_input({"/nonexistent/sendmail"}, "x", wall);
  REQUIRE(missing);
  CHECK(missing->find("/nonexistent/sendmail") != std::string::npos);
  CHECK(run_with_input({}, "x", wall));
  auto hung = run_with_input({"/bin/sleep", "30"}, "x", std::chrono::milliseconds(200));
  REQUIRE(hung);
  CHECK(hung->find("no answer before the deadline") != std::string::npos);
}
