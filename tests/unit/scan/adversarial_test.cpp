// Tests that every hostile message of tests/bench/adversarial_cases.hpp gets a verdict
// through the whole scan with bounded output, and that a spent CPU budget is a
// LIMIT_SCAN_TIME finding, not a lost or tempfailed message. Nothing here asserts
// speed: the wall-clock ceiling only catches a hang (a quadratic path took minutes).
#include <catch2/catch.hpp>

#include <algorithm>
#include <chrono>
#include <string>
#include <vector>

#include "scan/registry.hpp"
#include "tests/bench/adversarial_cases.hpp"

using namespace postern;

namespace {

bool has(const std::vector<std::string>& v, std::string_view s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

}  // namespace

TEST_CASE("every adversarial message gets a verdict with bounded output", "[adversarial]") {
  scan::SnapshotPtr snap = adversarial::default_snapshot(POSTERN_SOURCE_DIR "/policies");
  REQUIRE(snap);
  const core::Limits& lim = snap->config.limits;
  for (const auto& c : adversarial::adversarial_cases()) {
    DYNAMIC_SECTION(c.name) {
      std::string raw = c.make();
      auto t0 = std::chrono::steady_clock::now();
      adversarial::ScanResult r = adversarial::scan_like_cli(snap, raw);
      double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      CHECK(secs < 20);  // a hang guard only, generous for sanitizer builds
      REQUIRE(r.got_verdict);
      CHECK(r.action != core::Action::Tempfail);
      if (!c.expect_symbol.empty()) CHECK(has(r.symbols, c.expect_symbol));
      CHECK(r.symbols.size() <= lim.findings + 1);
      CHECK(r.findings_bytes <= 64 * 1024);
      CHECK(r.header_bytes <= 64 * 1024);
      adversarial::add_analysis_sizes(*snap, raw, r);
      CHECK(r.links <= 10000);
      CHECK(r.max_link_text <= 1024);
      CHECK(r.link_text_bytes <= 3 * 256 * 1024);  // at most three HTML parts here
      CHECK(r.text_bytes <= raw.size());
    }
  }
}

TEST_CASE("the reproducers keep their links and text up to the bounds", "[adversarial]") {
  scan::SnapshotPtr snap = adversarial::default_snapshot(POSTERN_SOURCE_DIR "/policies");
  REQUIRE(snap);
  auto cases = adversarial::adversarial_cases();
  auto find = [&](std::string_view name) {
    auto it =
        std::find_if(cases.begin(), cases.end(), [&](const auto& c) { return c.name == name; });
    REQUIRE(it != cases.end());
    return it->make();
  };
  SECTION("60 nested anchors around 3.9 MB: 60 links, each with 1 KiB of text") {
    adversarial::ScanResult r;
    adversarial::add_analysis_sizes(*snap, find("html_nested_anchors"), r);
    CHECK(r.links == 60);
    CHECK(r.max_link_text == 1024);
    // 1 KiB for each anchor whose text lies within the 100 levels the anchor text walk goes
    CHECK(r.link_text_bytes % 1024 == 0);
    CHECK(r.link_text_bytes >= 40 * 1024);
    CHECK(r.link_text_bytes <= 60 * 1024);
    CHECK(r.text_bytes == 1u << 20);  // the visible text, cut at html::Limits::max_text
  }
  SECTION("three such parts: 180 links, the text bound holds per part") {
    adversarial::ScanResult r;
    adversarial::add_analysis_sizes(*snap, find("html_nested_anchors_x3"), r);
    CHECK(r.links == 180);
    CHECK(r.max_link_text == 1024);
    CHECK(r.link_text_bytes <= 180 * 1024);
  }
  SECTION("2000 images with long alt texts: the link bound and the total text bound") {
    adversarial::ScanResult r;
    adversarial::add_analysis_sizes(*snap, find("html_img_alt"), r);
    CHECK(r.links == 1000);
    CHECK(r.link_text_bytes == 256 * 1024);
  }
}

TEST_CASE("a message past its CPU budget gets LIMIT_SCAN_TIME and a verdict, not a tempfail",
          "[adversarial][budget]") {
  auto pol =
      policy::load_policy({POSTERN_SOURCE_DIR "/policies"}, postern::scan::policy_sections());
  REQUIRE(pol);
  policy::Config cfg;
  cfg.authserv_id = "mx.test";
  cfg.limits.scan_time_ms = 1;  // any real content work spends it
  scan::SnapshotPtr snap = scan::make_snapshot(cfg, *pol);
  // a big first part spends the budget; the analysis stops before the second
  std::string raw =
      adversarial::detail::headers("Content-Type: multipart/mixed; boundary=\"b\"\r\n\r\n") +
      "--b\r\nContent-Type: application/octet-stream\r\n"
      "Content-Transfer-Encoding: base64\r\n\r\n" +
      adversarial::detail::repeat("QUJD", 3000000) +
      "\r\n--b\r\nContent-Type: text/plain\r\n\r\nhttp://late.test/\r\n--b--\r\n";
  adversarial::ScanResult r = adversarial::scan_like_cli(snap, raw);
  REQUIRE(r.got_verdict);
  CHECK(has(r.symbols, "LIMIT_SCAN_TIME"));
  CHECK(r.action == core::Action::Accept);
}
