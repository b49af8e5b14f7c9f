// The quarantine web page's authentication: password hashes and the password file,
// sessions and their expiry, CSRF tokens.
#include "quarantine/web_auth.hpp"

#include "quarantine/config.hpp"
#include "quarantine/release.hpp"
#include "scan/registry.hpp"

#include <sys/stat.h>

#include <catch2/catch.hpp>

#include "support/files.hpp"
#include "support/temp_dir.hpp"

using namespace postern;

namespace {
constexpr int kFastIterations = 1000;  // the minimum: the KDF's cost is not what is tested here
}

TEST_CASE("a password hash verifies its password and no other") {
  const std::string h = quarantine::hash_password("correct horse battery", kFastIterations);
  CHECK(h.rfind("pbkdf2-sha256$1000$", 0) == 0);
  struct Row {
    const char* password;
    bool ok;
  };
  for (const Row& r : std::vector<Row>{{"correct horse battery", true},
                                       {"correct horse batter", false},
                                       {"correct horse battery ", false},
                                       {"Correct horse battery", false},
                                       {"", false}}) {
    INFO(r.password);
    CHECK(quarantine::verify_password(r.password, h) == r.ok);
  }
}

TEST_CASE("two hashes of one password differ (a random salt each)") {
  const std::string a = quarantine::hash_password("same password", kFastIterations);
  const std::string b = quarantine::hash_password("same password", kFastIterations);
  CHECK(a != b);
  CHECK(quarantine::verify_password("same password", a));
  CHECK(quarantine::verify_password("same password", b));
}

TEST_CASE("the default hash is PBKDF2-SHA256 with 600000 iterations") {
  const std::string h = quarantine::hash_password("operator password");
  CHECK(h.rfind("pbkdf2-sha256$600000$", 0) == 0);
  CHECK(quarantine::verify_password("operator password", h));
}

TEST_CASE("a malformed or tampered hash never verifies") {
  const std::string good = quarantine::hash_password("pw12345678", kFastIterations);
  std::string flipped = good;
  flipped.back() = flipped.back() == '0' ? '1' : '0';
  std::string fewer = good;
  fewer.replace(fewer.find("$1000$"), 6, "$999$");
  const std::vector<std::string> bad{
      flipped,
      fewer,  // iterations under the minimum
      "pbkdf2-sha256$99999999999$00112233445566778899aabbccddeeff$00",  // over the maximum
      "pbkdf2-sha1" + good.substr(13),                                  // another scheme
      good.substr(0, good.size() - 2),                                  // a short hash
      good + "$extra",
      "",
      "plaintext-password",
      "pbkdf2-sha256$1000$zz112233445566778899aabbccddeeff$" + std::string(64, '0')};
  for (const auto& h : bad) {
    INFO(h);
    CHECK_FALSE(quarantine::verify_password("pw12345678", h));
  }
  CHECK_FALSE(quarantine::verify_password(
      std::string(quarantine::kMaxPassword + 1, 'a'),
      quarantine::hash_password(std::string(quarantine::kMaxPassword + 1, 'a'), kFastIterations)));
}

TEST_CASE("the password file: users log in with their own password only") {
  test::TempDir dir;
  const std::string path = dir.str() + "/passwd";
  REQUIRE(quarantine::set_password(path, "alice",
                                   quarantine::hash_password("alice-pw-1", kFastIterations)));
  REQUIRE(quarantine::set_password(path, "bob@example.com",
                                   quarantine::hash_password("bob-pw-22", kFastIterations)));
  auto f = quarantine::PasswordFile::load(path);
  REQUIRE(f);
  CHECK(f->size() == 2);
  CHECK(f->check("alice", "alice-pw-1"));
  CHECK(f->check("bob@example.com", "bob-pw-22"));
  CHECK_FALSE(f->check("alice", "bob-pw-22"));
  CHECK_FALSE(f->check("bob@example.com", "alice-pw-1"));
  CHECK_FALSE(f->check("carol", "alice-pw-1"));
  CHECK_FALSE(f->check("ALICE", "alice-pw-1"));

  // A new password for alice replaces her line; bob's stays.
  REQUIRE(quarantine::set_password(path, "alice",
                                   quarantine::hash_password("alice-pw-2", kFastIterations)));
  auto again = quarantine::PasswordFile::load(path);
  REQUIRE(again);
  CHECK(again->size() == 2);
  CHECK_FALSE(again->check("alice", "alice-pw-1"));
  CHECK(again->check("alice", "alice-pw-2"));
  CHECK(again->check("bob@example.com", "bob-pw-22"));
  struct stat st {};
  REQUIRE(::stat(path.c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0640);
  ::chmod(path.c_str(), 0600);
  REQUIRE(quarantine::set_password(path, "carol",
                                   quarantine::hash_password("carol-pw-3", kFastIterations)));
  REQUIRE(::stat(path.c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);  // an existing file keeps its mode
  CHECK_FALSE(quarantine::set_password(path, "bad:name", "x"));
  CHECK_FALSE(quarantine::set_password(path, "", "x"));
}

TEST_CASE("a bad password file line is an error at its line and column") {
  test::TempDir dir;
  const std::string good = quarantine::hash_password("pw-abcdefg", kFastIterations);
  struct Row {
    std::string text;
    uint32_t line, column;
    const char* message_part;
  };
  const std::vector<Row> rows{
      {"# operators\n\nalice\n", 3, 1, "expected user:hash"},
      {"alice:" + good + "\nbob:plain\n", 2, 5, "pbkdf2-sha256"},
      {"al ice:" + good + "\n", 1, 1, "a user name"},
      {"alice:" + good + "\nalice:" + good + "\n", 2, 1, "listed twice"},
  };
  for (const auto& r : rows) {
    INFO(r.text);
    const std::string path = dir.write("passwd", r.text);
    auto f = quarantine::PasswordFile::load(path);
    REQUIRE_FALSE(f);
    REQUIRE(f.error().size() == 1);
    CHECK(f.error()[0].file == path);
    CHECK(f.error()[0].line == r.line);
    CHECK(f.error()[0].column == r.column);
    CHECK_THAT(f.error()[0].message, Catch::Contains(r.message_part));
  }
  auto missing = quarantine::PasswordFile::load(dir.str() + "/none");
  REQUIRE_FALSE(missing);
  CHECK(missing.error()[0].line == 0);
  auto comments = quarantine::PasswordFile::load(dir.write("ok", "# none yet\n\n  \n"));
  REQUIRE(comments);
  CHECK(comments->size() == 0);
  CHECK_FALSE(comments->check("alice", "anything"));
}

TEST_CASE("user names: letters, digits and . _ @ + -, at most 64") {
  for (const char* ok : {"alice", "bob@example.com", "first.last+q", "a_b-c"})
    CHECK(quarantine::valid_user(ok));
  for (std::string bad : {std::string(""), std::string("a b"), std::string("a:b"),
                          std::string("<script>"), std::string(65, 'a'), std::string("a\nb")})
    CHECK_FALSE(quarantine::valid_user(bad));
}

TEST_CASE("a session lasts its time to live, then it is gone") {
  quarantine::Sessions sessions(3600);
  const int64_t t0 = 1700000000;
  const quarantine::Session s = sessions.create("alice", t0);
  CHECK(s.id.size() == 64);
  CHECK(s.expires == t0 + 3600);
  auto found = sessions.find(s.id, t0 + 3599);
  REQUIRE(found);
  CHECK(found->user == "alice");
  CHECK_FALSE(sessions.find(s.id, t0 + 3600));
  CHECK_FALSE(sessions.find(s.id, t0 + 10));  // expired sessions are dropped, not revived
  CHECK(sessions.size() == 0);
}

TEST_CASE("sessions: unknown ids, removal, and a bounded number") {
  quarantine::Sessions sessions(600, 3);
  const int64_t t0 = 1700000000;
  const auto a = sessions.create("a", t0);
  const auto b = sessions.create("b", t0 + 1);
  CHECK(a.id != b.id);
  CHECK_FALSE(sessions.find("", t0));
  CHECK_FALSE(sessions.find(std::string(64, '0'), t0));
  CHECK_FALSE(sessions.find(a.id.substr(0, 63), t0));
  sessions.remove(b.id);
  CHECK_FALSE(sessions.find(b.id, t0 + 2));
  sessions.create("c", t0 + 3);
  sessions.create("d", t0 + 4);
  sessions.create("e", t0 + 5);  // over 3: the one closest to expiry (a) goes
  CHECK(sessions.size() == 3);
  CHECK_FALSE(sessions.find(a.id, t0 + 6));
}

TEST_CASE("a CSRF token belongs to its session and to this process's secret") {
  quarantine::Sessions sessions(600);
  quarantine::Sessions other_process(600);
  const auto a = sessions.create("alice", 1700000000);
  const auto b = sessions.create("alice", 1700000000);
  const std::string ta = sessions.csrf(a);
  CHECK(ta.size() == 64);
  CHECK(sessions.csrf(a) == ta);  // stable for the session
  CHECK(sessions.csrf_ok(a, ta));
  CHECK_FALSE(sessions.csrf_ok(b, ta));  // another session of the same user
  CHECK_FALSE(other_process.csrf_ok(a, ta));
  std::string flipped = ta;
  flipped[0] = flipped[0] == 'a' ? 'b' : 'a';
  CHECK_FALSE(sessions.csrf_ok(a, flipped));
  CHECK_FALSE(sessions.csrf_ok(a, ""));
  CHECK_FALSE(sessions.csrf_ok(a, ta.substr(0, 32)));
  CHECK_FALSE(sessions.csrf_ok(a, ta + "00"));
}

TEST_CASE("[quarantine.web] in postern.toml: values, defaults and errors at their position") {
  test::TempDir dir;
  auto defaults = scan::load_config(dir.write("none.toml", "[quarantine]\ndir = \"q\"\n"));
  REQUIRE(defaults);
  const quarantine::WebConfig& d = quarantine::quarantine_config(*defaults).web;
  CHECK(d.listen == "127.0.0.1:8026");
  CHECK(d.password_file.empty());
  CHECK(d.trusted_header.empty());
  CHECK(d.secure_cookie);

  auto set = scan::load_config(dir.write(
      "web.toml",
      "[quarantine.web]\nlisten = \"[::1]:9026\"\npassword_file = \"qweb.passwd\"\n"
      "trusted_header = \"X-Remote-User\"\nsession_minutes = 60\nsecure_cookie = false\n"));
  REQUIRE(set);
  const quarantine::WebConfig& w = quarantine::quarantine_config(*set).web;
  CHECK(w.listen == "[::1]:9026");
  CHECK(w.password_file == dir.str() + "/qweb.passwd");  // relative to the config's directory
  CHECK(w.trusted_header == "X-Remote-User");
  CHECK(w.session_minutes == 60);
  CHECK_FALSE(w.secure_cookie);

  struct Row {
    const char* text;
    uint32_t line;
  };
  for (const Row& r : std::vector<Row>{{"[quarantine.web]\nlisten = \"8026\"\n", 2},
                                       {"[quarantine.web]\n\ntrusted_header = \"X User\"\n", 3},
                                       {"[quarantine.web]\nsession_minutes = 0\n", 2},
                                       {"[quarantine.web]\npasword_file = \"x\"\n", 2}}) {
    INFO(r.text);
    auto c = scan::load_config(dir.write("bad.toml", r.text));
    REQUIRE_FALSE(c);
    CHECK(c.error().front().line == r.line);
    CHECK(c.error().front().file == dir.str() + "/bad.toml");
  }
}

TEST_CASE("a digest link opens its entry for its recipient until it expires, and nothing else") {
  const std::string key(32, 'k');
  const int64_t t = 1700000000;
  const quarantine::DigestClaim claim{"AbCdEfGh12345678", "Bob@Feas.Test", t + 86400};
  const std::string token = quarantine::digest_token(key, claim);
  CHECK(token.size() < quarantine::kMaxDigestToken);
  CHECK(token.find_first_not_of(
            "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.") ==
        std::string::npos);  // URL-safe as it is

  auto ok = quarantine::verify_digest_token(key, token, t);
  REQUIRE(ok);
  CHECK(ok->id == "AbCdEfGh12345678");
  CHECK(ok->rcpt == "bob@feas.test");  // lower-cased
  CHECK(ok->expires == t + 86400);

  auto part = [&](size_t i) {
    std::vector<std::string> parts;
    size_t start = 0;
    for (size_t p = 0; p <= token.size(); ++p)
      if (p == token.size() || token[p] == '.') {
        parts.push_back(token.substr(start, p - start));
        start = p + 1;
      }
    return parts.at(i);
  };
  const std::string carol_hex = quarantine::hex("carol@feas.test");
  struct Row {
    const char* what;
    std::string token;
    std::string key;
    int64_t now;
  };
  std::string flipped = token;
  flipped.back() = flipped.back() == '0' ? '1' : '0';
  const std::vector<Row> rows{
      {"expired", token, key, t + 86400},
      {"another key", token, std::string(32, 'x'), t},
      {"a MAC digit changed", flipped, key, t},
      {"another id", "ZbCdEfGh12345678." + part(1) + "." + part(2) + "." + part(3), key, t},
      {"a later expiry", part(0) + "." + std::to_string(t + 999999) + "." + part(2) + "." + part(3),
       key, t},
      {"another recipient", part(0) + "." + part(1) + "." + carol_hex + "." + part(3), key, t},
      {"upper-case recipient hex",
       part(0) + "." + part(1) + "." + quarantine::hex("Bob@feas.test") + "." + part(3), key, t},
      {"a part missing", part(0) + "." + part(1) + "." + part(3), key, t},
      {"an extra part", token + ".00", key, t},
      {"empty", "", key, t},
      {"too long", token + std::string(1100, 'a'), key, t},
      {"not an id", "a/b." + part(1) + "." + part(2) + "." + part(3), key, t},
  };
  for (const auto& r : rows) {
    INFO(r.what);
    CHECK_FALSE(quarantine::verify_digest_token(r.key, r.token, r.now));
  }
}
