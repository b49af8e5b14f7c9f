// Tests for auth/config.hpp: [dkim] in postern.toml, verification bounds and [[dkim.sign]] keys.
#include <catch2/catch.hpp>

#include "auth/config.hpp"
#include "policy/config.hpp"
#include "scan/registry.hpp"
#include "support/expect_error.hpp"
#include "support/temp_dir.hpp"

using namespace postern;

TEST_CASE("[dkim] with signing keys reads every field, paths relative to the file", "[dkim]") {
  test::TempDir d;
  std::string path = d.write("postern.toml",
                             "[dkim]\n"
                             "allow_rsa_sha1 = true\n"
                             "min_key_bits = 2048\n"
                             "max_signatures = 3\n"
                             "verifier = \"libopendkim\"\n"
                             "[[dkim.sign]]\n"
                             "domain = \"Example.COM.\"\n"
                             "selector = \"s1\"\n"
                             "key = \"keys/rsa.pem\"\n"
                             "[[dkim.sign]]\n"
                             "domain = \"example.com\"\n"
                             "selector = \"s2\"\n"
                             "algorithm = \"ed25519-sha256\"\n"
                             "key = \"/etc/ed.pem\"\n"
                             "subdomains = true\n");
  auto c = scan::load_config(path);
  INFO((c ? std::string() : policy::to_string(c.error())));
  REQUIRE(c);
  CHECK(auth::dkim_config(*c).allow_rsa_sha1);
  CHECK(auth::dkim_config(*c).min_key_bits == 2048);
  CHECK(auth::dkim_config(*c).max_signatures == 3);
  CHECK(auth::dkim_config(*c).verifier == "libopendkim");
  REQUIRE(auth::dkim_config(*c).sign.size() == 2);
  CHECK(auth::dkim_config(*c).sign[0].domain == "example.com");
  CHECK(auth::dkim_config(*c).sign[0].selector == "s1");
  CHECK(auth::dkim_config(*c).sign[0].algorithm == "rsa-sha256");
  CHECK(auth::dkim_config(*c).sign[0].key == d.str() + "/keys/rsa.pem");
  CHECK_FALSE(auth::dkim_config(*c).sign[0].subdomains);
  CHECK(auth::dkim_config(*c).sign[0].line == 6);
  CHECK(auth::dkim_config(*c).sign[1].algorithm == "ed25519-sha256");
  CHECK(auth::dkim_config(*c).sign[1].key == "/etc/ed.pem");
  CHECK(auth::dkim_config(*c).sign[1].subdomains);
}

TEST_CASE("[dkim] defaults, and its errors at file:line:column", "[dkim]") {
  test::TempDir d;
  auto none = scan::load_config(d.write("empty.toml", ""));
  REQUIRE(none);
  CHECK_FALSE(auth::dkim_config(*none).allow_rsa_sha1);
  CHECK(auth::dkim_config(*none).min_key_bits == 1024);
  CHECK(auth::dkim_config(*none).max_signatures == 8);
  CHECK(auth::dkim_config(*none).verifier == "native");
  CHECK(auth::dkim_config(*none).sign.empty());

  struct Row {
    std::string name, text;
    uint32_t line, column;
    std::string contains;
  };
  const std::string key = "[[dkim.sign]]\ndomain = \"example.com\"\nselector = \"s\"\n";
  for (const auto& r : std::vector<Row>{
           {"unknown key", "[dkim]\nallow_sha1 = true\n", 2, 1,
            "unknown key 'allow_sha1' in [dkim]"},
           {"min_key_bits out of range", "[dkim]\nmin_key_bits = 100\n", 2, 16,
            "'min_key_bits' in [dkim]: expected an integer from 512"},
           {"max_signatures out of range", "[dkim]\nmax_signatures = 0\n", 2, 18,
            "'max_signatures' in [dkim]"},
           {"unknown verifier", "[dkim]\nverifier = \"opendkim\"\n", 2, 12,
            "'verifier' in [dkim]: expected \"native\" or \"libopendkim\""},
           {"verifier is not a string", "[dkim]\nverifier = 1\n", 2, 12, "'verifier'"},
           {"bad algorithm", key + "key = \"k.pem\"\nalgorithm = \"rsa-sha1\"\n", 5, 13,
            "'algorithm': expected \"rsa-sha256\" or \"ed25519-sha256\""},
           {"missing key", key, 1, 1, "[[dkim.sign]]: 'key' is required"},
           {"unknown key in a signing table", key + "key = \"k.pem\"\nsubdomain = true\n", 5, 1,
            "unknown key 'subdomain' in [dkim.sign]"},
           {"sign is not an array of tables", "[dkim]\nsign = \"k.pem\"\n", 2, 8,
            "expected [[dkim.sign]] tables"},
       }) {
    INFO(r.name);
    std::string path = d.write("c.toml", r.text);
    auto c = scan::load_config(path);
    REQUIRE_FALSE(c);
    test::check_single_error(c.error(), {path, r.line, r.column, r.contains});
  }
}
