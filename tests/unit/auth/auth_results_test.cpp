// Authentication-Results: the field postern writes, forgery detection, postern.auth JSON.
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include "auth/auth_results.hpp"
#include "auth/dmarc.hpp"
#include "auth/results.hpp"
#include "auth/spf.hpp"
#include "scan/verdict_headers.hpp"

using namespace postern;
using namespace postern::auth;

namespace {
core::ConnectionInfo conn;
core::Transaction results_tx(core::Direction d = core::Direction::Inbound) {
  return core::Transaction(conn, d, core::Limits{}, nullptr, "id");
}
}  // namespace

TEST_CASE("Authentication-Results lists spf, each dkim signature, dmarc and arc",
          "[auth-results]") {
  auto tx = results_tx();
  CHECK(authentication_results("mx.test", tx).empty());  // no authentication stage ran

  SpfResult spf;
  spf.result = SpfStatus::Pass;
  spf.domain = "example.com";
  spf.sender = "alice@example.com";
  tx.put<SpfResult>(std::make_shared<const SpfResult>(spf));
  DkimResults dk;
  dk.signatures.push_back(
      {DkimStatus::Pass, "example.com", "sel1", "rsa-sha256", "abcdEFGH", "", 2048, false, ""});
  dk.signatures.push_back({DkimStatus::Fail, "evil.test", "x y", "rsa-sha256", "12345678", "", 1024,
                           true, "body hash mismatch) ; dkim=pass (x"});
  tx.put<DkimResults>(std::make_shared<const DkimResults>(dk));
  DmarcResult dm;
  dm.result = DmarcStatus::Pass;
  dm.from_domain = "example.com";
  dm.policy_tag = "p";
  dm.published = DmarcPolicy::Reject;
  tx.put<DmarcResult>(std::make_shared<const DmarcResult>(dm));
  ArcResult arc;
  arc.cv = ArcStatus::Pass;
  arc.instances = 1;
  arc.sealers = {"lists.example.org"};
  tx.put<ArcResult>(std::make_shared<const ArcResult>(arc));

  std::string v = authentication_results("mx.test", tx);
  CHECK(v ==
        "mx.test; spf=pass smtp.mailfrom=alice@example.com; dkim=pass header.d=example.com "
        "header.s=sel1 header.a=rsa-sha256 header.b=abcdEFGH; dkim=fail (body hash mismatch ; "
        "dkim=pass x; l= covers part of the body) header.d=evil.test header.s=\"x y\" "
        "header.a=rsa-sha256 header.b=12345678; dmarc=pass (p=reject dis=none) "
        "header.from=example.com policy.dmarc=reject; arc=pass (i=1 d=lists.example.org)");

  auto j = auth_json(tx);
  CHECK(j["spf"]["result"] == "pass");
  CHECK(j["dkim"].size() == 2);
  CHECK(j["dkim"][1]["body_length_limited"] == true);
  CHECK(j["dmarc"]["policy"] == "reject");
  CHECK(j["arc"]["cv"] == "pass");
}

TEST_CASE("the finisher writes the field at the top of inbound mail only", "[auth-results]") {
  AuthResultsFinisher f("mx.test");
  auto in = results_tx();
  in.put<DkimResults>(std::make_shared<const DkimResults>());
  core::Outcome out;
  f.finish(in, core::Message(), out);
  REQUIRE(out.added.size() == 1);
  CHECK(out.added[0].name == "Authentication-Results");
  CHECK(out.added[0].value == "mx.test; dkim=none");
  CHECK(out.added[0].at_top);
  auto ob = results_tx(core::Direction::Outbound);
  ob.put<DkimResults>(std::make_shared<const DkimResults>());
  core::Outcome out2;
  f.finish(ob, core::Message(), out2);
  CHECK(out2.added.empty());
}

TEST_CASE("incoming Authentication-Results with our authserv-id are forgeries", "[auth-results]") {
  struct Row {
    const char* value;
    bool ours;
  };
  for (const auto& r : std::vector<Row>{{"mx.test; spf=pass", true},
                                        {"MX.Test; dkim=pass", true},
                                        {" (comment (nested)) mx.test ; none", true},
                                        {"\"mx.test\"; none", true},
                                        {"mx.test 1; none", true},
                                        {"mx.test.evil; spf=pass", false},
                                        {"other.example; spf=pass (mx.test)", false},
                                        {"", false}}) {
    CAPTURE(r.value);
    CHECK(is_our_authentication_results(r.value, "mx.test") == r.ours);
  }
  core::Message m(
      "Authentication-Results: other.example; spf=pass\r\n"
      "Authentication-Results: mx.test; dmarc=pass header.from=bank.example\r\n"
      "Authentication-Results: mx.test; dkim=pass\r\nFrom: a@b\r\n\r\nx\r\n");
  auto removed = scan::forged_headers(m, "mx.test");
  REQUIRE(removed.size() == 2);
  CHECK(removed[0].index == 3);
  CHECK(removed[1].index == 2);
  CHECK(scan::forged_headers(m).empty());
}
