// Runs a program in a child process, bounded: its input written to stdin, its
// output (stdout and stderr, or stdout alone) read up to a byte limit, a wall-clock
// deadline after which it is killed, and optional CPU-seconds and address-space
// rlimits set in the child before exec. Used where a tool outside postern reads
// hostile bytes (pdftotext on a PDF attachment) or acts for postern (a sandbox
// submitter): a crash, a hang or a memory blow-up of that tool is a result here,
// never a crash or a hang of the milter.
//
// Contract: run() forks; between fork and exec the child calls only
// async-signal-safe functions (dup2, setrlimit, close_range, execv), so it is safe
// from a multithreaded process. The child gets no other descriptors, /dev/null
// for any stream not given, and is killed (SIGKILL) at the deadline or when its
// output passes the limit; run() always reaps it. Thread-safe (no shared state).
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace postern::core {

struct SubprocessLimits {
  std::chrono::milliseconds wall{10000};
  unsigned cpu_seconds = 0;  // RLIMIT_CPU in the child; 0 = none
  size_t address_space = 0;  // RLIMIT_AS in the child, bytes; 0 = none
  size_t max_output = 64 << 10;
  bool merge_stderr = true;  // false: stderr goes to /dev/null
};

struct SubprocessResult {
  bool started = false;    // false: pipe, fork or exec failed (error says which)
  bool timed_out = false;  // killed at the wall deadline
  bool truncated = false;  // killed because its output passed max_output
  bool exited = false;     // exited normally (exit_code is valid)
  int exit_code = -1;
  int signal = 0;      // the signal that ended it, when not exited
  std::string output;  // at most max_output bytes
  std::string error;   // why it did not start

  bool ok() const { return exited && exit_code == 0 && !timed_out && !truncated; }
  // "exit 3", "killed by signal 9", "no answer within 2000 ms", "output over N bytes".
  std::string describe() const;
};

// argv[0] is the program's path (no PATH search). `input` is written to its stdin
// (then closed); empty input: stdin is /dev/null.
SubprocessResult run_subprocess(const std::vector<std::string>& argv, std::string_view input,
                                const SubprocessLimits& limits);

// A message handed to a command on its standard input (sendmail for a release, a notice
// or a digest), within `wall`: nullopt when it exited 0, else why not, one line
// ("/usr/sbin/sendmail: exit 75", "...: no answer before the deadline").
std::optional<std::string> run_with_input(const std::vector<std::string>& argv,
                                          std::string_view input, std::chrono::milliseconds wall);

}  // namespace postern::core
