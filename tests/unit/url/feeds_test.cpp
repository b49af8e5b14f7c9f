// Tests for url/feeds: entry kinds and matching, the feed formats of the corpus
// (phishunt list and CSV, OpenPhish, PhishTank, a URLhaus CSV), broken downloads,
// and the service's reload of a changed feed.
#include "url/feeds.hpp"

#include <catch2/catch.hpp>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "support/temp_dir.hpp"

using namespace postern::url;
using postern::test::TempDir;

namespace {

const std::string kCorpus = POSTERN_CORPUS_DIR "/urlfeeds";

FeedConfig cfg(std::string path, FeedConfig::Format f = FeedConfig::Format::List) {
  FeedConfig c;
  c.name = "test";
  c.path = std::move(path);
  c.format = f;
  c.category = "phish";
  c.symbol = "URL_FEED_PHISH";
  return c;
}

// The feed's hit for `raw`: its match kind, or "" when not listed.
std::string hit(const Feed& f, std::string_view raw) {
  auto u = parse(raw);
  if (!u) return "unparsed";
  auto h = f.match(*u);
  return h ? h->match : "";
}

std::vector<std::string> lines(const std::string& path) {
  std::ifstream in(path);
  std::vector<std::string> out;
  for (std::string l; std::getline(in, l);)
    if (!l.empty()) out.push_back(l);
  return out;
}

}  // namespace

TEST_CASE("feed entries match by URL, path prefix, host, domain and address") {
  TempDir d;
  auto f = Feed::load(cfg(d.write("list.txt",
                                  "# a list\n"
                                  "http://evil.example/a/b?c=d\n"
                                  "https://kit.example/phish/\n"
                                  "http://pfx.example/login*\n"
                                  "https://host.example\n"
                                  "bad.example\n"
                                  "192.0.2.7\n"
                                  "198.51.100.0/24\n"
                                  "2001:db8:1::/48\n"
                                  "http://203.0.113.5/bins/x.sh\n"
                                  "https://xn--e1afmkfd.xn--p1ai/x\n"
                                  "HTTP://Case.Example:8080/\n")));
  REQUIRE(f);
  CHECK(f->size() == 11);
  struct Row {
    std::string url, want;
  };
  const Row rows[] = {
      {"https://evil.example/a/b?c=d", "url"},  // any scheme
      {"http://EVIL.example/a/./b?c=d#x", "url"},
      {"http://evil.example/a/b?c=e", ""},
      {"http://evil.example/a/b", ""},
      {"https://kit.example/phish/login.php", "path"},
      {"https://kit.example/phish/", "path"},
      {"https://kit.example/phishing", ""},
      {"http://pfx.example/login.php", "path"},
      {"http://pfx.example/login/x", "path"},
      {"http://pfx.example/loginx", ""},
      {"https://host.example/anything?x", "host"},
      {"https://sub.host.example/", ""},
      {"http://bad.example/", "domain"},
      {"http://a.b.bad.example/x", "domain"},
      {"http://notbad.example/", ""},
      {"http://192.0.2.7/x", "ip"},
      {"http://3221225991/x", "ip"},  // 192.0.2.7 as a dword
      {"http://198.51.100.99/", "ip"},
      {"http://198.51.101.1/", ""},
      // An IPv4-mapped IPv6 literal connects to its IPv4 address: listed as that address.
      {"http://[::ffff:192.0.2.7]/x", "ip"},
      {"http://[::ffff:c000:207]/x", "ip"},
      {"http://[::ffff:c633:6463]/", "ip"},  // 198.51.100.99, in the /24
      {"http://[::ffff:192.0.2.8]/x", ""},
      {"http://[::ffff:cb00:7105]/bins/x.sh", "url"},  // listed as http://203.0.113.5/bins/x.sh
      {"http://[::ffff:cb00:7105]/bins/y.sh", ""},
      {"http://[2001:db8:1::5]/", "ip"},
      {"http://[2001:DB8:1:0:0:0:0:5]/", "ip"},
      {"http://[2001:db8:2::5]/", ""},
      {"https://пример.рф/x", "url"},
      {"http://case.example:8080/y", "host"},
      {"http://case.example/y", ""},
      {"https://eur01.safelinks.protection.outlook.com/?url=https%3A%2F%2Fbad.example%2F",
       "domain"},
  };
  for (const auto& r : rows) {
    CAPTURE(r.url);
    CHECK(hit(*f, r.url) == r.want);
  }
}

TEST_CASE("every URL of the phishunt feed (778) is found, as a list and as CSV, with its target") {
  auto list = Feed::load(cfg(kCorpus + "/phishunt/feed.txt"));
  REQUIRE(list);
  auto csv = Feed::load(cfg(kCorpus + "/phishunt/feed.csv", FeedConfig::Format::Csv));
  REQUIRE(csv);
  CHECK(list->size() == 778);
  CHECK(csv->size() == 778);  // every CSV row
  size_t found = 0, labelled = 0;
  for (const auto& l : lines(kCorpus + "/phishunt/feed.txt")) {
    auto u = parse(l);
    REQUIRE(u);
    auto a = list->match(*u);
    auto b = csv->match(*u);
    found += a && b;
    labelled += b && !b->label.empty();
  }
  CHECK(found == 778);
  CHECK(labelled == 766);  // 12 rows name no company
  auto u = parse("https://alibaba666.bet/login");
  auto h = csv->match(*u);
  REQUIRE(h);
  CHECK(h->match == "host");
  CHECK(h->label == "alibaba");
}

TEST_CASE("OpenPhish and PhishTank samples load, and their URLs match") {
  auto op = Feed::load(cfg(kCorpus + "/spamassassin/openphish-feed.txt"));
  REQUIRE(op);
  for (const auto& l : lines(kCorpus + "/spamassassin/openphish-feed.txt")) {
    CAPTURE(l);
    CHECK(hit(*op, l) != "");
  }
  auto pt = Feed::load(cfg(kCorpus + "/spamassassin/phishtank-feed.csv", FeedConfig::Format::Csv));
  REQUIRE(pt);
  CHECK(pt->size() == 2);
  auto u = parse("http://www.nlcmacon.com/login/www.made-in-china.com/Made-in-China.htm");
  REQUIRE(u);
  auto h = pt->match(*u);
  REQUIRE(h);
  CHECK(h->match == "url");
  CHECK(h->label == "Other");
}

TEST_CASE("URLhaus CSV: the commented header names the url and threat columns") {
  TempDir d;
  auto f = Feed::load(
      cfg(d.write("urlhaus.csv",
                  "################################################################\n"
                  "# abuse.ch URLhaus Database Dump (CSV - recent URLs)           #\n"
                  "# id,dateadded,url,url_status,last_online,threat,tags,urlhaus_link,reporter\n"
                  "\"3000001\",\"2026-12-01 "
                  "10:00:00\",\"http://203.0.113.9:8080/bins/"
                  "mozi.m\",\"online\",\"\",\"malware_download\",\"elf,Mozi\",\"https://"
                  "urlhaus.abuse.ch/url/3000001/\",\"lrz_urlhaus\"\n"
                  "\"3000002\",\"2026-12-01 "
                  "10:01:00\",\"https://drop.example/"
                  "inv.zip\",\"online\",\"\",\"malware_download\",\"zip\",\"https://"
                  "urlhaus.abuse.ch/url/3000002/\",\"x\"\n"),
          FeedConfig::Format::Csv));
  REQUIRE(f);
  CHECK(f->size() == 2);
  auto u = parse("http://203.0.113.9:8080/bins/mozi.m");
  auto h = f->match(*u);
  REQUIRE(h);
  CHECK(h->match == "url");
  CHECK(h->label == "malware_download");
  CHECK(hit(*f, "https://drop.example/inv.zip") == "url");
}

TEST_CASE("a broken or hostile feed is an error, not an empty list") {
  TempDir d;
  CHECK_FALSE(Feed::load(cfg(d.str() + "/missing.txt")));
  CHECK_FALSE(Feed::load(cfg(d.write("html.txt", "<html>\n<body>404 not found</body>\n"))));
  CHECK_FALSE(Feed::load(cfg(d.write("long.txt", std::string(70000, 'a') + "\n"))));
  CHECK_FALSE(Feed::load(cfg(d.write("many.txt", "a.example\nb.example\nc.example\n")), 2));
  auto empty = Feed::load(cfg(d.write("empty.txt", "# nothing listed today\n")));
  REQUIRE(empty);
  CHECK(empty->size() == 0);
  // Bad lines among good ones are skipped.
  auto mixed = Feed::load(cfg(d.write("mixed.txt", "http://exa<mple.com/\nok.example\n")));
  REQUIRE(mixed);
  CHECK(mixed->size() == 1);
}

TEST_CASE("the service matches across feeds and swaps in a changed feed") {
  TempDir d;
  std::string p = d.write("a.txt", "one.example\n");
  FeedConfig a = cfg(p);
  a.name = "a";
  FeedConfig b = cfg(d.write("b.txt", "http://one.example/x\n"));
  b.name = "b";
  b.category = "malware";
  auto feeds = UrlFeeds::start({{a, b}, std::chrono::milliseconds(0)});
  REQUIRE(feeds);
  auto before = (*feeds)->current();
  auto u = parse("http://one.example/x");
  auto hits = before->match(*u);
  REQUIRE(hits.size() == 2);
  CHECK(hits[0].feed == "a");
  CHECK(hits[0].match == "domain");
  CHECK(hits[1].feed == "b");
  CHECK(hits[1].category == "malware");
  CHECK_FALSE((*feeds)->check_now());

  d.write("a.txt", "one.example\ntwo.example\n");
  std::filesystem::last_write_time(
      p, std::filesystem::file_time_type::clock::now() + std::chrono::seconds(5));
  CHECK((*feeds)->check_now());
  CHECK((*feeds)->reloads() == 1);
  CHECK((*feeds)->current()->match(*parse("http://two.example/")).size() == 1);
  CHECK(before->match(*parse("http://two.example/")).empty());  // a scan keeps its set

  d.write("a.txt", "<html>\n");
  std::filesystem::last_write_time(
      p, std::filesystem::file_time_type::clock::now() + std::chrono::seconds(10));
  CHECK_FALSE((*feeds)->check_now());
  CHECK((*feeds)->current()->match(*parse("http://two.example/")).size() == 1);
  CHECK((*feeds)->last_error().find("a.txt") != std::string::npos);
}
