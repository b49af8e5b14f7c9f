// Tests for attach/hash_feed: the feed formats admins download, the errors a
// broken download must give, and the service's reload of a changed feed.
#include "attach/hash_feed.hpp"

#include <catch2/catch.hpp>

#include <chrono>
#include <filesystem>
#include <string>
#include <thread>

#include "support/temp_dir.hpp"

using namespace postern::attach;
using postern::test::TempDir;

namespace {

const std::string kA = "275a021bbfb6489e54d471899f7db9d1663fc695ec2fe2a2c4538aabf651fd0f";
const std::string kB = "E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855";
const std::string kC = "0000000000000000000000000000000000000000000000000000000000000001";

Sha256 h(const std::string& hex) {
  return *parse_sha256(hex);
}

}  // namespace

TEST_CASE("a feed is read one hash per line, or as abuse.ch's CSV with its signatures") {
  TempDir d;
  auto plain = HashFeed::load(d.write("plain.txt", "# my list\n\n" + kA + "\n  " + kB + "  \n"));
  REQUIRE(plain);
  CHECK(plain->size() == 2);
  CHECK(plain->find(h(kA)));
  CHECK(plain->find(h(kB)));  // upper case hex
  CHECK_FALSE(plain->find(h(kC)));
  CHECK(plain->name() == "plain.txt");

  const std::string csv =
      "################################################################\n"
      "# MalwareBazaar full data dump (CSV)                           #\n"
      "# \"first_seen_utc\",\"sha256_hash\",\"md5_hash\",\"sha1_hash\",\"reporter\","
      "\"file_name\",\"file_type_guess\",\"mime_type\",\"signature\",\"clamav\"\n"
      "\"2026-11-30 10:01:02\", \"" +
      kA +
      "\", \"d41d8cd98f00b204e9800998ecf8427e\", \"da39a3ee5e6b4b0d3255bfef95601890afd80709\","
      " \"abuse_ch\", \"Invoice, 2026.exe\", \"exe\", \"application/x-dosexec\", \"AgentTesla\","
      " \"n/a\"\n"
      "\"2026-11-30 10:01:03\", \"" +
      kC +
      "\", \"x\", \"y\", \"r\", \"a.js\", \"js\", "
      "\"text/plain\", \"n/a\", \"n/a\"\n";
  auto bazaar = HashFeed::load(d.write("bazaar.csv", csv));
  INFO((bazaar ? std::string() : bazaar.error()));
  REQUIRE(bazaar);
  CHECK(bazaar->size() == 2);
  REQUIRE(bazaar->find(h(kA)));
  CHECK(*bazaar->find(h(kA)) == "AgentTesla");  // the comma inside a quoted name is no split
  REQUIRE(bazaar->find(h(kC)));
  CHECK(bazaar->find(h(kC))->empty());  // "n/a" is no label
}

TEST_CASE("a broken or hostile feed is an error, not an empty list") {
  TempDir d;
  CHECK_FALSE(HashFeed::load(d.str() + "/absent.txt"));
  auto html = HashFeed::load(d.write("error.txt", "<html>502 Bad Gateway</html>\n"));
  REQUIRE_FALSE(html);
  CHECK(html.error().find("no SHA-256") != std::string::npos);
  CHECK_FALSE(HashFeed::load(d.write("long.txt", kA + "\n" + std::string(70000, 'a') + "\n")));
  auto many = HashFeed::load(d.write("many.txt", kA + "\n" + kB + "\n" + kC + "\n"), 2);
  REQUIRE_FALSE(many);
  CHECK(many.error().find("more than 2") != std::string::npos);
  // An empty file is a valid empty feed (a site that has not fetched one yet).
  auto empty = HashFeed::load(d.write("empty.txt", ""));
  REQUIRE(empty);
  CHECK(empty->size() == 0);
}

TEST_CASE("the service finds bad and good hashes and swaps in a changed feed") {
  TempDir d;
  std::string bad = d.write("bad.txt", kA + "\n");
  std::string good = d.write("good.txt", kB + "\n");
  HashFeedConfig cfg{{bad}, {good}, std::chrono::milliseconds(0)};  // no thread: check_now
  auto feeds = HashFeeds::start(cfg);
  REQUIRE(feeds);
  auto before = (*feeds)->current();
  REQUIRE(before->bad_match(h(kA)));
  CHECK(before->bad_match(h(kA))->feed == "bad.txt");
  CHECK(before->good_match(h(kB)));
  CHECK_FALSE(before->bad_match(h(kC)));
  CHECK_FALSE((*feeds)->check_now());  // unchanged: nothing reloaded

  d.write("bad.txt", kA + "\n" + kC + "\n");
  std::filesystem::last_write_time(
      bad, std::filesystem::file_time_type::clock::now() + std::chrono::seconds(5));
  CHECK((*feeds)->check_now());
  CHECK((*feeds)->current()->bad_match(h(kC)));
  CHECK_FALSE(before->bad_match(h(kC)));  // a scan in flight keeps the set it took
  CHECK((*feeds)->reloads() == 1);

  // A broken download keeps the old set serving and says why.
  d.write("bad.txt", "<html>404</html>\n");
  std::filesystem::last_write_time(
      bad, std::filesystem::file_time_type::clock::now() + std::chrono::seconds(10));
  CHECK_FALSE((*feeds)->check_now());
  CHECK((*feeds)->current()->bad_match(h(kC)));
  CHECK((*feeds)->last_error().find("bad.txt") != std::string::npos);
}

TEST_CASE("the reload thread picks up a changed feed by itself and stops at once") {
  TempDir d;
  std::string bad = d.write("bad.txt", kA + "\n");
  auto feeds = HashFeeds::start({{bad}, {}, std::chrono::milliseconds(20)});
  REQUIRE(feeds);
  d.write("bad.txt", kA + "\n" + kC + "\n");
  std::filesystem::last_write_time(
      bad, std::filesystem::file_time_type::clock::now() + std::chrono::seconds(5));
  bool seen = false;
  for (int i = 0; i < 200 && !seen; ++i) {
    seen = bool((*feeds)->current()->bad_match(h(kC)));
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  CHECK(seen);
  auto t0 = std::chrono::steady_clock::now();
  feeds->reset();
  CHECK(std::chrono::steady_clock::now() - t0 < std::chrono::milliseconds(500));
}
