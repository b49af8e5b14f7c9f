// Tests for attach/sha_cache: a file is typed once, the cache stays within its
// size dropping what was used least recently, and many threads may use it at once.
#include "attach/sha_cache.hpp"

#include <catch2/catch.hpp>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "core/digest.hpp"

using namespace postern::attach;

namespace {

Sha256 key(int n) {
  Sha256 k{};
  k[0] = static_cast<uint8_t>(n);
  k[31] = static_cast<uint8_t>(n >> 8);
  return k;
}

}  // namespace

TEST_CASE("the detection cache keeps the most recently used files within its size") {
  DetectCache cache(2);
  const Detected pdf{"application/pdf", FileClass::Pdf},
      exe{"application/x-dosexec", FileClass::Executable};
  CHECK_FALSE(cache.find(key(1)));
  cache.put(key(1), pdf);
  cache.put(key(2), exe);
  REQUIRE(cache.find(key(1)));  // 1 is now the most recently used
  cache.put(key(3), pdf);       // so 2 goes
  CHECK(cache.find(key(1))->cls == FileClass::Pdf);
  CHECK_FALSE(cache.find(key(2)));
  CHECK(cache.find(key(3))->mime == "application/pdf");
  const auto st = cache.stats();
  CHECK(st.size == 2);
  CHECK(st.hits == 3);
  CHECK(st.misses == 2);
  DetectCache none(0);
  none.put(key(1), pdf);
  CHECK_FALSE(none.find(key(1)));
}

TEST_CASE("a file typed through the process's cache gets what detect() gives it") {
  const std::string text = "Dear Bob,\nthe figures are attached.\n";
  const std::string html = "<html><body><a href=\"http://x.test/\">x</a></body></html>\n";
  for (const std::string* data : {&text, &html}) {
    const auto digest = parse_sha256(postern::core::sha256_hex(*data));
    REQUIRE(digest);
    const Detected first = detect_cached(*digest, *data), again = detect_cached(*digest, *data);
    CHECK(first.cls == detect(*data).cls);
    CHECK(again.mime == first.mime);
  }
  CHECK(detect_cached(*parse_sha256(postern::core::sha256_hex(html)), html).cls == FileClass::Html);
}

TEST_CASE("the detection cache can be used from many threads at once") {
  DetectCache cache(64);
  std::vector<std::thread> ts;
  std::atomic<int> wrong{0};
  for (int t = 0; t < 4; ++t)
    ts.emplace_back([&, t] {
      for (int i = 0; i < 5000; ++i) {
        const int n = (i * 7 + t) % 100;  // more keys than room: constant eviction
        const Detected d{std::to_string(n), FileClass::Text};
        if (auto got = cache.find(key(n)); got && got->mime != d.mime) ++wrong;
        cache.put(key(n), d);
      }
    });
  for (auto& t : ts) t.join();
  CHECK(wrong == 0);
  CHECK(cache.stats().size == 64);
}
