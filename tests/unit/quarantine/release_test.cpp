// X-Postern-Release: signing, the checks a forged, copied or stale header fails, the key file.
#include "quarantine/release.hpp"

#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <set>

#include "support/files.hpp"
#include "support/temp_dir.hpp"

using namespace postern;
using quarantine::ReleaseFault;

TEST_CASE("the release header table: only the message, recipients and key it was made for") {
  const std::string key(32, 'k');
  const std::string body = quarantine::body_digest("Hello Bob,\r\nthe invoice.\r\n");
  const int64_t t = 1700000000;
  const quarantine::ReleaseClaim claim{"AbCdEfGh12345678", t, body, {"bob@feas.test"}};
  const std::string good = quarantine::release_header_value(key, claim);
  std::string tampered = good;
  tampered[tampered.size() - 5] = tampered[tampered.size() - 5] == '0' ? '1' : '0';
  std::string other_id = good;
  other_id.replace(other_id.find("AbCd"), 4, "ZbCd");
  std::string other_time = good;
  other_time.replace(other_time.find("t=1700000000"), 12, "t=1700000001");

  struct Row {
    const char* what;
    std::string value;
    std::string body;
    std::vector<std::string> rcpts;
    std::string key;
    int64_t now;
    std::optional<ReleaseFault> fault;
  };
  const std::string other_body = quarantine::body_digest("Hello Bob,\r\nanother text.\r\n");
  const std::vector<Row> rows{
      {"valid", good, body, {"bob@feas.test"}, key, t + 60, std::nullopt},
      {"valid, recipients in another case and order",
       quarantine::release_header_value(key,
                                        {"AbCdEfGh12345678", t, body, {"a@x.test", "b@x.test"}}),
       body,
       {"B@X.test", "a@x.test", "a@x.test"},
       key,
       t,
       std::nullopt},
      {"valid, folded",
       "v=1;\r\n id=AbCdEfGh12345678;\tt=1700000000;" + good.substr(good.find(" mac=")),
       body,
       {"bob@feas.test"},
       key,
       t,
       std::nullopt},
      {"valid: LF instead of CRLF and no final line end",
       good,
       quarantine::body_digest("Hello Bob,\nthe invoice."),
       {"bob@feas.test"},
       key,
       t,
       std::nullopt},
      {"one MAC digit changed",
       tampered,
       body,
       {"bob@feas.test"},
       key,
       t,
       ReleaseFault::BadSignature},
      {"another id", other_id, body, {"bob@feas.test"}, key, t, ReleaseFault::BadSignature},
      {"another time", other_time, body, {"bob@feas.test"}, key, t, ReleaseFault::BadSignature},
      {"copied onto another message",
       good,
       other_body,
       {"bob@feas.test"},
       key,
       t,
       ReleaseFault::BadSignature},
      {"another recipient", good, body, {"mallory@feas.test"}, key, t, ReleaseFault::BadSignature},
      {"one recipient more",
       good,
       body,
       {"bob@feas.test", "mallory@evil.example"},
       key,
       t,
       ReleaseFault::BadSignature},
      {"another key",
       good,
       body,
       {"bob@feas.test"},
       std::string(32, 'K'),
       t,
       ReleaseFault::BadSignature},
      {"stale: past max_age", good, body, {"bob@feas.test"}, key, t + 3601, ReleaseFault::Stale},
      {"from the future", good, body, {"bob@feas.test"}, key, t - 301, ReleaseFault::Stale},
      {"empty", "", body, {"bob@feas.test"}, key, t, ReleaseFault::Malformed},
      {"no mac",
       "v=1; id=AbCdEfGh12345678; t=1700000000",
       body,
       {"bob@feas.test"},
       key,
       t,
       ReleaseFault::Malformed},
      {"no id",
       "v=1; t=1700000000; mac=" + std::string(64, '0'),
       body,
       {"bob@feas.test"},
       key,
       t,
       ReleaseFault::Malformed},
      {"fields in another order",
       "v=1; t=1700000000; id=AbCdEfGh12345678; mac=" + std::string(64, '0'),
       body,
       {"bob@feas.test"},
       key,
       t,
       ReleaseFault::Malformed},
      {"version 2",
       "v=2" + good.substr(3),
       body,
       {"bob@feas.test"},
       key,
       t,
       ReleaseFault::Malformed},
      {"id with a slash",
       "v=1; id=../etc; t=1700000000; mac=" + std::string(64, '0'),
       body,
       {"bob@feas.test"},
       key,
       t,
       ReleaseFault::Malformed},
      {"time not a number",
       "v=1; id=AbCd; t=-5; mac=" + std::string(64, '0'),
       body,
       {"bob@feas.test"},
       key,
       t,
       ReleaseFault::Malformed},
      {"mac not hex",
       good.substr(0, good.size() - 1) + "z",
       body,
       {"bob@feas.test"},
       key,
       t,
       ReleaseFault::Malformed},
      {"too long",
       good + std::string(600, ' ') + "x",
       body,
       {"bob@feas.test"},
       key,
       t,
       ReleaseFault::Malformed},
  };
  for (const auto& row : rows) {
    INFO(row.what);
    auto r = quarantine::verify_release(row.key, row.value, row.body, row.rcpts, row.now, 3600);
    if (!row.fault) {
      REQUIRE(r);
      CHECK(*r == "AbCdEfGh12345678");
    } else {
      REQUIRE_FALSE(r);
      CHECK(r.error().fault == *row.fault);
      CHECK_FALSE(r.error().detail.empty());
    }
  }
}

TEST_CASE("the release key is made once, 0600, and then read back") {
  test::TempDir tmp;
  const std::string path = tmp.str() + "/release.key";
  auto a = quarantine::load_or_create_key(path);
  REQUIRE(a);
  CHECK(a->size() == 32);
  struct stat st {};
  REQUIRE(::stat(path.c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
  auto b = quarantine::load_or_create_key(path);
  REQUIRE(b);
  CHECK(*a == *b);
  ::chmod(path.c_str(), 0644);
  auto readable = quarantine::load_or_create_key(path);
  REQUIRE_FALSE(readable);
  CHECK(readable.error().find("chmod 600") != std::string::npos);
  const std::string junk = tmp.write("junk.key", "not a key\n");
  ::chmod(junk.c_str(), 0600);
  CHECK_FALSE(quarantine::load_or_create_key(junk));
  CHECK_FALSE(quarantine::load_or_create_key(tmp.str() + "/no/such/dir/release.key"));
}

TEST_CASE("ids are short, URL-safe and distinct") {
  std::set<std::string> seen;
  for (int i = 0; i < 1000; ++i) {
    std::string id = quarantine::new_id();
    CHECK(id.size() == 16);
    CHECK(quarantine::valid_id(id));
    seen.insert(id);
  }
  CHECK(seen.size() == 1000);
  for (const char* bad : {"", "a b", "a/b", "a.b", "a+b", "0123456789012345678901234567890123"})
    CHECK_FALSE(quarantine::valid_id(bad));
}
