// Tests for reputation::SenderHistory: the file round trip, the bound, hashed
// keys, corrupt and foreign files, compaction, and concurrent use.
#include "reputation/sender_history.hpp"

#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "support/files.hpp"
#include "support/temp_dir.hpp"

using postern::reputation::SenderHistory;
using postern::test::TempDir;

namespace {

using postern::test::slurp;

size_t lines(const std::string& path) {
  const std::string s = slurp(path);
  return static_cast<size_t>(std::count(s.begin(), s.end(), '\n'));
}

}  // namespace

TEST_CASE("a recorded sender is seen after a restart, and the file holds no address",
          "[sender_history]") {
  TempDir dir;
  const std::string path = (dir.path() / "senders").string();
  {
    auto h = SenderHistory::open(path, 100);
    REQUIRE(h);
    CHECK_FALSE((*h)->seen("Vendor@Supplier.example", "corp.example"));
    (*h)->record("vendor@supplier.example", "corp.example");
    CHECK((*h)->seen("VENDOR@supplier.example", "CORP.example"));         // any case
    CHECK_FALSE((*h)->seen("vendor@supplier.example", "other.example"));  // per domain
  }
  auto h = SenderHistory::open(path, 100);
  REQUIRE(h);
  CHECK((*h)->seen("vendor@supplier.example", "corp.example"));
  CHECK((*h)->size() == 1);
  const std::string text = slurp(path);
  CHECK(text.rfind("postern-sender-history 1\n", 0) == 0);
  CHECK(text.find("supplier") == std::string::npos);
  CHECK(text.find("vendor") == std::string::npos);
  CHECK(std::filesystem::status(path).permissions() ==
        (std::filesystem::perms::owner_read | std::filesystem::perms::owner_write));
}

TEST_CASE("past its bound the history drops the sender recorded or refreshed longest ago",
          "[sender_history]") {
  TempDir dir;
  const std::string path = (dir.path() / "senders").string();
  {
    auto h = SenderHistory::open(path, 3);
    REQUIRE(h);
    for (const char* s : {"a@x.example", "b@x.example", "c@x.example"}) (*h)->record(s, "corp");
    (*h)->record("a@x.example", "corp");  // refreshed: b is now the oldest
    (*h)->record("d@x.example", "corp");
    CHECK((*h)->size() == 3);
    CHECK((*h)->seen("a@x.example", "corp"));
    CHECK_FALSE((*h)->seen("b@x.example", "corp"));
    CHECK((*h)->seen("d@x.example", "corp"));
    // Appends past twice the bound compact the file to the live keys.
    for (int i = 0; i < 20; ++i) (*h)->record("e" + std::to_string(i) + "@x.example", "corp");
    CHECK(lines(path) <= 1 + 2 * 3);
    CHECK((*h)->write_errors() == 0);
  }
  auto h = SenderHistory::open(path, 3);
  REQUIRE(h);
  CHECK((*h)->size() == 3);
  CHECK((*h)->seen("e19@x.example", "corp"));
  CHECK_FALSE((*h)->seen("e15@x.example", "corp"));
  // A smaller bound at load keeps the newest.
  auto small = SenderHistory::open(path, 1);
  REQUIRE(small);
  CHECK((*small)->size() == 1);
  CHECK((*small)->seen("e19@x.example", "corp"));
}

TEST_CASE("a history file with corrupt lines keeps its good keys; a foreign file is refused",
          "[sender_history]") {
  TempDir dir;
  const std::string path = (dir.path() / "senders").string();
  {
    auto h = SenderHistory::open(path, 10);
    REQUIRE(h);
    (*h)->record("a@x.example", "corp");
  }
  {
    std::ofstream out(path, std::ios::app | std::ios::binary);
    out << "not hex at all\n0123\n" << std::string(32, 'g') << "\n\x01\x02\xff\n";
  }
  auto h = SenderHistory::open(path, 10);
  REQUIRE(h);
  CHECK((*h)->corrupt_lines() == 4);
  CHECK((*h)->seen("a@x.example", "corp"));
  CHECK(lines(path) == 2);  // rewritten without them

  const std::string foreign = dir.write("passwd", "root:x:0:0::/root:/bin/sh\n");
  auto bad = SenderHistory::open(foreign, 10);
  REQUIRE_FALSE(bad);
  CHECK(bad.error().find("not a sender history file") != std::string::npos);
  CHECK(slurp(foreign) == "root:x:0:0::/root:/bin/sh\n");  // never overwritten

  auto missing_dir = SenderHistory::open((dir.path() / "no/such/dir/senders").string(), 10);
  REQUIRE_FALSE(missing_dir);
  CHECK(missing_dir.error().find("cannot open it") != std::string::npos);

  const std::string empty = dir.write("empty", "");
  auto started = SenderHistory::open(empty, 10);
  REQUIRE(started);
  (*started)->record("a@x.example", "corp");
  CHECK(slurp(empty).rfind("postern-sender-history 1\n", 0) == 0);
}

TEST_CASE("threads record and look up senders at once", "[sender_history]") {
  TempDir dir;
  auto h = SenderHistory::open((dir.path() / "senders").string(), 1000);
  REQUIRE(h);
  std::vector<std::thread> ts;
  for (int t = 0; t < 4; ++t)
    ts.emplace_back([&, t] {
      for (int i = 0; i < 200; ++i) {
        const std::string s = std::to_string(t) + "-" + std::to_string(i) + "@x.example";
        (*h)->record(s, "corp");
        (void)(*h)->seen(s, "corp");
      }
    });
  for (auto& t : ts) t.join();
  CHECK((*h)->size() == 800);
  auto again = SenderHistory::open((*h)->path(), 1000);
  REQUIRE(again);
  CHECK((*again)->size() == 800);
}

TEST_CASE("a history file root creates belongs to its directory's owner, compaction too",
          "[sender_history]") {
  // The package's case: root runs `postern-milter -t` before the daemon (User=postern)
  // starts; a root-owned 0600 file would lock the daemon out of its own state.
  if (::geteuid() != 0) {
    WARN("skipped: needs root to create files for another user");
    return;
  }
  TempDir dir;
  const uid_t uid = 65534;  // nobody
  const gid_t gid = 65534;
  REQUIRE(::chown(dir.path().c_str(), uid, gid) == 0);
  const std::string path = (dir.path() / "senders").string();
  auto owner = [](const std::string& p) {
    struct stat st {};
    REQUIRE(::stat(p.c_str(), &st) == 0);
    return std::pair{st.st_uid, st.st_gid};
  };
  {
    auto h = SenderHistory::open(path, 2);
    REQUIRE(h);
    CHECK(owner(path) == std::pair{uid, gid});
    // Past twice the bound the file is rewritten through a temporary file: still theirs.
    for (int i = 0; i < 6; ++i) (*h)->record(fmt::format("s{}@x.example", i), "corp.example");
    CHECK((*h)->write_errors() == 0);
  }
  CHECK(lines(path) <= 5);
  CHECK(owner(path) == std::pair{uid, gid});
}
