// CpuBudget: the thread CPU time one message may spend in the content stages.
//
// Contract: measures CPU time of the calling thread (clock_gettime with
// CLOCK_THREAD_CPUTIME_ID) from construction or the last start(); a limit of
// zero means no limit. `expired()` reads the clock; `tick()` is the cheap check
// for long loops: it reads the clock only every kTickInterval calls. Once
// expired, the budget stays exhausted (both return true without reading the
// clock) until start() is called again. The pipeline starts it at end of
// message and skips the content stages once it is spent; the MIME and HTML work
// stops its loops early (see mime::analyze, html::extract). Not thread-safe: one
// budget belongs to one transaction, driven by one thread at a time.
#pragma once

#include <chrono>
#include <cstddef>

namespace postern::core {

class CpuBudget {
 public:
  static constexpr size_t kTickInterval = 256;

  CpuBudget() = default;  // no limit
  explicit CpuBudget(std::chrono::milliseconds limit);

  // Starts measuring anew from the calling thread's CPU time now.
  void start();
  // True when the limit is spent (reads the clock).
  bool expired();
  // Like expired(), but reads the clock only every kTickInterval calls.
  bool tick() {
    if (exhausted_) return true;
    if (limit_ns_ == 0 || ++ticks_ < kTickInterval) return false;
    ticks_ = 0;
    return expired();
  }
  // True once expired() or tick() saw the limit spent.
  bool exhausted() const { return exhausted_; }
  bool limited() const { return limit_ns_ != 0; }
  double limit_ms() const { return static_cast<double>(limit_ns_) / 1e6; }
  // CPU time used since start, in milliseconds.
  double used_ms() const;

 private:
  long long limit_ns_ = 0;
  long long start_ns_ = 0;
  size_t ticks_ = 0;
  bool exhausted_ = false;
};

}  // namespace postern::core
