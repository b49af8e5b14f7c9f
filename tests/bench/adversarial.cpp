// adversarial_bench: time and peak memory of the scan of each hostile message.
//
// Every case of adversarial_cases.hpp runs in a child process of its own: the
// child generates the message, resets its peak RSS (/proc/self/clear_refs),
// runs the scan exactly as `postern scan` does (tests/bench/adversarial_cases.hpp)
// and reports wall seconds, thread CPU seconds, the growth of its peak RSS over
// the RSS before the scan, the verdict and the limit findings. A child still
// running after --timeout seconds is killed and reported as such, so a
// quadratic path shows as a timeout instead of a hang. Nothing is asserted
// here (the unit test tests/unit/scan/adversarial_test.cpp checks the bounds).
// usage: adversarial_bench [--timeout S] [--policies DIR] [--list] [NAME-SUBSTRING...]
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "tests/bench/adversarial_cases.hpp"

namespace {

long status_kb(const char* key) {
  std::ifstream in("/proc/self/status");
  std::string line;
  size_t n = std::strlen(key);
  while (std::getline(in, line))
    if (line.compare(0, n, key) == 0) return std::atol(line.c_str() + n);
  return 0;
}

double thread_cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

// In the child: runs one case, writes one result line to `fd`.
void run_child(const postern::adversarial::Case& c, const postern::scan::SnapshotPtr& snap,
               int fd) {
  std::string raw = c.make();
  {
    std::ofstream clear("/proc/self/clear_refs");
    clear << "5";  // resets VmHWM to the current RSS
  }
  long base_kb = status_kb("VmRSS:");
  double cpu0 = thread_cpu_seconds();
  auto t0 = std::chrono::steady_clock::now();
  postern::adversarial::ScanResult r = postern::adversarial::scan_like_cli(snap, raw);
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  double cpu = thread_cpu_seconds() - cpu0;
  long peak_kb = status_kb("VmHWM:");
  std::string limits;
  for (const auto& s : r.symbols)
    if (s.rfind("LIMIT_", 0) == 0 || s.rfind("MIME_DEPTH", 0) == 0 ||
        s.rfind("MIME_PARTS", 0) == 0 || s == "HTML_LIMIT" || s == "MIME_DECODED_LIMIT")
      limits += (limits.empty() ? "" : ",") + s;
  std::string line = fmt::format("{:.3f} {:.3f} {:.1f} {:.1f} {} {}\n", secs, cpu, raw.size() / 1e6,
                                 (peak_kb - base_kb) / 1024.0, postern::core::to_string(r.action),
                                 limits.empty() ? "-" : limits);
  if (!r.got_verdict) line = "no-verdict\n";
  (void)!write(fd, line.data(), line.size());
}

}  // namespace

int main(int argc, char** argv) {
  double timeout = 120;
  std::string policies = POSTERN_SOURCE_DIR "/policies";
  std::vector<std::string> only;
  bool list = false;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--timeout" && i + 1 < argc)
      timeout = std::stod(argv[++i]);
    else if (a == "--policies" && i + 1 < argc)
      policies = argv[++i];
    else if (a == "--list")
      list = true;
    else if (a == "--help" || a == "-h") {
      std::printf(
          "usage: adversarial_bench [--timeout S] [--policies DIR] [--list] [NAME-SUBSTRING...]\n");
      return 0;
    } else
      only.push_back(a);
  }
  auto cases = postern::adversarial::adversarial_cases();
  if (list) {
    for (const auto& c : cases) std::printf("%-30s %s\n", c.name.c_str(), c.what.c_str());
    return 0;
  }
  auto snap = postern::adversarial::default_snapshot(policies);
  if (!snap) {
    std::fprintf(stderr, "adversarial_bench: cannot load the policies in %s\n", policies.c_str());
    return 2;
  }
  std::printf("%-30s %8s %8s %8s %10s  %-10s %s\n", "case", "wall s", "cpu s", "MB in", "peak +MB",
              "verdict", "limit findings");
  int failures = 0;
  for (const auto& c : cases) {
    if (!only.empty()) {
      bool match = false;
      for (const auto& o : only) match = match || c.name.find(o) != std::string::npos;
      if (!match) continue;
    }
    int fds[2];
    if (pipe(fds) != 0) return 2;
    std::fflush(stdout);
    pid_t pid = fork();
    if (pid < 0) return 2;
    if (pid == 0) {
      close(fds[0]);
      run_child(c, snap, fds[1]);
      _exit(0);
    }
    close(fds[1]);
    auto t0 = std::chrono::steady_clock::now();
    int status = 0;
    bool timed_out = false;
    while (waitpid(pid, &status, WNOHANG) == 0) {
      if (std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count() > timeout) {
        kill(pid, SIGKILL);
        waitpid(pid, &status, 0);
        timed_out = true;
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    std::string out;
    char buf[512];
    for (ssize_t n; (n = read(fds[0], buf, sizeof buf)) > 0;)
      out.append(buf, static_cast<size_t>(n));
    close(fds[0]);
    if (timed_out) {
      std::printf("%-30s  > %.0f s: killed\n", c.name.c_str(), timeout);
      ++failures;
    } else if (out.empty() || out == "no-verdict\n" || !WIFEXITED(status) ||
               WEXITSTATUS(status) != 0) {
      std::printf("%-30s  failed (%s)\n", c.name.c_str(),
                  out.empty() ? "no result" : out.substr(0, out.size() - 1).c_str());
      ++failures;
    } else {
      double secs = 0, cpu = 0, mb = 0, peak = 0;
      char verdict[32] = {0}, limits[512] = {0};
      std::sscanf(out.c_str(), "%lf %lf %lf %lf %31s %511s", &secs, &cpu, &mb, &peak, verdict,
                  limits);
      std::printf("%-30s %8.3f %8.3f %8.1f %10.1f  %-10s %s\n", c.name.c_str(), secs, cpu, mb, peak,
                  verdict, limits);
    }
  }
  return failures == 0 ? 0 : 1;
}
