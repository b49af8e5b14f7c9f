// Click tokens: what the click service accepts. A token round-trips; any change to any
// byte, another key, a retired key, an unknown key, an old token and a malformed one are
// refused; the key file is checked (mode, ids, secrets, current key) with positions.
#include "url/token.hpp"

#include <sys/stat.h>

#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "support/temp_dir.hpp"

using namespace postern;
using namespace std::chrono;

namespace {

const std::string kSecretA(32, 'a');
const std::string kSecretB(40, 'b');

url::KeyRing ring(std::vector<url::KeyRing::Key> keys, std::string current) {
  auto r = url::KeyRing::from(std::move(keys), std::move(current));
  REQUIRE(r);
  return *r;
}

url::Token sample() {
  url::Token t;
  t.issued = 1'800'000'000;
  t.policy_version = 7;
  t.scan_id = "scan-123";
  t.recipient = url::recipient_hash({"Bob@Example.COM"});
  t.url = "https://shop.example/path?q=1&r=\xC3\xA4#frag";
  return t;
}

system_clock::time_point at(int64_t s) {
  return system_clock::time_point(seconds(s));
}

}  // namespace

TEST_CASE("a token verifies to what was issued, with the key id that signed it") {
  auto r = ring({{"k1", kSecretA, false}}, "k1");
  auto tok = r.issue(sample());
  REQUIRE(tok);
  auto back = r.verify(*tok, hours(24), at(1'800'000'100));
  REQUIRE(back);
  CHECK(back->key_id == "k1");
  CHECK(back->url == sample().url);
  CHECK(back->scan_id == "scan-123");
  CHECK(back->recipient == url::recipient_hash({"bob@example.com"}));
  CHECK(back->recipient.size() == 16);
  CHECK(back->issued == 1'800'000'000);
  CHECK(back->policy_version == 7);
  // only URL-safe characters: the token goes into a path as it is
  CHECK(
      tok->find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.") ==
      std::string::npos);
}

TEST_CASE("every flipped bit of a token is refused") {
  auto r = ring({{"k1", kSecretA, false}}, "k1");
  url::Token t = sample();
  t.url = "https://a.example/";
  std::string tok = *r.issue(t);
  size_t refused = 0, tried = 0;
  for (size_t i = 0; i < tok.size(); ++i) {
    for (char c : std::string("AQgw-_.z9")) {
      if (tok[i] == c) continue;
      std::string bad = tok;
      bad[i] = c;
      ++tried;
      if (!r.verify(bad, hours(24), at(t.issued))) ++refused;
    }
  }
  CHECK(tried > 500);
  CHECK(refused == tried);
  // truncations and additions too
  for (size_t n = 0; n < tok.size(); ++n)
    CHECK_FALSE(r.verify(tok.substr(0, n), hours(24), at(t.issued)));
  CHECK_FALSE(r.verify(tok + "A", hours(24), at(t.issued)));
  CHECK_FALSE(r.verify(tok + ".", hours(24), at(t.issued)));
}

TEST_CASE("keys: another secret, an unknown id, a retired key, and rotation") {
  auto old_ring = ring({{"k1", kSecretA, false}}, "k1");
  std::string from_k1 = *old_ring.issue(sample());
  auto now = at(sample().issued + 60);

  // same id, other secret: bad signature
  auto forged = ring({{"k1", kSecretB, false}}, "k1");
  auto f = forged.verify(from_k1, hours(1), now);
  REQUIRE_FALSE(f);
  CHECK(f.error().fault == url::TokenFault::BadSignature);

  // rotation: k2 signs, k1 still verifies
  auto rotated = ring({{"k2", kSecretB, false}, {"k1", kSecretA, false}}, "k2");
  CHECK(rotated.verify(from_k1, hours(1), now));
  std::string from_k2 = *rotated.issue(sample());
  CHECK(rotated.verify(from_k2, hours(1), now)->key_id == "k2");
  CHECK_FALSE(old_ring.verify(from_k2, hours(1), now));
  CHECK(old_ring.verify(from_k2, hours(1), now).error().fault == url::TokenFault::UnknownKey);

  // k1 retired: refused as retired
  auto retired = ring({{"k2", kSecretB, false}, {"k1", kSecretA, true}}, "k2");
  auto r = retired.verify(from_k1, hours(1), now);
  REQUIRE_FALSE(r);
  CHECK(r.error().fault == url::TokenFault::RetiredKey);
  // k1 removed: unknown
  auto removed = ring({{"k2", kSecretB, false}}, "k2");
  CHECK(removed.verify(from_k1, hours(1), now).error().fault == url::TokenFault::UnknownKey);

  // a retired or unknown key cannot be current
  CHECK_FALSE(url::KeyRing::from({{"k1", kSecretA, true}}, "k1"));
  CHECK_FALSE(url::KeyRing::from({{"k1", kSecretA, false}}, "k9"));
  CHECK_FALSE(url::KeyRing::from({{"k1", std::string(16, 'x'), false}}, "k1"));
  CHECK_FALSE(url::KeyRing::from({{"k 1", kSecretA, false}}, "k 1"));
}

TEST_CASE("age: a token older than the maximum, or from the future, is refused") {
  auto r = ring({{"k1", kSecretA, false}}, "k1");
  url::Token t = sample();
  std::string tok = *r.issue(t);
  CHECK(r.verify(tok, hours(24), at(t.issued + 24 * 3600)));
  auto old = r.verify(tok, hours(24), at(t.issued + 24 * 3600 + 1));
  REQUIRE_FALSE(old);
  CHECK(old.error().fault == url::TokenFault::Expired);
  CHECK(r.verify(tok, seconds(0), at(t.issued + 10 * 365 * 24 * 3600)));  // no age limit
  CHECK(r.verify(tok, hours(1), at(t.issued - 3600)).error().fault == url::TokenFault::Expired);
}

TEST_CASE("malformed and oversized tokens are refused without reading them") {
  auto r = ring({{"k1", kSecretA, false}}, "k1");
  for (std::string bad :
       std::vector<std::string>{"", ".", "abc", "abc.def", "a.b.c", "====.====", "%41.%41", "AQ.AQ",
                                std::string(url::kMaxTokenChars + 1, 'A')}) {
    auto v = r.verify(bad, hours(1), at(0));
    CHECK_FALSE(v);
  }
  url::Token t = sample();
  t.url = "https://x.example/" + std::string(url::kMaxUrl, 'p');
  auto big = r.issue(t);
  REQUIRE_FALSE(big);
  CHECK(big.error().fault == url::TokenFault::TooLong);
  t.url = "https://x.example/" + std::string(url::kMaxUrl - 18, 'p');
  auto tok = r.issue(t);
  REQUIRE(tok);
  CHECK(tok->size() <= url::kMaxTokenChars);
  CHECK(r.verify(*tok, seconds(0), at(t.issued)));
}

TEST_CASE("base64url is strict: one spelling per byte string") {
  for (std::string s :
       std::vector<std::string>{"", "a", "ab", "abc", "abcd", std::string("\0\xff\xfe", 3)})
    CHECK(url::unbase64url(url::base64url(s)) == s);
  CHECK_FALSE(url::unbase64url("QR"));    // trailing bits set (Q = 'A' with extra bits)
  CHECK_FALSE(url::unbase64url("QQ=="));  // padding
  CHECK_FALSE(url::unbase64url("Q"));
  CHECK_FALSE(url::unbase64url("Q+/A"));
}

TEST_CASE("the key file: owner-only, checked with positions") {
  test::TempDir dir;
  std::string hexa(64, 'a'), hexb(80, '0');
  std::string good =
      dir.write("keys.toml", "current = \"k2\"\n[keys.k2]\nsecret = \"" + hexb +
                                 "\"\n[keys.k1]\nsecret = \"" + hexa + "\"\nretired = true\n");
  ::chmod(good.c_str(), 0600);
  auto r = url::KeyRing::load(good);
  REQUIRE(r);
  CHECK(r->current_id() == "k2");

  ::chmod(good.c_str(), 0640);
  auto open = url::KeyRing::load(good);
  REQUIRE_FALSE(open);
  CHECK(open.error()[0].message.find("0600") != std::string::npos);

  struct Bad {
    std::string text, says;
    uint32_t line;
  };
  for (const Bad& b : std::vector<Bad>{
           {"current = \"k1\"\n[keys.k1]\nsecret = \"abc\"\n", "hex digits", 3},
           {"current = \"k1\"\n[keys.k1]\nsecret = \"" + hexa + "\"\ncolour = 1\n", "colour", 4},
           {"[keys.k1]\nsecret = \"" + hexa + "\"\n", "current", 0},
           {"current = \"k9\"\n[keys.k1]\nsecret = \"" + hexa + "\"\n", "k9", 0},
           {"current = \"k1\"\n[keys.k1]\nsecret = \"" + hexa + "\"\nretired = true\n", "retired",
            0},
       }) {
    std::string p = dir.write("bad.toml", b.text);
    ::chmod(p.c_str(), 0600);
    auto e = url::KeyRing::load(p);
    REQUIRE_FALSE(e);
    INFO(b.text);
    CHECK(e.error()[0].message.find(b.says) != std::string::npos);
    if (b.line) CHECK(e.error()[0].line == b.line);
  }
}
