// DMARC: organizational domains, alignment, records, the decision table, DNS discovery.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "auth/dmarc.hpp"

using namespace postern;
using namespace postern::auth;

TEST_CASE("organizational domains come from the public suffix list", "[dmarc]") {
  struct Row {
    const char* domain;
    const char* org;
  };
  // The first three break libopendmarc 1.4.2 (it drops one-character labels).
  for (const auto& r : std::vector<Row>{{"q.com", "q.com"},
                                        {"x.github.io", "x.github.io"},
                                        {"b.co.uk", "b.co.uk"},
                                        {"mail.q.com", "q.com"},
                                        {"a.b.example.com", "example.com"},
                                        {"sub.shop.co.uk", "shop.co.uk"},
                                        {"Example.COM.", "example.com"},
                                        {"com", "com"},
                                        {"co.uk", "co.uk"},
                                        {"localhost", "localhost"}}) {
    CAPTURE(r.domain);
    CHECK(PublicSuffix::instance().org_domain(r.domain) == r.org);
  }
}

TEST_CASE("identifier alignment, relaxed and strict", "[dmarc]") {
  struct Row {
    const char *a, *b;
    bool strict, aligned;
  };
  for (const auto& r : std::vector<Row>{
           {"x.com", "y.com", false, false},      // libopendmarc: pass (both "com")
           {"a.co.uk", "b.co.uk", false, false},  // libopendmarc: pass
           {"x.github.io", "y.github.io", false, false},
           {"shop.co.uk", "evil.co.uk", false, false},
           {"mail.example.com", "example.com", false, true},
           {"mail.example.com", "example.com", true, false},  // libopendmarc: pass in strict mode
           {"example.com", "a.b.example.com", true, false},
           {"EXAMPLE.com", "example.COM.", true, true},
           {"q.com", "mail.q.com", false, true},
           {"", "example.com", false, false}}) {
    CAPTURE(r.a, r.b, r.strict);
    CHECK(dmarc_aligned(r.a, r.b, r.strict) == r.aligned);
  }
}

TEST_CASE("DMARC records are parsed as RFC 7489 says", "[dmarc]") {
  auto r =
      parse_dmarc_record("v=DMARC1; p=reject; sp=quarantine; np=reject; adkim=s; aspf=r; pct=25");
  REQUIRE(r);
  CHECK(r->p == DmarcPolicy::Reject);
  CHECK(r->sp == DmarcPolicy::Quarantine);
  CHECK(r->np == DmarcPolicy::Reject);
  CHECK(r->adkim_strict);
  CHECK_FALSE(r->aspf_strict);
  CHECK(r->pct == 25);

  struct Row {
    const char* txt;
    bool ok;
    DmarcPolicy p;
  };
  for (const auto& row :
       std::vector<Row>{{"v=DMARC1;p=none", true, DmarcPolicy::None},
                        {"v=DMARC1 ; p = Quarantine ;", true, DmarcPolicy::Quarantine},
                        {"v=DMARC1; p=bogus", false, DmarcPolicy::None},
                        {"v=DMARC1; p=bogus; rua=mailto:d@example.com", true, DmarcPolicy::None},
                        {"v=DMARC1; rua=mailto:d@example.com", true, DmarcPolicy::None},
                        {"v=DMARC1; pct=50", false, DmarcPolicy::None},
                        {"v=dmarc1; p=reject", false, DmarcPolicy::None},
                        {"p=reject; v=DMARC1", false, DmarcPolicy::None},
                        {"v=spf1 -all", false, DmarcPolicy::None},
                        {"", false, DmarcPolicy::None},
                        {"v=DMARC1; p=reject; unknown=tag; junk", true, DmarcPolicy::Reject}}) {
    CAPTURE(row.txt);
    auto x = parse_dmarc_record(row.txt);
    CHECK(x.has_value() == row.ok);
    if (x && row.ok) CHECK(x->p == row.p);
  }
  CHECK(parse_dmarc_record("v=DMARC1; p=reject; pct=500")->pct == 100);  // invalid: ignored
  CHECK(parse_dmarc_record("v=DMARC1; p=reject; t=y")->testing);
}

namespace {

SpfResult spf(SpfStatus s, std::string domain) {
  SpfResult r;
  r.result = s;
  r.domain = std::move(domain);
  return r;
}

DkimSignature sig(DkimStatus s, std::string d, bool l = false) {
  DkimSignature x;
  x.result = s;
  x.domain = std::move(d);
  x.body_length_limited = l;
  return x;
}

}  // namespace

TEST_CASE("the DMARC decision table", "[dmarc]") {
  struct Row {
    const char* name;
    const char* from;
    const char* record;
    const char* record_domain;
    std::vector<SpfResult> spf;  // 0 or 1
    std::vector<DkimSignature> dkim;
    DmarcStatus result;
    DmarcPolicy enforce;
    bool temperror = false;
  };
  const auto P = DmarcStatus::Pass;
  const auto F = DmarcStatus::Fail;
  const auto none = DmarcPolicy::None, quar = DmarcPolicy::Quarantine, rej = DmarcPolicy::Reject;
  std::vector<Row> rows = {
      {"aligned DKIM",
       "example.com",
       "v=DMARC1; p=reject",
       "example.com",
       {},
       {sig(DkimStatus::Pass, "example.com")},
       P,
       none},
      {"relaxed DKIM from a subdomain",
       "example.com",
       "v=DMARC1; p=reject",
       "example.com",
       {},
       {sig(DkimStatus::Pass, "mail.example.com")},
       P,
       none},
      {"strict DKIM from a subdomain fails",
       "example.com",
       "v=DMARC1; p=reject; adkim=s",
       "example.com",
       {},
       {sig(DkimStatus::Pass, "mail.example.com")},
       F,
       rej},
      {"one-character From label, other domain's DKIM",
       "x.com",
       "v=DMARC1; p=reject",
       "x.com",
       {},
       {sig(DkimStatus::Pass, "y.com")},
       F,
       rej},
      {"b.co.uk is not a.co.uk",
       "b.co.uk",
       "v=DMARC1; p=reject",
       "b.co.uk",
       {},
       {sig(DkimStatus::Pass, "a.co.uk")},
       F,
       rej},
      {"x.github.io is not y.github.io",
       "x.github.io",
       "v=DMARC1; p=quarantine",
       "x.github.io",
       {},
       {sig(DkimStatus::Pass, "y.github.io")},
       F,
       quar},
      {"q.com with mail.q.com DKIM",
       "q.com",
       "v=DMARC1; p=reject",
       "q.com",
       {},
       {sig(DkimStatus::Pass, "mail.q.com")},
       P,
       none},
      {"aligned SPF",
       "example.com",
       "v=DMARC1; p=reject",
       "example.com",
       {spf(SpfStatus::Pass, "bounce.example.com")},
       {},
       P,
       none},
      {"strict SPF, subdomain",
       "example.com",
       "v=DMARC1; p=reject; aspf=s",
       "example.com",
       {spf(SpfStatus::Pass, "bounce.example.com")},
       {},
       F,
       rej},
      {"SPF pass for another domain",
       "example.com",
       "v=DMARC1; p=quarantine",
       "example.com",
       {spf(SpfStatus::Pass, "other.net")},
       {},
       F,
       quar},
      {"softfail does not pass",
       "example.com",
       "v=DMARC1; p=reject",
       "example.com",
       {spf(SpfStatus::SoftFail, "example.com")},
       {},
       F,
       rej},
      {"l= signature never passes",
       "example.com",
       "v=DMARC1; p=reject",
       "example.com",
       {},
       {sig(DkimStatus::Pass, "example.com", true)},
       F,
       rej},
      {"failed DKIM of the domain",
       "example.com",
       "v=DMARC1; p=reject",
       "example.com",
       {},
       {sig(DkimStatus::Fail, "example.com"), sig(DkimStatus::Pass, "other.net")},
       F,
       rej},
      {"p=none", "example.com", "v=DMARC1; p=none", "example.com", {}, {}, F, none},
      {"sp for a subdomain",
       "a.example.com",
       "v=DMARC1; p=reject; sp=quarantine",
       "example.com",
       {},
       {},
       F,
       quar},
      {"p for a subdomain without sp",
       "a.example.com",
       "v=DMARC1; p=reject",
       "example.com",
       {},
       {},
       F,
       rej},
      {"pct=0 lowers reject to quarantine",
       "example.com",
       "v=DMARC1; p=reject; pct=0",
       "example.com",
       {},
       {},
       F,
       quar},
      {"t=y lowers quarantine to none",
       "example.com",
       "v=DMARC1; p=quarantine; t=y",
       "example.com",
       {},
       {},
       F,
       none},
      {"a DNS error of an aligned check",
       "example.com",
       "v=DMARC1; p=reject",
       "example.com",
       {spf(SpfStatus::TempError, "example.com")},
       {},
       F,
       rej,
       true},
      {"a DKIM temperror of an aligned domain",
       "example.com",
       "v=DMARC1; p=reject",
       "example.com",
       {},
       {sig(DkimStatus::TempError, "example.com")},
       F,
       rej,
       true},
  };
  for (const auto& r : rows) {
    CAPTURE(r.name);
    DkimResults dk{r.dkim};
    DmarcInputs in;
    in.from_domain = r.from;
    in.spf = r.spf.empty() ? nullptr : &r.spf[0];
    in.dkim = &dk;
    in.sample = 50;
    auto rec = parse_dmarc_record(r.record);
    REQUIRE(rec);
    DmarcResult got = evaluate_dmarc(in, *rec, r.record_domain);
    CHECK(got.result == r.result);
    CHECK(got.enforce == r.enforce);
    CHECK(got.auth_temperror == r.temperror);
  }
}

TEST_CASE("pct samples: a message in the sample gets the policy, one outside one level lower",
          "[dmarc]") {
  auto rec = parse_dmarc_record("v=DMARC1; p=reject; pct=30");
  DmarcInputs in;
  in.from_domain = "example.com";
  in.sample = 29;
  CHECK(evaluate_dmarc(in, *rec, "example.com").enforce == DmarcPolicy::Reject);
  in.sample = 30;
  auto out = evaluate_dmarc(in, *rec, "example.com");
  CHECK(out.enforce == DmarcPolicy::Quarantine);
  CHECK(out.sampled_out);
  CHECK(dmarc_sample("<a@b>") == dmarc_sample("<a@b>"));
  int below = 0;
  for (int i = 0; i < 1000; ++i) below += dmarc_sample("<" + std::to_string(i) + "@x>") < 30;
  CHECK(below > 230);  // about 300 of 1000
  CHECK(below < 370);
}

TEST_CASE("a passing ARC chain from a trusted sealer turns reject into quarantine", "[dmarc]") {
  auto rec = parse_dmarc_record("v=DMARC1; p=reject");
  ArcResult arc;
  arc.cv = ArcStatus::Pass;
  arc.instances = 2;
  arc.sealers = {"lists.example.org", "forwarder.example.net"};
  DmarcInputs in;
  in.from_domain = "example.com";
  in.arc = &arc;
  in.trusted_arc_sealers = {"forwarder.example.net"};
  auto r = evaluate_dmarc(in, *rec, "example.com");
  CHECK(r.enforce == DmarcPolicy::Quarantine);
  CHECK(r.arc_override);
  in.trusted_arc_sealers = {"lists.example.org"};  // not the newest sealer
  CHECK(evaluate_dmarc(in, *rec, "example.com").enforce == DmarcPolicy::Reject);
  in.trusted_arc_sealers = {"forwarder.example.net"};
  arc.cv = ArcStatus::Fail;
  CHECK(evaluate_dmarc(in, *rec, "example.com").enforce == DmarcPolicy::Reject);
}

namespace {
std::shared_ptr<dns::Resolver> zone_resolver() {
  dns::Options o;
  o.forwarders = {"127.0.0.1@9"};  // never asked for the static zones
  o.timeout = std::chrono::milliseconds(300);
  o.local_data = {
      "local-zone: \"example.com.\" static",
      "local-zone: \"multi.test.\" static",
      "local-zone: \"broken.test.\" static",
      "local-zone: \"np.test.\" static",
      "_dmarc.example.com. TXT \"v=DMARC1; p=reject; sp=quarantine\"",
      "mail.example.com. A 192.0.2.1",
      "_dmarc.multi.test. TXT \"v=DMARC1; p=reject\"",
      "_dmarc.multi.test. TXT \"v=DMARC1; p=none\"",
      "_dmarc.broken.test. TXT \"v=DMARC1; p=maybe\"",
      "_dmarc.np.test. TXT \"v=DMARC1; p=none; sp=quarantine; np=reject\"",
      "real.np.test. MX 10 mx.np.test.",
  };
  auto r = dns::Resolver::create(o);
  REQUIRE(r);
  return *r;
}
}  // namespace

TEST_CASE("DMARC discovery through lib/dns: From domain, then the organizational domain",
          "[dmarc]") {
  auto res = zone_resolver();
  struct Row {
    const char* from;
    DmarcStatus result;
    const char* record_domain;
    const char* tag;
    DmarcPolicy enforce;
  };
  for (const auto& r : std::vector<Row>{
           {"example.com", DmarcStatus::Fail, "example.com", "p", DmarcPolicy::Reject},
           {"mail.example.com", DmarcStatus::Fail, "example.com", "sp", DmarcPolicy::Quarantine},
           {"deep.mail.example.com", DmarcStatus::Fail, "example.com", "sp",
            DmarcPolicy::Quarantine},
           {"multi.test", DmarcStatus::None, "", "", DmarcPolicy::None},
           {"broken.test", DmarcStatus::PermError, "broken.test", "", DmarcPolicy::None},
           {"real.np.test", DmarcStatus::Fail, "np.test", "sp", DmarcPolicy::Quarantine},
           {"ghost.np.test", DmarcStatus::Fail, "np.test", "np", DmarcPolicy::Reject},
           {"nothing.example.net", DmarcStatus::TempError, "", "", DmarcPolicy::None}}) {
    CAPTURE(r.from);
    dns::Budget budget(res, 20);
    DmarcInputs in;
    in.from_domain = r.from;
    in.sample = 0;
    DmarcResult got = check_dmarc(in, budget);
    CAPTURE(got.detail);
    CHECK(got.result == r.result);
    CHECK(got.record_domain == r.record_domain);
    CHECK(got.policy_tag == r.tag);
    CHECK(got.enforce == r.enforce);
  }
  // The lookups started early are the ones used; a spent budget is a temperror.
  dns::Budget budget(res, 20);
  DmarcLookup l = start_dmarc_lookup("mail.example.com", budget);
  CHECK(budget.used() == 2);
  DmarcInputs in;
  in.from_domain = "mail.example.com";
  CHECK(check_dmarc(in, budget, &l).result == DmarcStatus::Fail);
  CHECK(budget.used() == 2);
  dns::Budget none(res, 0);
  CHECK(check_dmarc(in, none).result == DmarcStatus::TempError);
}
