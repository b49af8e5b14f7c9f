// What a click gets from postern-clickd's decisions, with a real feed (url.feeds) behind
// them: clean links redirect, listed links warn (or block), bad tokens get 400 without a
// destination, every value on a page is escaped, and prefetches are told from clicks.
#include "url/click_service.hpp"

#include <catch2/catch.hpp>

#include <string>

#include "support/temp_dir.hpp"
#include "url/feeds.hpp"

using namespace postern;
using namespace std::chrono;

namespace {

constexpr const char* kPerson = "Mozilla/5.0 (X11; Linux x86_64) Chrome/120.0 Safari/537.36";

struct Fixture {
  test::TempDir dir;
  std::shared_ptr<const url::KeyRing> keys =
      std::make_shared<const url::KeyRing>(*url::KeyRing::from(
          {{"k2", std::string(32, 'b'), false}, {"k1", std::string(32, 'a'), true}}, "k2"));
  core::ServiceSet services;
  url::FeedCheck check;
  Fixture() {
    url::FeedConfig f;
    f.name = "testfeed";
    f.path = dir.write("feed.txt", "evil.test\nhttps://bad.example/phish/\n");
    f.category = "phish";
    f.symbol = "URL_FEED_PHISH";
    url::UrlFeedsConfig cfg;
    cfg.feeds = {f};
    auto feeds = url::UrlFeeds::start(cfg);
    REQUIRE(feeds);
    services.put(std::string(url::kFeedsService), std::static_pointer_cast<void>(*feeds));
    check = url::feed_check(services);
    REQUIRE(check);
  }
  std::string link(const std::string& u, int64_t issued = 1'700'000'000) const {
    url::Token t;
    t.issued = issued;
    t.scan_id = "scan-9";
    t.recipient = url::recipient_hash({"bob@example.com"});
    t.url = u;
    return "/v1/" + *keys->issue(t);
  }
  url::ClickResponse get(const std::string& path, nlohmann::json& ev,
                         url::OnListed on = url::OnListed::Warn, std::string method = "GET",
                         std::string ua = kPerson) const {
    url::ClickService s(keys, hours(24 * 30), on, check);
    return s.handle({method, path, ua, "192.0.2.1"}, ev,
                    system_clock::time_point(seconds(1'700'000'100)));
  }
};

}  // namespace

TEST_CASE("a clean link redirects to its URL and leaves a click event") {
  Fixture fx;
  nlohmann::json ev;
  auto r = fx.get(fx.link("https://shop.example/a?b=1"), ev);
  CHECK(r.status == 302);
  CHECK(r.location == "https://shop.example/a?b=1");
  CHECK(ev["event"]["kind"] == "event");
  CHECK(ev["event"]["action"] == "redirect");
  CHECK(ev["url"]["original"] == "https://shop.example/a?b=1");
  CHECK(ev["url"]["domain"] == "shop.example");
  CHECK(ev["user"]["hash"] == url::recipient_hash({"bob@example.com"}));
  CHECK(ev["postern"]["scan_id"] == "scan-9");
  CHECK(ev["postern"]["click"]["key_id"] == "k2");
  CHECK(ev["user_agent"]["original"] == kPerson);
}

TEST_CASE("a listed link gets the warning page, and continue anyway redirects") {
  Fixture fx;
  nlohmann::json ev;
  std::string hostile = "https://login.evil.test/x?a=\"><script>alert(1)</script>&b='";
  std::string path = fx.link(hostile);
  auto r = fx.get(path, ev);
  CHECK(r.status == 403);
  CHECK(r.location.empty());
  CHECK(ev["event"]["action"] == "warn");
  CHECK(ev["postern"]["click"]["feeds"][0]["feed"] == "testfeed");
  CHECK(r.body.find("Warning") != std::string::npos);
  CHECK(r.body.find("login.evil.test") != std::string::npos);
  CHECK(r.body.find("&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;&amp;b=&#39;") !=
        std::string::npos);
  CHECK(r.body.find("<script") == std::string::npos);
  CHECK(r.body.find("name=\"viewport\"") != std::string::npos);
  CHECK(r.body.find("href=\"" + path + "/continue\"") != std::string::npos);
  auto c = fx.get(path + "/continue", ev);
  CHECK(c.status == 302);
  CHECK(c.location == hostile);
  CHECK(ev["event"]["action"] == "continue");
  // path-prefix entries match too
  CHECK(fx.get(fx.link("https://bad.example/phish/login"), ev).status == 403);
  CHECK(fx.get(fx.link("https://bad.example/other"), ev).status == 302);
}

TEST_CASE("with on_listed = block, a listed link is blocked, continue included") {
  Fixture fx;
  nlohmann::json ev;
  std::string path = fx.link("https://evil.test/");
  auto r = fx.get(path, ev, url::OnListed::Block);
  CHECK(r.status == 403);
  CHECK(r.body.find("blocked") != std::string::npos);
  CHECK(r.body.find("/continue") == std::string::npos);
  CHECK(ev["event"]["action"] == "block");
  auto c = fx.get(path + "/continue", ev, url::OnListed::Block);
  CHECK(c.status == 403);
  CHECK(c.location.empty());
}

TEST_CASE("bad tokens get 400 and a page that names no destination") {
  Fixture fx;
  nlohmann::json ev;
  std::string good = fx.link("https://shop.example/secret-path");
  std::string tampered = good;
  tampered[10] = tampered[10] == 'A' ? 'B' : 'A';
  url::Token old;
  old.issued = 1'700'000'100 - 31 * 24 * 3600;
  old.url = "https://shop.example/old";
  auto retired_ring = *url::KeyRing::from({{"k1", std::string(32, 'a'), false}}, "k1");
  struct Row {
    std::string name, path, error;
  };
  for (const Row& row : std::vector<Row>{
           {"tampered", tampered, ""},
           {"expired", "/v1/" + *fx.keys->issue(old), "expired"},
           {"retired key", "/v1/" + *retired_ring.issue(old), "retired key"},
           {"not a token", "/v1/hello", "malformed"},
           {"empty", "/v1/", "malformed"},
       }) {
    INFO(row.name);
    auto r = fx.get(row.path, ev);
    CHECK(r.status == 400);
    CHECK(r.location.empty());
    CHECK(r.body.find("shop.example") == std::string::npos);
    CHECK(r.body.find("not valid") != std::string::npos);
    CHECK(ev["event"]["action"] == "refuse");
    if (!row.error.empty()) CHECK(ev["postern"]["click"]["error"] == row.error);
  }
}

TEST_CASE("other paths, methods and long paths") {
  Fixture fx;
  nlohmann::json ev;
  CHECK(fx.get("/", ev).status == 404);
  CHECK(fx.get("/healthz", ev).status == 200);
  CHECK(fx.get(fx.link("https://a.example/"), ev, url::OnListed::Warn, "POST").status == 405);
  CHECK(fx.get("/v1/" + std::string(url::kMaxPath, 'A'), ev).status == 414);
}

TEST_CASE("HEAD and scanners are answered but logged as prefetch") {
  Fixture fx;
  struct Row {
    std::string method, ua;
    bool prefetch;
  };
  for (const Row& row : std::vector<Row>{
           {"GET", kPerson, false},
           {"HEAD", kPerson, true},
           {"GET", "", true},
           {"GET", "curl/8.1", true},
           {"GET", "python-requests/2.31", true},
           {"GET", "Mozilla/5.0 (compatible; Proofpoint URL Defense)", true},
           {"GET", "Mozilla/5.0 HeadlessChrome/120.0", true},
           {"GET", "Mozilla/4.0 (compatible; ms-office; MSOffice 16)", true},
       }) {
    INFO(row.method << " " << row.ua);
    nlohmann::json ev;
    auto r = fx.get(fx.link("https://shop.example/"), ev, url::OnListed::Warn, row.method, row.ua);
    CHECK(r.status == 302);
    CHECK(ev["event"]["action"] == (row.prefetch ? "prefetch" : "redirect"));
    CHECK(ev["postern"]["click"]["decision"] == "redirect");
  }
}
