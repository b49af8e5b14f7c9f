// The dkim stage: one finding per signature, DkimResults on the transaction, inbound only.
#include <catch2/catch.hpp>

#include "auth/dkim_stage.hpp"
#include "support/dkim_keys.hpp"

using namespace postern;
using auth::DkimStatus;

namespace {

const std::string kBody = "Hello Bob.\r\n";
const std::string kHeaders =
    "From: Alice <alice@example.com>\r\n"
    "To: bob@example.net\r\n"
    "Subject: hi\r\n"
    "Date: Tue, 1 Jul 2025 10:52:37 +0200\r\n"
    "Message-ID: <2@example.com>\r\n";

struct Fixture {
  test::TempDir dir;
  test::DkimKey rsa = test::make_key(dir, "rsa", 1024);
  test::DkimKey ed = test::make_key(dir, "ed", 0);
  std::shared_ptr<dns::Resolver> resolver;
  std::shared_ptr<const auth::DkimVerifier> lib;
  std::shared_ptr<const auth::DkimSigner> signer;
  Fixture(size_t max_signatures = 8) {
    dns::Options o;
    o.forwarders = {"127.0.0.1@9"};
    o.local_data = {"local-zone: \"_domainkey.example.com.\" static",
                    test::txt_line("r._domainkey.example.com", rsa.record),
                    test::txt_line("e._domainkey.example.com", ed.record)};
    auto r = dns::Resolver::create(o);
    REQUIRE(r);
    resolver = *r;
    auth::DkimOptions opts;
    opts.max_signatures = max_signatures;
    auto l = auth::DkimVerifier::create(opts);
    REQUIRE(l);
    lib = *l;
    using A = auth::DkimAlgorithm;
    auto s = auth::DkimSigner::create({{"example.com", "r", A::RsaSha256, rsa.pem_path, false},
                                       {"example.com", "e", A::Ed25519Sha256, ed.pem_path, false},
                                       {"example.com", "gone", A::RsaSha256, rsa.pem_path, false}});
    REQUIRE(s);
    signer = *s;
  }
  // The message signed by every key (r on top, then e, then gone).
  std::string signed_message(const std::string& body) const {
    auto out = signer->sign(core::Message(kHeaders + "\r\n" + kBody), "example.com");
    REQUIRE(out.signatures.size() == 3);
    std::string raw;
    for (const auto& s : out.signatures) raw += "DKIM-Signature: " + s.value + "\r\n";
    return raw + kHeaders + "\r\n" + body;
  }
};

// Runs the stage over `raw` in `tx`; returns the finding symbols.
std::vector<std::string> run(const Fixture& f, const std::string& raw,
                             const auth::DkimResults** results, core::Transaction& tx) {
  tx.set_message(core::Message(raw));
  auth::DkimStage stage(f.lib, f.resolver, 50);
  CHECK(stage.on_message(tx).kind == core::Step::Kind::Continue);
  *results = tx.get<auth::DkimResults>();
  std::vector<std::string> out;
  for (const auto& x : tx.findings()) out.push_back(x.symbol);
  return out;
}

core::Transaction make_tx(core::Direction dir) {
  core::ConnectionInfo conn;
  conn.client_address = "192.0.2.1";
  return core::Transaction(
      conn, dir, core::Limits{}, [](std::string_view, double d) { return d; }, "id");
}

}  // namespace

TEST_CASE("finding symbols and default scores per result", "[dkim]") {
  struct Row {
    DkimStatus status;
    bool limited;
    std::string symbol;
    double score;
  };
  for (const auto& r : std::vector<Row>{{DkimStatus::Pass, false, "DKIM_PASS", 0},
                                        {DkimStatus::Pass, true, "DKIM_BODY_LENGTH_LIMIT", 1},
                                        {DkimStatus::Fail, false, "DKIM_FAIL", 1},
                                        {DkimStatus::Neutral, false, "DKIM_NEUTRAL", 0},
                                        {DkimStatus::TempError, false, "DKIM_TEMPERROR", 0},
                                        {DkimStatus::PermError, false, "DKIM_PERMERROR", 0.5}}) {
    auth::DkimSignature s;
    s.result = r.status;
    s.body_length_limited = r.limited;
    CHECK(auth::dkim_symbol(s).symbol == r.symbol);
    CHECK(auth::dkim_symbol(s).score == r.score);
  }
}

TEST_CASE("the dkim stage gives each signature of an inbound message its finding", "[dkim]") {
  Fixture f;
  const auth::DkimResults* results = nullptr;
  struct Row {
    std::string name, raw;
    std::vector<std::string> want;
  };
  for (const auto& r : std::vector<Row>{
           {"unsigned", kHeaders + "\r\n" + kBody, {"DKIM_NONE"}},
           {"signed", f.signed_message(kBody), {"DKIM_PASS", "DKIM_PASS", "DKIM_PERMERROR"}},
           {"body changed",
            f.signed_message("Hello Bob!\r\n"),
            {"DKIM_FAIL", "DKIM_FAIL", "DKIM_PERMERROR"}},
       }) {
    INFO(r.name);
    auto tx = make_tx(core::Direction::Inbound);
    auto syms = run(f, r.raw, &results, tx);
    CHECK(syms == r.want);
    REQUIRE(results != nullptr);
    CHECK(results->signatures.size() == (r.want[0] == "DKIM_NONE" ? 0 : 3));
    if (!results->signatures.empty()) {
      CHECK(tx.findings()[0].detail.find("d=example.com s=r a=rsa-sha256 b=") != std::string::npos);
      CHECK(tx.findings()[2].detail.find("no key at gone._domainkey.example.com") !=
            std::string::npos);
    }
  }
}

TEST_CASE("the dkim stage leaves outbound mail alone and bounds the signatures", "[dkim]") {
  const auth::DkimResults* results = nullptr;
  {
    Fixture f;
    auto tx = make_tx(core::Direction::Outbound);
    CHECK(run(f, f.signed_message(kBody), &results, tx).empty());
    CHECK(results == nullptr);
  }
  Fixture two(2);
  auto tx = make_tx(core::Direction::Inbound);
  auto syms = run(two, two.signed_message(kBody), &results, tx);
  CHECK(syms == std::vector<std::string>{"DKIM_PASS", "DKIM_PASS", "DKIM_TOO_MANY_SIGNATURES"});
  REQUIRE(results != nullptr);
  CHECK(results->signatures.size() == 2);
}
