// Tests of how lib/url and lib/content share a message's links through the whole scan
// (the shipped policies, as `postern scan` runs them): a link host mixing scripts is
// scored once, by lib/url; content rules on `url.host` see the destination lib/url read.
#include <catch2/catch.hpp>

#include <algorithm>
#include <set>
#include <string>

#include "policy/policy.hpp"
#include "scan/registry.hpp"
#include "scan/snapshot.hpp"
#include "support/temp_dir.hpp"
#include "tests/bench/adversarial_cases.hpp"

using namespace postern;

namespace {

std::string html_mail(std::string_view from, std::string_view html) {
  return fmt::format(
      "From: {}\r\nTo: bob@example.com\r\nSubject: your account\r\n"
      "Date: Tue, 1 Jul 2003 10:52:37 +0200\r\nMessage-ID: <mix@example.org>\r\n"
      "MIME-Version: 1.0\r\nContent-Type: text/html; charset=utf-8\r\n\r\n"
      "<p>Please check your account details today.</p>{}\r\n",
      from, html);
}

// The symbols of the scan that name mixed scripts.
std::set<std::string> mixed_script_symbols(const scan::SnapshotPtr& snap, const std::string& raw) {
  adversarial::ScanResult r = adversarial::scan_like_cli(snap, raw);
  REQUIRE(r.got_verdict);
  std::set<std::string> out;
  for (const auto& s : r.symbols)
    if (s.find("MIXED_SCRIPT") != std::string::npos) out.insert(s);
  return out;
}

}  // namespace

TEST_CASE("a link host mixing scripts is scored once, by lib/url's IDNA reading") {
  scan::SnapshotPtr snap = adversarial::default_snapshot(POSTERN_SOURCE_DIR "/policies");
  REQUIRE(snap);
  struct Row {
    std::string name, raw;
    std::set<std::string> want;
  };
  const Row rows[] = {
      {"a punycode host mixing Latin and Cyrillic",
       html_mail("Alice <alice@example.org>", "<a href=\"https://xn--pypal-4ve.com/\">log in</a>"),
       {"URL_IDN_MIXED_SCRIPT"}},
      {"the same host written in Unicode",
       html_mail("Alice <alice@example.org>", "<a href=\"https://p\xd0\xb0ypal.com/\">log in</a>"),
       {"URL_IDN_MIXED_SCRIPT"}},
      {"an all-Cyrillic IDN host",
       html_mail("Alice <alice@example.org>",
                 "<a href=\"https://xn--d1acpjx3f.xn--p1ai/\">site</a>"),
       {}},
      {"a display name mixing scripts stays content's",
       html_mail("=?utf-8?q?P=D0=B0yPal?= <a@evil.test>",
                 "<a href=\"https://xn--pypal-4ve.com/\">log in</a>"),
       {"URL_IDN_MIXED_SCRIPT", "UNICODE_MIXED_SCRIPT_NAME"}},
  };
  for (const auto& r : rows) {
    CAPTURE(r.name);
    CHECK(mixed_script_symbols(snap, r.raw) == r.want);
  }
  // The content heuristics no longer have a symbol of their own for it.
  const auto& cat = scan::builtin_symbols();
  CHECK(std::none_of(cat.begin(), cat.end(),
                     [](const auto& s) { return s.name == "UNICODE_MIXED_SCRIPT_HOST"; }));
}

TEST_CASE("a content rule on url.host sees the destination behind a wrapper or a <base href>") {
  test::TempDir d;
  d.write("local/90-test.toml",
          "[rules.TEST_KIT_HOST]\nfield = \"url.host\"\npattern = '^kit\\.example$'\n"
          "score = 1.0\ndescription = \"a link to the kit\"\n"
          "[rules.TEST_KIT_URL]\nfield = \"url\"\npattern = '^https://kit\\.example/login$'\n"
          "score = 1.0\ndescription = \"the kit's login page\"\n");
  auto pol = policy::load_policy({POSTERN_SOURCE_DIR "/policies", d.str() + "/local"},
                                 scan::policy_sections());
  REQUIRE(pol);
  policy::Config cfg;
  cfg.authserv_id = "mx.test";
  scan::SnapshotPtr snap = scan::make_snapshot(cfg, *pol);
  REQUIRE(snap);
  struct Row {
    std::string name, html;
    bool hit;
  };
  const Row rows[] = {
      {"Safe Links around the kit",
       "<a href=\"https://eur01.safelinks.protection.outlook.com/?url=https%3A%2F%2Fkit.example"
       "%2Fa%2F..%2Flogin&amp;data=x\">Sign in</a>",
       true},
      {"google.com/url around the kit",
       "<a href=\"https://www.google.com/url?q=https://KIT.example/login\">Sign in</a>", true},
      {"a relative link under the kit's base",
       "<base href=\"https://kit.example/\"><a href=\"login\">Sign in</a>", true},
      {"a userinfo that names the kit goes elsewhere",
       "<a href=\"https://kit.example@other.example/login\">Sign in</a>", false},
  };
  for (const auto& r : rows) {
    CAPTURE(r.name);
    adversarial::ScanResult s =
        adversarial::scan_like_cli(snap, html_mail("Alice <alice@example.org>", r.html));
    REQUIRE(s.got_verdict);
    CHECK((std::find(s.symbols.begin(), s.symbols.end(), "TEST_KIT_HOST") != s.symbols.end()) ==
          r.hit);
    CHECK((std::find(s.symbols.begin(), s.symbols.end(), "TEST_KIT_URL") != s.symbols.end()) ==
          r.hit);
  }
}
