// The LDAP certificate lookup against a real slapd (a throwaway database on loopback):
// found, not found, unusable certificates skipped, the bind, hostile addresses escaped,
// the cache (positive and negative; the directory stopped after the first lookup and
// the second still answered), the directory down (no certificate, the reason said,
// nothing cached), and the encryption decision using it; [smime.ldap] errors.
#include <catch2/catch.hpp>

#include <algorithm>
#include <ctime>
#include <string>
#include <vector>

#include "core/transaction.hpp"
#include "mime/decode.hpp"
#include "policy/policy.hpp"
#include "scan/registry.hpp"
#include "scan/snapshot.hpp"
#include "smime/ldap.hpp"
#include "smime/stage.hpp"
#include "state/sqlite_store.hpp"
#include "support/files.hpp"
#include "support/slapd_server.hpp"
#include "support/smime_pki.hpp"
#include "support/temp_dir.hpp"

using namespace postern;

namespace {

std::string der_b64(const test::Issued& i) {
  auto c = smime::Certificate::from_pem_file(i.cert);
  REQUIRE(c);
  return mime::encode_base64(c->front().der(), 76, "\n ");
}

std::string person(const std::string& cn, const std::string& mail,
                   const std::vector<std::string>& certs_b64) {
  std::string e = "dn: cn=" + cn + "," + test::SlapdServer::kSuffix +
                  "\nobjectClass: inetOrgPerson\ncn: " + cn + "\nsn: " + cn + "\nmail: " + mail +
                  "\n";
  for (const auto& b : certs_b64) e += "userCertificate;binary:: " + b + "\n";
  return e + "\n";
}

struct Directory {
  test::TempDir tmp;
  test::Pki pki{tmp.path() / "pki"};
  test::Issued erin = pki.issue("erin", test::CertSpec().email("erin@ldap.example"));
  test::Issued frank = pki.issue("frank", test::CertSpec().email("frank@ldap.example"));
  test::Issued old = pki.issue("old", test::CertSpec().email("gina@ldap.example").days(-30, -1));
  test::Issued other = pki.issue("other", test::CertSpec().email("someone@else.example"));
  test::SlapdServer slapd{person("Erin", "erin@ldap.example", {der_b64(erin)}) +
                          person("Frank", "frank@ldap.example", {der_b64(frank)}) +
                          person("Gina", "gina@ldap.example", {der_b64(old)}) +
                          person("Hank", "hank@ldap.example", {der_b64(other)})};
  std::shared_ptr<state::Store> cache = open_cache();

  std::shared_ptr<state::Store> open_cache() {
    state::SqliteOptions o;
    o.path = tmp.str() + "/state.db";
    auto s = state::SqliteStore::open(o);
    REQUIRE(s);
    return *s;
  }
  smime::LdapConfig config() const {
    smime::LdapConfig c;
    c.uri = slapd.uri();
    c.base = test::SlapdServer::kSuffix;
    return c;
  }
  smime::LdapDirectory directory(std::shared_ptr<state::Store> with_cache = nullptr) const {
    return smime::LdapDirectory(config(), "", std::move(with_cache));
  }
};

std::vector<std::string> found(const smime::LdapResult& r) {
  std::vector<std::string> out;
  for (const auto& [addr, cert] : r.found) out.push_back(addr);
  return out;
}

}  // namespace

TEST_CASE("LDAP: the directory's certificate for an address, the unusable ones skipped",
          "[smime][ldap]") {
  Directory d;
  auto dir = d.directory();
  const std::time_t now = std::time(nullptr);
  struct Row {
    std::string address;
    bool found;
  };
  const Row rows[] = {
      {"erin@ldap.example", true},
      {"ERIN@Ldap.Example", true},     // any case
      {"nobody@ldap.example", false},  // no entry
      {"gina@ldap.example", false},    // expired
      {"hank@ldap.example", false},    // the certificate names another address
      {"*", false},                    // escaped: not a wildcard
      {"*)(mail=*", false},            // escaped: no filter injection
      {"erin@ldap.example)(|(cn=*", false},
  };
  for (const auto& row : rows) {
    INFO(row.address);
    auto r = dir.lookup({row.address}, now);
    CHECK(r.error.empty());
    CHECK(r.asked == 1);
    CHECK(r.found.size() == (row.found ? 1u : 0u));
    if (row.found) {
      REQUIRE(r.found.count("erin@ldap.example"));
      CHECK(r.found.at("erin@ldap.example").addresses() ==
            std::vector<std::string>{"erin@ldap.example"});
    }
  }
  // Several at once, on one connection.
  auto both = dir.lookup({"erin@ldap.example", "frank@ldap.example", "x@ldap.example"}, now);
  CHECK(found(both) == std::vector<std::string>{"erin@ldap.example", "frank@ldap.example"});
  CHECK(both.asked == 3);
  // At most max_lookups addresses a message; the rest are not asked, and it is said.
  auto c = d.config();
  c.max_lookups = 1;
  auto capped =
      smime::LdapDirectory(c, "", nullptr).lookup({"erin@ldap.example", "frank@ldap.example"}, now);
  CHECK(found(capped) == std::vector<std::string>{"erin@ldap.example"});
  CHECK(capped.error.find("more than 1 recipients") != std::string::npos);
}

TEST_CASE("LDAP: a bind with the password file's password; a wrong one is an error",
          "[smime][ldap]") {
  Directory d;
  auto c = d.config();
  c.bind_dn = test::SlapdServer::kRootDn;
  const std::time_t now = std::time(nullptr);
  auto good = smime::LdapDirectory(c, test::SlapdServer::kRootPassword, nullptr)
                  .lookup({"erin@ldap.example"}, now);
  CHECK(good.error.empty());
  CHECK(good.found.size() == 1);
  auto bad = smime::LdapDirectory(c, "wrong", nullptr).lookup({"erin@ldap.example"}, now);
  CHECK(bad.found.empty());
  CHECK(bad.error.find("bind as cn=admin") != std::string::npos);
  CHECK(bad.error.find("wrong") == std::string::npos);  // never the password
}

TEST_CASE("LDAP: bind_dn over ldap:// is accepted with starttls, and ldaps:// alone",
          "[smime][ldap][config]") {
  test::TempDir d;
  for (const std::string uri : {"ldap://x\"\nstarttls = true", "ldaps://x\"", "ldapi://x\""}) {
    INFO(uri);
    auto c =
        scan::load_config(d.write("postern.toml", "[smime.ldap]\nuri = \"" + uri +
                                                      "\nbase = \"dc=x\"\nbind_dn = \"cn=a\"\n"));
    CHECK(c);
  }
}

TEST_CASE("LDAP: StartTLS that the server cannot do is an error, before any bind",
          "[smime][ldap]") {
  Directory d;  // slapd without TLS
  auto c = d.config();
  c.starttls = true;
  c.bind_dn = test::SlapdServer::kRootDn;
  auto r = smime::LdapDirectory(c, test::SlapdServer::kRootPassword, nullptr)
               .lookup({"erin@ldap.example"}, std::time(nullptr));
  CHECK(r.found.empty());
  CHECK(r.error.find("StartTLS") != std::string::npos);
  CHECK(r.error.find(test::SlapdServer::kRootPassword) == std::string::npos);
}

TEST_CASE("LDAP: an answer larger than max_bytes is refused while it is read, not held",
          "[smime][ldap]") {
  // 300 KB of value in one entry (userPKCS12: binary, no syntax slapd checks), against
  // max_bytes 4 KiB: libldap stops reading the message at max_bytes + 64 KiB (before,
  // the whole entry was received and only then cut).
  test::SlapdServer slapd{"dn: cn=Ivan," + std::string(test::SlapdServer::kSuffix) +
                          "\nobjectClass: inetOrgPerson\ncn: Ivan\nsn: Ivan\n"
                          "mail: ivan@ldap.example\nuserPKCS12:: " +
                          mime::encode_base64(test::random_bytes(300000, 3), 76, "\n ") + "\n\n"};
  smime::LdapConfig c;
  c.uri = slapd.uri();
  c.base = test::SlapdServer::kSuffix;
  c.attribute = "userPKCS12";
  c.max_bytes = 4096;
  auto r = smime::LdapDirectory(c, "", nullptr).lookup({"ivan@ldap.example"}, std::time(nullptr));
  CHECK(r.found.empty());
  CHECK(r.error.starts_with("search: "));
  // Within max_bytes + 64 KiB the same directory answers (and the value is no certificate).
  c.max_bytes = 1u << 20;
  auto big = smime::LdapDirectory(c, "", nullptr).lookup({"ivan@ldap.example"}, std::time(nullptr));
  CHECK(big.error.empty());
  CHECK(big.asked == 1);
  CHECK(big.found.empty());
}

TEST_CASE("LDAP: answers are cached (TTL, shorter for none); the directory down says why",
          "[smime][ldap]") {
  Directory d;
  auto dir = d.directory(d.cache);
  const std::time_t now = std::time(nullptr);
  auto first = dir.lookup({"erin@ldap.example", "nobody@ldap.example"}, now);
  CHECK(found(first) == std::vector<std::string>{"erin@ldap.example"});
  CHECK(first.asked == 2);
  CHECK(first.cached == 0);

  d.slapd.kill();  // the directory stops
  auto second = dir.lookup({"erin@ldap.example", "nobody@ldap.example"}, now + 10);
  CHECK(found(second) == std::vector<std::string>{"erin@ldap.example"});
  CHECK(second.cached == 2);
  CHECK(second.asked == 0);
  CHECK(second.error.empty());

  // Not cached: the directory down is an error, and the address has no certificate.
  auto down = dir.lookup({"frank@ldap.example"}, now + 10);
  CHECK(down.found.empty());
  CHECK(down.error.find(d.slapd.uri()) != std::string::npos);
  CHECK(down.error.find("contact") != std::string::npos);  // "Can't contact LDAP server"

  // The negative answer expires first (negative_ttl 300 s), the certificate later (ttl 1 h).
  auto later = dir.lookup({"erin@ldap.example", "nobody@ldap.example"}, now + 600);
  CHECK(found(later) == std::vector<std::string>{"erin@ldap.example"});
  CHECK(later.cached == 1);
  CHECK_FALSE(later.error.empty());  // nobody had to be asked, and the directory is down
  auto expired = dir.lookup({"erin@ldap.example"}, now + 3700);
  CHECK(expired.found.empty());
  CHECK_FALSE(expired.error.empty());

  // Back up: an error was not cached, frank is found now.
  d.slapd.start();
  auto back = dir.lookup({"frank@ldap.example"}, now + 20);
  CHECK(found(back) == std::vector<std::string>{"frank@ldap.example"});
  CHECK(back.error.empty());
}

TEST_CASE("LDAP in the encryption decision: found is encrypted to, down is missing_cert",
          "[smime][ldap][stage]") {
  Directory d;
  auto p = policy::parse_policy("[smime.encrypt]\ndomains = [\"ldap.example\"]\n", "smime.toml",
                                scan::policy_sections());
  REQUIRE(p);
  auto empty = smime::CertStore::load("", 0);
  REQUIRE(empty);
  auto ldap = std::make_shared<const smime::LdapDirectory>(d.config(), "", nullptr);
  smime::EncryptStage stage(*empty, smime::smime_policy(*p).encrypt, {}, 1 << 20, ldap);
  auto run = [&](const std::vector<std::string>& rcpts) {
    core::ConnectionInfo conn;
    auto tx = std::make_unique<core::Transaction>(conn, core::Direction::Outbound, core::Limits{},
                                                  nullptr, "scan1");
    tx->envelope().mail_from = "sam@example.com";
    tx->envelope().recipients = rcpts;
    tx->set_message(core::Message("From: sam@example.com\r\nSubject: x\r\n\r\nhello\r\n"));
    REQUIRE(stage.on_message(*tx).kind == core::Step::Kind::Continue);
    return tx;
  };
  auto ok = run({"erin@ldap.example"});
  const smime::Decision* dec = ok->get<smime::Decision>();
  REQUIRE(dec);
  CHECK(dec->required);
  CHECK(dec->certs.size() == 1);
  CHECK(dec->from_ldap == 1);
  CHECK(dec->missing.empty());
  CHECK_FALSE(ok->has_finding("SMIME_NO_CERT"));

  auto none = run({"erin@ldap.example", "nobody@ldap.example"});
  REQUIRE(none->has_finding("SMIME_NO_CERT"));
  CHECK(none->get<smime::Decision>()->missing == std::vector<std::string>{"nobody@ldap.example"});

  d.slapd.kill();
  auto down = run({"erin@ldap.example"});
  REQUIRE(down->has_finding("SMIME_NO_CERT"));
  const auto& fs = down->findings();
  auto f = std::find_if(fs.begin(), fs.end(),
                        [](const core::Finding& x) { return x.symbol == "SMIME_NO_CERT"; });
  REQUIRE(f != fs.end());
  CHECK(f->detail.find("LDAP: ") != std::string::npos);
  CHECK(down->get<smime::Decision>()->ldap_error.find("contact") != std::string::npos);
}

TEST_CASE("ldap_escape escapes what RFC 4515 asks", "[smime][ldap]") {
  struct Row {
    std::string in, want;
  };
  const Row rows[] = {{"a@b.example", "a@b.example"},
                      {"*", "\\2a"},
                      {"(x)", "\\28x\\29"},
                      {"a\\b", "a\\5cb"},
                      {std::string("a\0b", 3), "a\\00b"}};
  for (const auto& row : rows) CHECK(smime::ldap_escape(row.in) == row.want);
}

TEST_CASE("[smime.ldap] errors name file:line:column", "[smime][ldap][config]") {
  test::TempDir d;
  struct Row {
    std::string text, want;
  };
  const Row rows[] = {
      {"[smime.ldap]\nuri = \"http://x\"\nbase = \"dc=x\"\n", "postern.toml:2:"},
      {"[smime.ldap]\nuri = \"ldap://x\"\nbase = \"dc=x\"\nfilter = \"(mail=x)\"\n",
       "postern.toml:4:"},
      {"[smime.ldap]\nuri = \"ldap://x\"\nbase = \"dc=x\"\ntimeout_ms = 0\n", "postern.toml:4:"},
      {"[smime.ldap]\nuri = \"ldap://x\"\nbase = \"dc=x\"\ncolour = 1\n", "postern.toml:4:"},
      {"[smime.ldap]\nuri = \"ldap://x\"\n", "postern.toml:1:"},
      {"[smime.ldap]\nuri = \"ldap://x\"\nbase = \"dc=x\"\npassword_file = \"p\"\n",
       "postern.toml:1:"},
      // A password over plain ldap:// would cross the network in the clear.
      {"[smime.ldap]\nuri = \"ldap://x\"\nbase = \"dc=x\"\nbind_dn = \"cn=a\"\n", "in the clear"},
      {"[smime.ldap]\nuri = \"ldaps://x\"\nbase = \"dc=x\"\nstarttls = true\n",
       "'starttls' is for ldap://"},
  };
  for (const auto& row : rows) {
    INFO(row.text);
    auto c = scan::load_config(d.write("postern.toml", row.text));
    REQUIRE_FALSE(c);
    CHECK(policy::to_string(c.error()).find(row.want) != std::string::npos);
  }
}
