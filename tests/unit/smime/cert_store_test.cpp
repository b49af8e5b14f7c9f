// The certificate store: certificates indexed by their addresses (subjectAltName and
// subject emailAddress, any case), and the ones that cannot be used skipped with a reason.
#include <catch2/catch.hpp>

#include <ctime>
#include <string>

#include "smime/cert_store.hpp"
#include "support/smime_pki.hpp"
#include "support/temp_dir.hpp"

using namespace postern;

TEST_CASE("the store indexes usable certificates by address and skips the others",
          "[smime][store]") {
  test::TempDir tmp;
  test::Pki pki(tmp.path() / "pki");
  const auto certs = tmp.mkdir("certs");
  auto put = [&](const std::string& name, const test::CertSpec& s) {
    auto i = pki.issue(name, s);
    std::filesystem::copy_file(i.cert, certs + "/" + name + ".pem");
  };
  put("alice", test::CertSpec().email("Alice@Partner.Example").email("a.smith@partner.example"));
  put("bob", test::CertSpec().subject("bob@partner.example"));
  put("carol-ec", test::CertSpec()
                      .email("carol@partner.example")
                      .usage("emailProtection", "digitalSignature,keyAgreement")
                      .ec_key());
  put("dave-noeku", test::CertSpec().email("dave@partner.example").usage("", ""));
  put("erin-expired", test::CertSpec().email("erin@partner.example").days(-60, -1));
  put("frank-future", test::CertSpec().email("frank@partner.example").days(2, 30));
  put("gina-tls", test::CertSpec()
                      .email("gina@partner.example")
                      .usage("serverAuth", "digitalSignature,keyEncipherment"));
  put("hank-signonly",
      test::CertSpec().email("hank@partner.example").usage("emailProtection", "digitalSignature"));
  put("ivan-old", test::CertSpec().email("ivan@partner.example").days(-1, 10));
  put("ivan-new", test::CertSpec().email("ivan@partner.example").days(-1, 300));
  put("noaddr", test::CertSpec());
  tmp.write("certs/garbage.pem", "-----BEGIN CERTIFICATE-----\nnot base64\n");
  tmp.write("certs/.hidden.pem", "ignored");

  auto store = smime::CertStore::load(certs, std::time(nullptr));
  REQUIRE(store);
  const auto& s = **store;
  struct Row {
    const char* address;
    bool found;
  };
  const Row rows[] = {
      {"alice@partner.example", true},   {"ALICE@partner.EXAMPLE", true},
      {"a.smith@partner.example", true}, {"bob@partner.example", true},
      {"carol@partner.example", true},   {"dave@partner.example", true},
      {"erin@partner.example", false},   {"frank@partner.example", false},
      {"gina@partner.example", false},   {"hank@partner.example", false},
      {"ivan@partner.example", true},    {"nobody@partner.example", false},
      {"partner.example", false},
  };
  for (const auto& r : rows) {
    INFO(r.address);
    CHECK((s.find(r.address) != nullptr) == r.found);
  }
  // Of two certificates for one address, the one that expires last.
  auto ivan_new = smime::Certificate::from_pem_file(tmp.str() + "/pki/ivan-new.pem");
  REQUIRE(ivan_new);
  CHECK(s.find("ivan@partner.example")->serial_hex() == ivan_new->front().serial_hex());
  // Every skip says which file and why.
  std::string skipped;
  for (const auto& w : s.skipped()) skipped += w + "\n";
  CHECK(skipped.find("erin-expired.pem") != std::string::npos);
  CHECK(skipped.find("frank-future.pem") != std::string::npos);
  CHECK(skipped.find("gina-tls.pem") != std::string::npos);
  CHECK(skipped.find("hank-signonly.pem") != std::string::npos);
  CHECK(skipped.find("garbage.pem") != std::string::npos);
  CHECK(skipped.find("noaddr.pem") != std::string::npos);
  CHECK(skipped.find("hidden") == std::string::npos);
  CHECK(s.size() == 6);  // alice (2 addresses), bob, carol, dave, ivan
}

TEST_CASE("a store of no directory is empty; a directory that cannot be listed is an error",
          "[smime][store]") {
  auto empty = smime::CertStore::load("", std::time(nullptr));
  REQUIRE(empty);
  CHECK((*empty)->size() == 0);
  CHECK((*empty)->find("a@b.example") == nullptr);
  auto missing = smime::CertStore::load("/nonexistent/postern-certs", std::time(nullptr));
  REQUIRE_FALSE(missing);
  CHECK(missing.error().find("/nonexistent/postern-certs") != std::string::npos);
}
