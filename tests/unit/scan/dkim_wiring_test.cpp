// DKIM in the snapshot: the dkim stage with [dns], the dkim-sign finisher with keys, and a
// sign -> verify round trip through scan::Session for rsa-sha256 and ed25519 at once.
#include <catch2/catch.hpp>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "auth/results.hpp"
#include "scan/session.hpp"
#include "scan/snapshot.hpp"
#include "support/dkim_keys.hpp"
#include "support/dkim_run.hpp"
#include "support/temp_dir.hpp"

using namespace postern;
using nlohmann::json;

namespace {

using Run = test::DkimRun;

// One message through a Session: its header fields and body, from `ip` (SASL user when given).
Run run(const scan::SnapshotPtr& snap, const core::Message& m, const std::string& ip,
        const std::string& sasl_user) {
  return test::run_message(snap, m, ip, sasl_user);
}

const std::string kMessage =
    "From: Alice <alice@Example.com>\r\n"
    "To: bob@example.net\r\n"
    "Subject: quarterly numbers\r\n"
    "Date: Tue, 1 Jul 2025 10:52:37 +0200\r\n"
    "Message-ID: <3@example.com>\r\n"
    "MIME-Version: 1.0\r\n"
    "Content-Type: text/plain; charset=utf-8\r\n"
    "\r\n"
    "See   attached.  \r\n"
    "\r\n";

struct Setup {
  test::TempDir d;
  test::DkimKey rsa = test::make_key(d, "rsa", 2048);
  test::DkimKey ed = test::make_key(d, "ed", 0);
  std::string config(bool with_dns, const std::string& rsa_key) const {
    std::string zone =
        d.write("local.zone", "local-zone: \"example.com.\" static\n" +
                                  test::txt_line("r1._domainkey.example.com", rsa.record) + "\n" +
                                  test::txt_line("e1._domainkey.example.com", ed.record) + "\n");
    std::string text = "[policy]\ndirs = [\"" POSTERN_SOURCE_DIR "/policies\"]\n";
    if (with_dns)
      text += "[dns]\nforwarders = [\"127.0.0.1@9\"]\ntimeout_ms = 300\nlocal_data = \"" + zone +
              "\"\n";
    text +=
        "[dkim]\n"
        "[[dkim.sign]]\ndomain = \"example.com\"\nselector = \"r1\"\nkey = \"" +
        rsa_key +
        "\"\n"
        "[[dkim.sign]]\ndomain = \"example.com\"\nselector = \"e1\"\n"
        "algorithm = \"ed25519-sha256\"\nkey = \"ed.pem\"\n";
    return d.write("postern.toml", text);
  }
};

}  // namespace

TEST_CASE("the dkim stage joins with [dns], the signer whenever keys are configured", "[dkim]") {
  Setup s;
  for (bool with_dns : {true, false}) {
    INFO("with [dns]: " << with_dns);
    auto snap = scan::load_snapshot(s.config(with_dns, "rsa.pem"));
    INFO((snap ? std::string() : policy::to_string(snap.error())));
    REQUIRE(snap);
    auto names = (*snap)->pipeline.stage_names();
    auto dkim = std::find(names.begin(), names.end(), "dkim");
    CHECK((dkim != names.end()) == with_dns);
    if (with_dns) CHECK(std::find(names.begin(), dkim, "mime") != dkim);  // after mime
    // with [dns] the Authentication-Results writer comes first (then the S/MIME check's);
    // signing is always last
    REQUIRE((*snap)->finishers.size() == (with_dns ? 3u : 2u));
    CHECK((*snap)->finishers.back()->name() == "dkim-sign");
  }
}

TEST_CASE("a signing key that cannot be read is a config error at its [[dkim.sign]]", "[dkim]") {
  Setup s;
  std::string path = s.config(false, "nowhere.pem");
  auto snap = scan::load_snapshot(path);
  REQUIRE_FALSE(snap);
  REQUIRE(snap.error().size() == 1);
  CHECK(snap.error()[0].file == path);
  CHECK(snap.error()[0].line == 4);  // [policy], dirs, [dkim], then the [[dkim.sign]] at fault
  CHECK(snap.error()[0].message.find(s.d.str() + "/nowhere.pem") != std::string::npos);
}

TEST_CASE("outbound mail is signed with rsa-sha256 and ed25519 and verifies inbound", "[dkim]") {
  Setup s;
  auto snap = scan::load_snapshot(s.config(true, "rsa.pem"));
  REQUIRE(snap);
  core::Message original(kMessage);

  Run out = run(*snap, original, "198.51.100.7", "alice");
  std::vector<const core::HeaderAddition*> sigs;
  for (const auto& a : out.outcome.added)
    if (a.name == "DKIM-Signature") sigs.push_back(&a);
  REQUIRE(sigs.size() == 2);
  for (const auto* a : sigs) {
    CHECK(a->at_top);
    CHECK(a->value.find_first_of("\r\n") == std::string::npos);
    CHECK(a->value.find("d=example.com") != std::string::npos);
  }
  CHECK(out.dkim_findings.empty());  // outbound: not verified

  // What the next hop receives: the session's edits (verdict headers, signatures) applied.
  core::Message leaving = core::apply_edits(original, out.outcome);
  Run in = run(*snap, leaving, "203.0.113.9", "");
  CHECK(in.dkim_findings == std::vector<std::string>{"DKIM_PASS", "DKIM_PASS"});

  // A changed body no longer verifies.
  std::string tampered = leaving.raw();
  tampered.replace(tampered.find("See"), 3, "Sea");
  Run bad = run(*snap, core::Message(tampered), "203.0.113.9", "");
  CHECK(bad.dkim_findings == std::vector<std::string>{"DKIM_FAIL", "DKIM_FAIL"});

  // Inbound mail, and outbound mail from a domain without keys, is not signed.
  for (const auto& [msg, ip, user] : std::vector<std::tuple<std::string, std::string, std::string>>{
           {kMessage, "203.0.113.9", ""},
           {"From: carol@other.example\r\n" + kMessage.substr(kMessage.find("\r\n") + 2),
            "198.51.100.7", "carol"}}) {
    Run r = run(*snap, core::Message(msg), ip, user);
    CHECK(std::none_of(r.outcome.added.begin(), r.outcome.added.end(),
                       [](const core::HeaderAddition& a) { return a.name == "DKIM-Signature"; }));
  }
}
