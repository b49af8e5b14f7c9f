// CPU time of the calling thread, for hang guards in unit tests.
//
// Contract: `thread_cpu_seconds(f)` runs `f()` and returns the CPU seconds this
// thread spent in it (CLOCK_THREAD_CPUTIME_ID): what other processes do on a
// shared machine does not count. Unit tests use it only as a hang guard with a
// bound far above what a linear algorithm needs, even under sanitizers (a
// quadratic one takes hours at the sizes the tests use); speed itself is
// measured in tests/bench, never asserted here.
#pragma once

#include <ctime>
#include <utility>

namespace postern::test {

// Generous on purpose: ASan + UBSan + coverage run 3-10x slower than a release build.
inline constexpr double kHangGuardSeconds = 30.0;

template <class F>
double thread_cpu_seconds(F&& f) {
  timespec a{}, b{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &a);
  std::forward<F>(f)();
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &b);
  return static_cast<double>(b.tv_sec - a.tv_sec) +
         static_cast<double>(b.tv_nsec - a.tv_nsec) / 1e9;
}

}  // namespace postern::test
