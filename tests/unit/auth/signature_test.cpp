// The signature core's own pieces (auth/signature.hpp, core/digest.hpp) and the native
// verifier's bounds on hostile signatures.
#include <catch2/catch.hpp>

#include <chrono>

#include "auth/dkim.hpp"
#include "auth/signature.hpp"
#include "core/digest.hpp"

using namespace postern;

TEST_CASE("base64 as tag values carry it: whitespace skipped, strict otherwise", "[signature]") {
  struct Row {
    std::string in;
    std::optional<std::string> want;
  };
  for (const auto& r : std::vector<Row>{
           {"", ""},
           {"aGk=", "hi"},
           {"aGk", "hi"},              // padding may be left out
           {" a G\r\n\t k = ", "hi"},  // folding whitespace anywhere
           {"aGVsbG8=", "hello"},
           {"aGk=\r\n", "hi"},
           {"a", std::nullopt},         // a lone sixth of a quantum
           {"aGk!", std::nullopt},      // outside the alphabet
           {"aGk=aGk=", std::nullopt},  // data after the padding
           {"aG-k", std::nullopt},      // base64url is not base64
       }) {
    INFO(r.in);
    CHECK(auth::base64_decode(r.in) == r.want);
  }
  for (const std::string& s : std::vector<std::string>{"", "h", "hi", "hey", "hello, world",
                                                       std::string("\0\xff\x10", 3)}) {
    INFO(s);
    std::string e = auth::base64_encode(s);
    CHECK(e.find_first_of("\r\n") == std::string::npos);
    CHECK(e.size() % 4 == 0);
    CHECK(auth::base64_decode(e) == s);
  }
  CHECK(auth::base64_encode("hi") == "aGk=");
}

TEST_CASE("one SHA-256 for the code base", "[signature]") {
  CHECK(core::sha256_hex("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  CHECK(core::sha256_hex("abc") ==
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  CHECK(core::sha256("abc").size() == 32);
  CHECK(auth::base64_encode(core::sha256(auth::canon_body(auth::Canon::Relaxed, ""))) ==
        "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=");  // RFC 6376's empty body
}

TEST_CASE("key records: each class of error", "[signature]") {
  using K = auth::KeyError;
  struct Row {
    std::string record;
    auth::Hash hash;
    std::optional<K> want;
  };
  const std::string ed = "p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=";
  for (const auto& r : std::vector<Row>{
           {"v=DKIM1; k=ed25519; " + ed, auth::Hash::Sha256, std::nullopt},
           {"k=ed25519; t=s:y; " + ed, auth::Hash::Sha256, std::nullopt},
           {"k=ed25519; " + ed + ";;", auth::Hash::Sha256, K::Syntax},
           {"v=DKIM2; k=ed25519; " + ed, auth::Hash::Sha256, K::Version},
           {"k=ed25519; v=DKIM1; " + ed, auth::Hash::Sha256, K::Version},
           {"k=ed25519; h=sha1; " + ed, auth::Hash::Sha256, K::HashMismatch},
           {"k=ed25519; h=sha256; " + ed, auth::Hash::Sha1, K::HashMismatch},
           {"k=ed25519; s=tlsrpt; " + ed, auth::Hash::Sha256, K::NotEmail},
           {"k=dsa; " + ed, auth::Hash::Sha256, K::KeyType},
           {"k=rsa; p=", auth::Hash::Sha256, K::Revoked},
           {"k=rsa", auth::Hash::Sha256, K::Decode},
           {"k=rsa; " + ed, auth::Hash::Sha256, K::Decode},
           {"k=ed25519; p=!!", auth::Hash::Sha256, K::Decode},
           {"k=ed25519; " + ed + "; n=" + std::string(9000, 'x'), auth::Hash::Sha256, K::TooLarge},
       }) {
    INFO(r.record.substr(0, 60));
    auto k = auth::SignatureKey::from_record(r.record, r.hash);
    if (!r.want) {
      CHECK(k);
    } else {
      REQUIRE_FALSE(k);
      CHECK(k.error().kind == *r.want);
    }
  }
  auto flags = auth::SignatureKey::from_record("k=ed25519; t=s:y; " + ed);
  REQUIRE(flags);
  CHECK(flags->testing);
  CHECK(flags->strict_identity);
  CHECK(flags->key.kind() == auth::SignatureKey::Kind::Ed25519);
}

TEST_CASE("the native verifier bounds hostile signatures before asking for keys",
          "[dkim][signature]") {
  dns::Options o;
  o.forwarders = {"127.0.0.1@9"};
  o.timeout = std::chrono::milliseconds(300);
  o.local_data = {"local-zone: \"example.com.\" static"};
  auto res = dns::Resolver::create(o);
  REQUIRE(res);
  auth::DkimOptions opts;
  opts.max_signed_fields = 10;
  auto v = auth::DkimVerifier::create(opts);
  REQUIRE(v);
  const std::string head =
      "DKIM-Signature: v=1; d=example.com; s=s; bh=47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=; "
      "b=dGhpcyBpcyBub3QgYSByZWFsIHNpZ25hdHVyZQ==; ";
  std::string many = "h=from";
  for (int i = 0; i < 10; ++i) many += ":subject";
  struct Row {
    std::string tags, detail;
  };
  for (const auto& r : std::vector<Row>{
           {many, "header list of 11 fields (at most 10)"},
           {"h=subject:to", "header list missing required entries"},
           {"h=from; i=ceo@evil.example", "invalid domain coverage"},
           {"h=from; l=12x", "body length value invalid"},
           {"h=from; x=1000", "signature expired"},
           {"h=from; t=99999999999", "signature timestamp in the future"},
           {"h=from; c=relaxed/loose", "invalid body canonicalization"},
           {"h=from; a=rsa-md5", "signature algorithm invalid"},
       }) {
    INFO(r.tags.substr(0, 40));
    std::string tags = r.tags.find("a=") == std::string::npos ? "a=rsa-sha256; " + r.tags : r.tags;
    std::string raw = head + tags + "\r\nFrom: ceo@example.com\r\nSubject: pay\r\n\r\nhi\r\n";
    dns::Budget b(*res, 10);
    auto got = (*v)->verify(core::Message(raw), b);
    REQUIRE(got.results.signatures.size() == 1);
    CHECK(got.results.signatures[0].result == auth::DkimStatus::PermError);
    CHECK(got.results.signatures[0].detail == r.detail);
    CHECK(b.used() == 0);  // a broken signature costs no DNS query
  }
}
