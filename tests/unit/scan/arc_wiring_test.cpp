// The arc stage and the arc-seal finisher in the snapshot: [arc] config, key loading, and a
// message sealed on its way through a session whose seal verifies.
#include <catch2/catch.hpp>

#include <algorithm>
#include <string>
#include <vector>

#include "auth/arc.hpp"
#include "core/finisher.hpp"
#include "scan/session.hpp"
#include "scan/snapshot.hpp"
#include "support/temp_dir.hpp"

using namespace postern;

namespace {

constexpr const char* kEdPem =
    "-----BEGIN PRIVATE KEY-----\n"
    "MC4CAQAwBQYDK2VwBCIEIEimqdgdql3uLXJWi1LtNCbs/loQgRVcM25GUDnC4t7W\n"
    "-----END PRIVATE KEY-----\n";
constexpr const char* kEdRecord =
    "ed._domainkey.gw.example. IN TXT \"v=DKIM1; k=ed25519; "
    "p=ZoGqYD+AkXpWKHU4SSjJ3KAJiw10rA45qbpgNJBjgw0=\"\n";

std::string config(const std::string& seal_key, const std::string& domain = "gw.example") {
  return "[policy]\ndirs = [\"" POSTERN_SOURCE_DIR
         "/policies\"]\n"
         "[scan]\nauthserv_id = \"gw.example\"\n"
         "[dns]\nforwarders = [\"127.0.0.1@9\"]\nlocal_data = \"local.zone\"\ntimeout_ms = 500\n"
         "[arc]\nseal = \"always\"\ndomain = \"" +
         domain + "\"\nselector = \"ed\"\nkey = \"" + seal_key + "\"\n";
}

}  // namespace

TEST_CASE("[arc] sealing: the arc stage and the arc-seal finisher join the snapshot", "[arc]") {
  test::TempDir d;
  d.write("local.zone", std::string("local-zone: \".\" static\n") + kEdRecord);
  d.write("keys/arc.pem", kEdPem);
  auto snap = scan::load_snapshot(d.write("postern.toml", config("keys/arc.pem")));
  INFO((snap ? std::string() : policy::to_string(snap.error())));
  REQUIRE(snap);
  auto names = (*snap)->pipeline.stage_names();
  auto mime = std::find(names.begin(), names.end(), "mime");
  auto arc = std::find(names.begin(), names.end(), "arc");
  REQUIRE(arc != names.end());
  CHECK(mime < arc);
  // The seal records the Authentication-Results written just before it (postern's, then
  // the S/MIME check's).
  REQUIRE((*snap)->finishers.size() == 3);
  CHECK((*snap)->finishers[0]->name() == "authentication-results");
  CHECK((*snap)->finishers[1]->name() == "smime-results");
  CHECK((*snap)->finishers[2]->name() == "arc-seal");

  // A message passes through a session; the delivered message carries a valid i=1 set.
  core::Outcome out;
  {
    scan::Session s([&] { return *snap; }, [](const nlohmann::json&) {});
    s.connection().client_address = "192.0.2.1";
    s.connect();
    s.helo("client.example.net");
    s.mail_from("<a@sender.example>");
    s.rcpt("<bob@example.com>");
    s.header("From", "a@sender.example");
    s.header("To", "bob@example.com");
    s.header("Subject", "hello");
    s.body("hi\r\n");
    out = s.end_of_message("Q1");
  }
  std::vector<std::string> arc_names;
  for (const auto& a : out.added)
    if (a.name.rfind("ARC-", 0) == 0) arc_names.push_back(a.name);
  CHECK(arc_names == std::vector<std::string>{"ARC-Authentication-Results", "ARC-Message-Signature",
                                              "ARC-Seal"});
  std::string ar, aar;
  for (const auto& a : out.added) {
    if (a.name == "Authentication-Results") ar = a.value;
    if (a.name == "ARC-Authentication-Results") aar = a.value;
  }
  REQUIRE_FALSE(ar.empty());
  CHECK(aar == "i=1; " + ar);
  core::Message sent(
      "From: a@sender.example\r\nTo: bob@example.com\r\nSubject: hello\r\n\r\nhi\r\n");
  core::Message delivered = core::apply_edits(sent, out);
  dns::Budget budget((*snap)->resolver(), 10);
  auto r = auth::verify_arc(delivered, budget);
  CHECK(r.detail == "");
  CHECK(r.cv == auth::ArcStatus::Pass);
  CHECK(r.sealers == std::vector<std::string>{"gw.example"});
}

TEST_CASE("an [arc] sealing key that cannot be loaded is a config error naming the file", "[arc]") {
  test::TempDir d;
  d.write("local.zone", "local-zone: \".\" static\n");
  d.write("bad.pem", "not a key\n");
  for (const char* key : {"bad.pem", "absent.pem"}) {
    CAPTURE(key);
    auto snap = scan::load_snapshot(d.write("postern.toml", config(key)));
    REQUIRE_FALSE(snap);
    std::string err = policy::to_string(snap.error());
    CHECK_THAT(err, Catch::Contains("[arc] key") && Catch::Contains((d.path() / key).string()));
  }
  d.write("good.pem", kEdPem);
  auto bad_domain = scan::load_snapshot(d.write("postern.toml", config("good.pem", "gw example")));
  REQUIRE_FALSE(bad_domain);
  CHECK_THAT(policy::to_string(bad_domain.error()), Catch::Contains("[arc] domain"));
}
