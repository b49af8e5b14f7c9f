// Leak checks off for one scope, in tests only.
//
// Contract: a `LeaksIgnored` object makes LeakSanitizer ignore what this thread
// allocates until it goes out of scope; without ASan it does nothing. For a
// known leak inside a C library a test must call (libopendkim 2.11 leaks the
// key dkim_sign() loads), never for postern's own code. Naming the scope is more
// precise than a suppression pattern, which needs slow full-stack unwinding to
// see through libcrypto.
#pragma once

#if defined(__SANITIZE_ADDRESS__)
#define POSTERN_TEST_LSAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define POSTERN_TEST_LSAN 1
#endif
#endif

#ifdef POSTERN_TEST_LSAN
#include <sanitizer/lsan_interface.h>
#endif

namespace postern::test {

struct LeaksIgnored {
#ifdef POSTERN_TEST_LSAN
  LeaksIgnored() {
    __lsan_disable();
  }
  ~LeaksIgnored() {
    __lsan_enable();
  }
#else
  LeaksIgnored() {}  // user-provided: a scope guard is not an unused variable
  ~LeaksIgnored() {}
#endif
  LeaksIgnored(const LeaksIgnored&) = delete;
  LeaksIgnored& operator=(const LeaksIgnored&) = delete;
};

}  // namespace postern::test
