// lib/smime in the pipeline: [smime.encrypt] read (errors at file:line:column), the
// encryption decision (recipient domains, DLP rules with action = "encrypt"), a
// recipient without a certificate (missing_cert: quarantine, bounce naming them; mixed
// recipients: the whole message), the modifier (encrypted when delivered, never plain
// text), the guard, the inbound check's findings, Authentication-Results and event.
#include <catch2/catch.hpp>

#include <algorithm>
#include <ctime>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/finisher.hpp"
#include "core/transaction.hpp"
#include "dlp/stage.hpp"
#include "mime/decode.hpp"
#include "mime/stage.hpp"
#include "policy/policy.hpp"
#include "scan/registry.hpp"
#include "smime/notify.hpp"
#include "smime/stage.hpp"
#include "support/files.hpp"
#include "support/smime_pki.hpp"
#include "support/temp_dir.hpp"

using namespace postern;

namespace {

const std::string kSmimePolicy =
    "[dlp.rules.cards]\ndetectors = [\"card\"]\nmin_count = 1\nmin_confidence = \"medium\"\n"
    "action = \"encrypt\"\n"
    "[smime.encrypt]\ndomains = [\"always.example\"]\n";

std::string card_mail(const std::string& to) {
  return "From: sam@example.com\r\nTo: " + to +
         "\r\nSubject: numbers\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
         "card 4241 9602 0928 2256 expires 12/29\r\n";
}

struct Env {
  test::TempDir tmp;
  test::Pki pki{tmp.path() / "pki"};
  std::string certs = tmp.mkdir("certs");
  test::Issued alice = issue("alice", "alice@partner.example");
  test::Issued zoe = issue("zoe", "zoe@always.example");

  test::Issued issue(const std::string& name, const std::string& addr) {
    auto i = pki.issue(name, test::CertSpec().email(addr));
    std::filesystem::copy_file(i.cert, certs + "/" + name + ".pem");
    return i;
  }
};

struct Result {
  std::vector<core::Finding> findings;
  core::Verdict verdict;
  core::Outcome out;
  std::string leaving;
  std::optional<std::string> guard;
  std::string notice, notice_args;  // what the notify disposer sent
  nlohmann::json event = nlohmann::json::object();
};

bool has(const std::vector<core::Finding>& fs, std::string_view symbol) {
  return std::any_of(fs.begin(), fs.end(), [&](const auto& f) { return f.symbol == symbol; });
}

Result run(Env& env, const std::string& policy_text, const std::string& raw,
           const std::vector<std::string>& rcpts, bool override_verdict_accept = false,
           size_t max_bytes = 1 << 20) {
  // The notice of missing_cert = "notify" lands in notice.eml, its arguments in args.
  const std::vector<std::string> notify_cmd = {
      "/bin/sh", "-c",
      "cat > " + env.tmp.str() + "/notice.eml; echo \"$@\" > " + env.tmp.str() + "/args",
      "sendmail"};
  std::filesystem::remove(env.tmp.path() / "notice.eml");
  auto p = policy::parse_policy(policy_text, "smime.toml", scan::policy_sections());
  if (!p) FAIL(policy::to_string(p.error()));
  auto scanner = dlp::DlpScanner::build(p->sections.section<dlp::DlpPolicy>("dlp"));
  REQUIRE(scanner);
  auto store = smime::CertStore::load(env.certs, std::time(nullptr));
  REQUIRE(store);
  std::vector<std::string> dlp_rules;
  for (const auto& [name, r] : p->sections.section<dlp::DlpPolicy>("dlp").rules)
    if (r.enabled && r.action == "encrypt") dlp_rules.push_back(name);
  core::ConnectionInfo conn;
  core::Transaction tx(conn, core::Direction::Outbound, core::Limits{}, nullptr, "scan1");
  tx.envelope().mail_from = "sam@example.com";
  tx.envelope().recipients = rcpts;
  tx.set_message(core::Message(raw));
  REQUIRE(mime::MimeStage().on_message(tx).kind == core::Step::Kind::Continue);
  REQUIRE(dlp::DlpStage(*scanner, nullptr).on_message(tx).kind == core::Step::Kind::Continue);
  smime::EncryptStage stage(*store, smime::smime_policy(*p).encrypt, dlp_rules, max_bytes);
  REQUIRE(stage.on_message(tx).kind == core::Step::Kind::Continue);
  Result r;
  r.findings = tx.findings();
  r.verdict = policy::decide(*p, core::Direction::Outbound, r.findings, policy::When::EndOfMessage);
  r.out.verdict = r.verdict;
  if (override_verdict_accept) r.out.verdict.action = core::Action::Accept;
  smime::SmimeModifier mod(std::nullopt, smime::Cipher::Aes256Cbc, max_bytes);
  mod.modify(tx, *tx.message(), r.out);
  const core::Message leaving = core::apply_edits(*tx.message(), r.out);
  r.leaving = leaving.raw();
  r.guard = smime::GuardDisposer().dispose(tx, leaving, r.out);
  CHECK_FALSE(smime::NotifyDisposer(notify_cmd, "gw.example").dispose(tx, leaving, r.out));
  r.notice = test::slurp(env.tmp.path() / "notice.eml");
  r.notice_args = test::slurp(env.tmp.path() / "args");
  r.event["postern"] = nlohmann::json::object();
  smime::write_event(tx, r.event);
  return r;
}

std::string decrypt_with(const test::Issued& who, const std::string& msg) {
  core::Message m(msg);
  mime::DecodeStats st;
  auto key = smime::SigningKey::load(who.cert, who.key, "");
  REQUIRE(key);
  auto plain = smime::decrypt(mime::decode_base64(m.body(), st), *key);
  return plain ? *plain : std::string();
}

}  // namespace

TEST_CASE("[smime.encrypt] errors name file:line:column", "[smime][policy]") {
  struct Row {
    std::string text, want;
  };
  const Row rows[] = {
      {"[smime.encrypt]\nmissing_cert = \"deliver\"\n", "smime.toml:2:"},
      {"[smime.encrypt]\ndomains = [\"a b\"]\n", "smime.toml:2:"},
      {"[smime.encrypt]\nmessage = \"\"\n", "smime.toml:2:"},
      {"[smime.encrypt]\ncolour = 1\n", "smime.toml:2:"},
      {"[smime]\nencrypt = 1\n", "smime.toml:2:"},
  };
  for (const auto& row : rows) {
    INFO(row.text);
    auto p = policy::parse_policy(row.text, "smime.toml", scan::policy_sections());
    REQUIRE_FALSE(p);
    CHECK(policy::to_string(p.error()).find(row.want) != std::string::npos);
  }
}

TEST_CASE("missing_cert becomes the outbound hard rule of SMIME_NO_CERT and SMIME_LIMIT",
          "[smime][policy]") {
  struct Row {
    std::string missing;
    core::Action want;
  };
  for (const Row& row :
       {Row{"quarantine", core::Action::Quarantine}, Row{"bounce", core::Action::Reject},
        Row{"notify", core::Action::Quarantine}}) {
    auto p = policy::parse_policy("[smime.encrypt]\nmissing_cert = \"" + row.missing + "\"\n",
                                  "smime.toml", scan::policy_sections());
    REQUIRE(p);
    for (const char* sym : {"SMIME_NO_CERT", "SMIME_LIMIT"}) {
      REQUIRE(p->outbound.rules.contains(sym));
      CHECK(p->outbound.rules.at(sym).action == row.want);
      CHECK_FALSE(p->inbound.rules.contains(sym));
    }
  }
  // The shipped policies have the rule (quarantine) even with encryption off.
  auto shipped = policy::load_policy({POSTERN_SOURCE_DIR "/policies"}, scan::policy_sections());
  REQUIRE(shipped);
  CHECK(shipped->outbound.rules.at("SMIME_NO_CERT").action == core::Action::Quarantine);
}

TEST_CASE("a DLP encrypt rule's hit leaves the message encrypted to its recipient",
          "[smime][stage]") {
  Env env;
  auto r = run(env, kSmimePolicy, card_mail("alice@partner.example"), {"alice@partner.example"});
  CHECK(has(r.findings, "DLP_CARDS"));
  CHECK_FALSE(has(r.findings, "SMIME_NO_CERT"));
  CHECK(r.verdict.action == core::Action::Accept);
  CHECK(r.leaving.find("4241") == std::string::npos);
  CHECK(smime::leaves_encrypted(core::Message(r.leaving)));
  CHECK_FALSE(r.guard);
  const std::string inner = decrypt_with(env.alice, r.leaving);
  CHECK(inner.find("card 4241 9602 0928 2256") != std::string::npos);
  CHECK(inner.starts_with("Content-Type: text/plain; charset=utf-8\r\n\r\n"));
  CHECK(r.event["postern"]["smime"]["encrypt"]["required"] == true);
  CHECK(r.event["postern"]["smime"]["encrypt"]["why"][0] == "DLP rule cards");
  // No card number, no encryption.
  auto plain =
      run(env, kSmimePolicy, "From: sam@example.com\r\nTo: alice@partner.example\r\n\r\nlunch?\r\n",
          {"alice@partner.example"});
  CHECK(plain.leaving.find("lunch?") != std::string::npos);
  CHECK_FALSE(plain.event["postern"].contains("smime"));
}

TEST_CASE("mail to a listed domain is always encrypted", "[smime][stage]") {
  Env env;
  const std::string msg =
      "From: sam@example.com\r\nTo: zoe@always.example\r\nSubject: hi\r\n\r\nhello zoe\r\n";
  auto r = run(env, kSmimePolicy, msg, {"zoe@always.example"});
  CHECK(smime::leaves_encrypted(core::Message(r.leaving)));
  CHECK(decrypt_with(env.zoe, r.leaving).find("hello zoe") != std::string::npos);
  CHECK(core::Message(r.leaving).find("Subject")->value == "hi");
}

TEST_CASE("a recipient without a certificate gets missing_cert, never plain text",
          "[smime][stage]") {
  Env env;
  struct Row {
    std::string name, missing;
    std::vector<std::string> rcpts;
    core::Action want;
  };
  const Row rows[] = {
      {"one without", "quarantine", {"nocert@partner.example"}, core::Action::Quarantine},
      {"mixed: the whole message",
       "quarantine",
       {"alice@partner.example", "nocert@partner.example"},
       core::Action::Quarantine},
      {"bounce",
       "bounce",
       {"alice@partner.example", "nocert@partner.example"},
       core::Action::Reject},
      {"notify holds it", "notify", {"nocert@partner.example"}, core::Action::Quarantine},
  };
  for (const auto& row : rows) {
    INFO(row.name);
    auto r = run(env, kSmimePolicy + "missing_cert = \"" + row.missing + "\"\n",
                 card_mail("x@partner.example"), row.rcpts);
    CHECK(has(r.findings, "SMIME_NO_CERT"));
    CHECK(r.verdict.action == row.want);
    if (row.want == core::Action::Reject) {
      CHECK(r.verdict.reply.text.find("nocert@partner.example") != std::string::npos);
      CHECK(r.verdict.reply.text.find("alice@") == std::string::npos);
      CHECK(r.verdict.reply.code == "550");
    }
    // Held and told (the notify disposer is built only for missing_cert = "notify"; here
    // it is called for every row: it tells only about a held message).
    if (row.want == core::Action::Quarantine) {
      CHECK(r.notice.find("nocert@partner.example") != std::string::npos);
      CHECK(r.notice.find("\r\nSubject: Not sent: your message must be encrypted\r\n") !=
            std::string::npos);
      CHECK(r.notice.find("\"numbers\"") != std::string::npos);
      CHECK(r.notice.find("4241") == std::string::npos);
      CHECK(r.notice_args == "-f <> -- sam@example.com\n");
    } else {
      CHECK(r.notice.empty());
    }
    // Held or refused: the modifier leaves it as it is (the reviewer reads it).
    CHECK(r.leaving.find("4241 9602") != std::string::npos);
    CHECK(r.event["postern"]["smime"]["encrypt"]["missing"][0] == "nocert@partner.example");
  }
  // An admin who overrides the hard rule (a later [outbound.rules], a group) to accept
  // still gets no plain text out.
  auto r =
      run(env, kSmimePolicy, card_mail("nocert@partner.example"), {"nocert@partner.example"}, true);
  CHECK(r.leaving.find("4241") == std::string::npos);
  CHECK(r.leaving.find("withheld") != std::string::npos);
  REQUIRE(r.guard);  // and the dispose phase answers on_error (tempfail): the MTA keeps it
}

TEST_CASE("a message over max_bytes that must be encrypted gets missing_cert, never plain text",
          "[smime][stage]") {
  Env env;
  auto r = run(env, kSmimePolicy, card_mail("alice@partner.example"), {"alice@partner.example"},
               false, 100);
  CHECK(has(r.findings, "SMIME_LIMIT"));
  CHECK(r.verdict.action == core::Action::Quarantine);
  CHECK(r.leaving.find("4241") != std::string::npos);  // held in clear for the reviewer
  // Delivered anyway (the hard rule overridden): withheld, and the guard fails.
  auto over = run(env, kSmimePolicy, card_mail("alice@partner.example"), {"alice@partner.example"},
                  true, 100);
  CHECK(over.leaving.find("4241") == std::string::npos);
  CHECK(over.leaving.find("withheld") != std::string::npos);
  CHECK(over.guard);
}

TEST_CASE("a message the client encrypted already is left alone", "[smime][stage]") {
  Env env;
  auto cert = smime::Certificate::from_pem_file(env.alice.cert);
  REQUIRE(cert);
  auto enc = smime::encrypt(card_mail("nocert@partner.example"), {&cert->front()});
  REQUIRE(enc);
  auto r = run(env, kSmimePolicy, *enc, {"zoe@always.example", "nocert@partner.example"});
  CHECK_FALSE(has(r.findings, "SMIME_NO_CERT"));
  CHECK(r.leaving == *enc);
  CHECK_FALSE(r.guard);
}

TEST_CASE("the modifier signs outbound mail, then encrypts; DKIM signs after it",
          "[smime][stage]") {
  Env env;
  auto sam = env.pki.issue("sam", test::CertSpec().email("sam@example.com"));
  auto key = smime::SigningKey::load(sam.cert, sam.key, "");
  REQUIRE(key);
  core::ConnectionInfo conn;
  core::Transaction tx(conn, core::Direction::Outbound, core::Limits{}, nullptr, "s2");
  tx.set_message(core::Message(card_mail("bob@example.org")));
  core::Outcome out;
  smime::SmimeModifier mod(*key, smime::Cipher::Aes256Cbc, 1 << 20);
  mod.modify(tx, *tx.message(), out);
  const core::Message leaving = core::apply_edits(*tx.message(), out);
  CHECK(leaving.find("Content-Type")->value.starts_with("multipart/signed"));
  auto trust = smime::TrustStore::load(env.pki.ca_file(), "");
  REQUIRE(trust);
  auto v = smime::verify_message(leaving, {"sam@example.com"}, **trust);
  CHECK(v.status == smime::Status::Pass);
  // A quarantined message is not signed; an inbound one neither.
  core::Outcome held;
  held.verdict.action = core::Action::Quarantine;
  mod.modify(tx, *tx.message(), held);
  CHECK_FALSE(held.new_body);
  // The registry runs the encryption stage after DLP, the modifier after the other body
  // edits, and DKIM signing (a finisher) after every modifier.
  const auto& stages = scan::stage_order();
  REQUIRE(stages);
  auto at = [&](std::string_view n) {
    return std::find_if(stages->begin(), stages->end(), [&](auto* e) { return e->name == n; });
  };
  CHECK(at("dlp") < at("smime-encrypt"));
  const auto& mods = scan::modifier_order();
  REQUIRE(mods);
  auto mat = [&](std::string_view n) {
    return std::find_if(mods->begin(), mods->end(), [&](auto* e) { return e->name == n; });
  };
  CHECK(mat("banner") < mat("smime"));
  CHECK(mat("click-rewrite") < mat("smime"));
}

TEST_CASE("inbound signatures: findings, Authentication-Results and the event", "[smime][verify]") {
  Env env;
  auto sam = env.pki.issue("sam", test::CertSpec().email("sam@example.com"));
  auto key = smime::SigningKey::load(sam.cert, sam.key, "");
  REQUIRE(key);
  auto trust = smime::TrustStore::load(env.pki.ca_file(), "");
  REQUIRE(trust);
  const std::string body =
      "To: a@example.org\r\nSubject: s\r\nContent-Type: text/plain\r\n\r\nsigned text\r\n";
  const std::string good = *smime::sign("From: sam@example.com\r\n" + body, *key);
  std::string forged = good;
  forged.replace(forged.find("sam@example.com"), 15, "ceo@example.com");
  std::string tampered = good;
  tampered.replace(tampered.find("signed text"), 6, "SIGNED");
  struct Row {
    std::string name, message, symbol, ar;
  };
  const Row rows[] = {
      {"good", good, "SMIME_VALID",
       "mx.example; smime=pass (signer is the From address) "
       "body.smime-identifier=sam@example.com"},
      {"another From", forged, "SMIME_SIGNER_MISMATCH",
       "mx.example; smime=pass (signer is not the From address) "
       "body.smime-identifier=sam@example.com"},
      {"tampered", tampered, "SMIME_INVALID", "mx.example; smime=fail ("},
      {"unsigned", "From: sam@example.com\r\n" + body, "", ""},
  };
  for (const auto& row : rows) {
    INFO(row.name);
    core::ConnectionInfo conn;
    core::Transaction tx(conn, core::Direction::Inbound, core::Limits{}, nullptr, "v");
    tx.set_message(core::Message(row.message));
    smime::VerifyStage stage(*trust, {});
    REQUIRE(stage.on_message(tx).kind == core::Step::Kind::Continue);
    for (const char* s : {"SMIME_VALID", "SMIME_SIGNER_MISMATCH", "SMIME_INVALID"})
      CHECK(has(tx.findings(), s) == (row.symbol == s));
    core::Outcome out;
    smime::ResultsFinisher("mx.example").finish(tx, *tx.message(), out);
    if (row.ar.empty()) {
      CHECK(out.added.empty());
    } else {
      REQUIRE(out.added.size() == 1);
      CHECK(out.added[0].name == "Authentication-Results");
      CHECK(out.added[0].value.starts_with(row.ar));
    }
    nlohmann::json e;
    e["postern"] = nlohmann::json::object();
    smime::write_event(tx, e);
    if (!row.symbol.empty())
      CHECK(e["postern"]["smime"]["verify"]["result"] ==
            (row.symbol == "SMIME_INVALID" ? "fail" : "pass"));
  }
}
