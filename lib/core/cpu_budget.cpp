// CpuBudget: thread CPU time against a limit.
#include "core/cpu_budget.hpp"

#include <time.h>

namespace postern::core {
namespace {

long long thread_cpu_ns() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<long long>(ts.tv_sec) * 1000000000LL + ts.tv_nsec;
}

}  // namespace

CpuBudget::CpuBudget(std::chrono::milliseconds limit)
    : limit_ns_(std::chrono::duration_cast<std::chrono::nanoseconds>(limit).count()),
      start_ns_(thread_cpu_ns()) {
  if (limit_ns_ < 0) limit_ns_ = 0;
}

void CpuBudget::start() {
  start_ns_ = thread_cpu_ns();
  ticks_ = 0;
  exhausted_ = false;
}

bool CpuBudget::expired() {
  if (exhausted_) return true;
  if (limit_ns_ == 0) return false;
  if (thread_cpu_ns() - start_ns_ >= limit_ns_) exhausted_ = true;
  return exhausted_;
}

double CpuBudget::used_ms() const {
  return static_cast<double>(thread_cpu_ns() - start_ns_) / 1e6;
}

}  // namespace postern::core
