// The DLP stage and its policy: [dlp.rules.NAME] read (errors at file:line:column),
// rules counted per direction, tier and count, actions as hard rules, custom patterns
// and words, text attachments, bounds, masked values in findings and the event.
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/transaction.hpp"
#include "dlp/pdf_reader.hpp"
#include "dlp/policy.hpp"
#include "dlp/registration.hpp"
#include "dlp/stage.hpp"
#include "mime/decode.hpp"
#include "mime/stage.hpp"
#include "policy/policy.hpp"
#include "scan/registry.hpp"
#include "support/archive_writer.hpp"
#include "support/pdf.hpp"
#include "support/temp_dir.hpp"

using namespace postern;

namespace {

postern::expected<policy::Policy, policy::Errors> parse_dlp(const std::string& text) {
  return policy::parse_policy(text, "dlp.toml", scan::policy_sections());
}

struct Run {
  std::vector<core::Finding> findings;
  nlohmann::json event = nlohmann::json::object();
  core::Verdict verdict;
};

// The PDF reader service the dlp folder registers, made from the policy as the
// daemon makes it (null when the policy reads no PDF).
std::shared_ptr<dlp::PdfReader> pdf_service(const policy::Policy& p) {
  for (const auto& s : dlp::registration().services)
    if (s.name == "dlp.pdf") {
      std::string error;
      auto made = s.make(policy::Config{}, p, error);
      REQUIRE(error.empty());
      return std::static_pointer_cast<dlp::PdfReader>(made);
    }
  FAIL("no dlp.pdf service");
  return nullptr;
}

Run run_dlp(const std::string& policy_text, const std::string& raw,
            core::Direction dir = core::Direction::Outbound) {
  auto p = parse_dlp(policy_text);
  if (!p) FAIL(policy::to_string(p.error()));
  auto scanner = dlp::DlpScanner::build(p->sections.section<dlp::DlpPolicy>("dlp"));
  if (!scanner) FAIL(scanner.error().to_string());
  core::ConnectionInfo conn;
  core::Transaction tx(conn, dir, core::Limits{}, nullptr, "id");
  tx.set_message(core::Message(raw));
  REQUIRE(mime::MimeStage().on_message(tx).kind == core::Step::Kind::Continue);
  dlp::DlpStage stage(*scanner, pdf_service(*p));
  REQUIRE(stage.on_message(tx).kind == core::Step::Kind::Continue);
  Run r;
  r.findings = tx.findings();
  r.event["postern"] = nlohmann::json::object();
  dlp::write_event(tx, r.event);
  r.verdict = policy::decide(*p, dir, r.findings, policy::When::EndOfMessage);
  return r;
}

std::string mail(const std::string& body) {
  return "From: a@example.com\r\nTo: b@example.org\r\nSubject: hi\r\n"
         "Content-Type: text/plain; charset=utf-8\r\n\r\n" +
         body + "\r\n";
}

const std::string kCards =
    "[dlp.rules.cards]\ndetectors = [\"card\"]\nmin_count = 2\nmin_confidence = \"high\"\n"
    "action = \"block\"\nmessage = \"Card numbers may not leave the company\"\n";

bool has(const Run& r, std::string_view symbol) {
  for (const auto& f : r.findings)
    if (f.symbol == symbol) return true;
  return false;
}

const core::Finding* finding(const Run& r, std::string_view symbol) {
  for (const auto& f : r.findings)
    if (f.symbol == symbol) return &f;
  return nullptr;
}

}  // namespace

TEST_CASE("a DLP rule counts validated matches at its tier and blocks outbound mail",
          "[dlp][stage]") {
  const std::string two = mail("card 4241 9602 0928 2256 and card 5206932327216243, thanks");
  auto r = run_dlp(kCards, two);
  const core::Finding* f = finding(r, "DLP_CARDS");
  REQUIRE(f);
  CHECK(f->detail.find("2 match(es) of card (up to high") != std::string::npos);
  CHECK(f->detail.find("**** **** **** 2256") != std::string::npos);
  // Never the raw value: not in the detail, not in the event.
  CHECK(f->detail.find("4241") == std::string::npos);
  CHECK(r.event.dump().find("9602") == std::string::npos);
  CHECK(r.event["postern"]["dlp"][0]["symbol"] == "DLP_CARDS");
  CHECK(r.event["postern"]["dlp"][0]["count"] == 2);
  CHECK(r.event["postern"]["dlp"][0]["masked"].size() == 2);
  CHECK(r.verdict.action == core::Action::Reject);
  CHECK(r.verdict.reply.xcode == "5.7.1");
  CHECK(r.verdict.reply.text == "Card numbers may not leave the company");

  // One card only, or cards without a keyword (medium): under the rule.
  CHECK_FALSE(has(run_dlp(kCards, mail("card 4241 9602 0928 2256")), "DLP_CARDS"));
  CHECK_FALSE(
      has(run_dlp(kCards, mail("ref 4241960209282256; ref 5206932327216243")), "DLP_CARDS"));
  // Inbound mail is not the rule's (outbound by default).
  CHECK_FALSE(has(run_dlp(kCards, two, core::Direction::Inbound), "DLP_CARDS"));
  CHECK(
      has(run_dlp(kCards + "direction = \"both\"\n", two, core::Direction::Inbound), "DLP_CARDS"));
}

TEST_CASE("DLP actions: quarantine, tag, log; a later file's enabled = false removes a rule",
          "[dlp][stage]") {
  const std::string two = mail("SSN 123-45-6789, SSN 234-56-7890");
  const std::string base = "[dlp.rules.ssn]\ndetectors = [\"ssn\"]\n";
  CHECK(run_dlp(base + "action = \"quarantine\"\n", two).verdict.action ==
        core::Action::Quarantine);
  CHECK(run_dlp(base + "action = \"tag\"\n", two).verdict.action == core::Action::Tag);
  auto logged = run_dlp(base, two);  // log: the finding alone
  CHECK(has(logged, "DLP_SSN"));
  CHECK(logged.verdict.action == core::Action::Accept);
  auto p = parse_dlp(base + "action = \"block\"\n");
  REQUIRE(p);
  CHECK(p->outbound.rules.contains("DLP_SSN"));
  CHECK_FALSE(p->inbound.rules.contains("DLP_SSN"));
  test::TempDir d;
  d.write("p/10-dlp.toml", base + "action = \"block\"\n");
  d.write("p/20-local.toml", "[dlp.rules.ssn]\nenabled = false\n");
  auto off = policy::load_policy({d.str() + "/p"}, scan::policy_sections());
  if (!off) FAIL(policy::to_string(off.error()));
  CHECK_FALSE(off->sections.section<dlp::DlpPolicy>("dlp").any_enabled());
  CHECK_FALSE(off->outbound.rules.contains("DLP_SSN"));
  // And back on, key by key: the detectors and the action stay the first file's.
  d.write("p/30-on.toml", "[dlp.rules.ssn]\nenabled = true\nmin_count = 5\n");
  auto on = policy::load_policy({d.str() + "/p"}, scan::policy_sections());
  if (!on) FAIL(policy::to_string(on.error()));
  const auto& rule = on->sections.section<dlp::DlpPolicy>("dlp").rules.at("ssn");
  CHECK(rule.enabled);
  CHECK(rule.min_count == 5);
  CHECK(rule.detectors == std::vector<dlp::Detector>{dlp::Detector::ssn});
  CHECK(on->outbound.rules.at("DLP_SSN").action == core::Action::Reject);
}

TEST_CASE("custom patterns and dictionaries count, masked", "[dlp][stage]") {
  const std::string pol =
      "[dlp.rules.project]\npatterns = ['\\bPRJ-[0-9]{5}\\b']\n"
      "dictionary = [\"Project Falcon\", \"falcon roadmap\"]\nmin_count = 3\n";
  auto r = run_dlp(pol, mail("About project falcon: PRJ-12345 and PRJ-54321 attached."));
  const core::Finding* f = finding(r, "DLP_PROJECT");
  REQUIRE(f);
  CHECK(f->detail.find("3 match(es) of custom") != std::string::npos);
  CHECK(f->detail.find("PRJ") == std::string::npos);
  CHECK(f->detail.find("alcon") == std::string::npos);
  CHECK_FALSE(has(run_dlp(pol, mail("About falcons: PRJ-12345.")), "DLP_PROJECT"));
}

TEST_CASE("a CSV attachment is scanned; the bounds are findings", "[dlp][stage]") {
  const std::string raw =
      "From: a@example.com\r\nTo: b@example.org\r\nSubject: list\r\nMIME-Version: 1.0\r\n"
      "Content-Type: multipart/mixed; boundary=\"b\"\r\n\r\n--b\r\n"
      "Content-Type: text/plain\r\n\r\nsee the list\r\n--b\r\n"
      "Content-Type: application/octet-stream\r\n"
      "Content-Disposition: attachment; filename=\"staff.csv\"\r\n\r\n"
      "name,ssn\r\nann,123-45-6789\r\nbob,234-56-7890\r\n--b--\r\n";
  const std::string pol = "[dlp.rules.ssn]\ndetectors = [\"ssn\"]\nmin_count = 2\n";
  CHECK(has(run_dlp(pol, raw), "DLP_SSN"));
  auto limited = run_dlp("[dlp]\nmax_matches = 1\n" + pol, raw);
  CHECK(has(limited, "DLP_LIMIT"));
  CHECK_FALSE(has(limited, "DLP_SSN"));
  auto cut = run_dlp("[dlp]\nmax_bytes = 1024\n" + pol,
                     mail(std::string(2000, 'x') + " SSN 123-45-6789 234-56-7890"));
  CHECK(has(cut, "DLP_LIMIT"));
  CHECK_FALSE(has(cut, "DLP_SSN"));
}

TEST_CASE("the text of Office files and archive members is scanned; what cannot be read is named",
          "[dlp][stage]") {
  const std::string docx = test::zip(
      {{"[Content_Types].xml", "<Types/>"},
       {"word/document.xml",
        "<w:document><w:body><w:p><w:r><w:t>cards 4241 9602 09</w:t></w:r><w:r><w:t>28 2256 and "
        "5206932327216243</w:t></w:r></w:p></w:body></w:document>"}});
  const std::string locked = test::build(test::Fmt::Zip, {{"more.csv", "5206932327216243\n"}},
                                         "zip:encryption=zipcrypt", "not-in-the-mail");
  auto attach = [](const std::string& name, const std::string& bytes) {
    return "--b\r\nContent-Type: application/octet-stream\r\nContent-Disposition: attachment; "
           "filename=\"" +
           name + "\"\r\nContent-Transfer-Encoding: base64\r\n\r\n" + mime::encode_base64(bytes) +
           "\r\n";
  };
  const std::string raw =
      "From: a@example.com\r\nTo: b@example.org\r\nSubject: q3\r\nMIME-Version: 1.0\r\n"
      "Content-Type: multipart/mixed; boundary=\"b\"\r\n\r\n--b\r\n"
      "Content-Type: text/plain\r\n\r\nthe figures\r\n" +
      attach("q3.docx", test::zip({{"q3.docx", docx}})) + attach("more.zip", locked) + "--b--\r\n";
  auto r = run_dlp(kCards, raw);
  CHECK(has(r, "DLP_CARDS"));
  REQUIRE(has(r, "DLP_UNREADABLE"));
  CHECK(r.event["postern"]["dlp_unread"][0] ==
        "more.zip/more.csv (part 1.3): encrypted, and no password in the mail opens it");
  CHECK(r.verdict.action == core::Action::Reject);
  // Attachments off: the body alone has no card.
  auto off = run_dlp("[dlp]\nattachments = false\n" + kCards, raw);
  CHECK_FALSE(has(off, "DLP_CARDS"));
  CHECK_FALSE(has(off, "DLP_UNREADABLE"));
}

TEST_CASE("a PDF attachment is read by the reader the policy names", "[dlp][stage]") {
  const std::string raw =
      "From: a@example.com\r\nTo: b@example.org\r\nSubject: q3\r\nMIME-Version: 1.0\r\n"
      "Content-Type: multipart/mixed; boundary=\"b\"\r\n\r\n--b\r\n"
      "Content-Type: text/plain\r\n\r\nthe figures\r\n--b\r\nContent-Type: application/pdf\r\n"
      "Content-Disposition: attachment; filename=\"cards.pdf\"\r\n"
      "Content-Transfer-Encoding: base64\r\n\r\n" +
      mime::encode_base64(test::pdf_pages({"card 4241 9602 0928 2256", "and 5206932327216243"})) +
      "\r\n--b--\r\n";
  const std::string reader = "[dlp]\npdf_reader = \"" POSTERN_PDFTEXT_BIN "\"\n";
  auto r = run_dlp(reader + kCards, raw);
  CHECK(has(r, "DLP_CARDS"));
  CHECK_FALSE(has(r, "DLP_UNREADABLE"));
  // No reader: the PDF is named unreadable, and its cards are not seen.
  auto none = run_dlp("[dlp]\npdf_reader = \"\"\n" + kCards, raw);
  CHECK_FALSE(has(none, "DLP_CARDS"));
  REQUIRE(has(none, "DLP_UNREADABLE"));
  CHECK(none.event["postern"]["dlp_unread"][0] ==
        "cards.pdf (part 1.2): PDF text is not read ([dlp] pdf_reader)");
  // The service follows the policy: its reader and how many run at once.
  auto p = parse_dlp(reader + "pdf_readers = 3\n" + kCards);
  REQUIRE(p);
  auto svc = pdf_service(*p);
  REQUIRE(svc);
  CHECK(svc->options().program == POSTERN_PDFTEXT_BIN);
  CHECK(svc->options().readers == 3);
  // The message's PDF time: 10 s by default, never under one PDF's deadline.
  CHECK(p->sections.section<dlp::DlpPolicy>("dlp").pdf_total == std::chrono::milliseconds(10000));
  auto longer = parse_dlp(reader + "pdf_timeout_ms = 20000\n" + kCards);
  REQUIRE(longer);
  CHECK(longer->sections.section<dlp::DlpPolicy>("dlp").pdf_total ==
        std::chrono::milliseconds(20000));
  auto off = parse_dlp(reader);  // no rule on: no reader
  REQUIRE(off);
  CHECK_FALSE(pdf_service(*off));
}

TEST_CASE("[dlp] errors name file:line:column", "[dlp][policy]") {
  struct Row {
    std::string text, want;
  };
  const Row rows[] = {
      {"[dlp.rules.x]\ndetectors = [\"cards\"]\n", "dlp.toml:2:"},
      {"[dlp]\npdf_reader = \"postern-pdftext\"\n", "dlp.toml:2:"},
      {"[dlp]\npdf_readers = 0\n", "dlp.toml:2:"},
      {"[dlp]\npdf_timeout_ms = 5000\npdf_total_ms = 1000\n", "dlp.toml:3:"},
      {"[dlp.rules.x]\ndetectors = [\"card\"]\naction = \"seal\"\n", "dlp.toml:3:"},
      {"[dlp.rules.x]\ndetectors = [\"card\"]\nmin_confidence = \"sure\"\n", "dlp.toml:3:"},
      {"[dlp.rules.x]\npatterns = ['(']\n", "dlp.toml:2:"},
      {"[dlp.rules.x]\npatterns = ['a*']\n", "dlp.toml:2:"},
      {"[dlp.rules.x]\nmin_count = 2\n", "dlp.toml:1:"},
      {"[dlp.rules.Bad]\ndetectors = [\"card\"]\n", "dlp.toml:1:"},
      {"[dlp.rules.x]\ndetectors = [\"card\"]\ncolour = 1\n", "dlp.toml:3:"},
      {"[dlp.keywords]\ncards = [\"x\"]\n", "dlp.toml:2:"},
  };
  for (const auto& row : rows) {
    INFO(row.text);
    auto p = parse_dlp(row.text);
    REQUIRE_FALSE(p);
    CHECK(policy::to_string(p.error()).find(row.want) != std::string::npos);
  }
}

TEST_CASE("the shipped policies load, their DLP rules are off, and `enabled = true` turns one on",
          "[dlp][policy]") {
  auto p = policy::load_policy({POSTERN_SOURCE_DIR "/policies"}, scan::policy_sections());
  if (!p) FAIL(policy::to_string(p.error()));
  const auto& dp = p->sections.section<dlp::DlpPolicy>("dlp");
  CHECK(dp.rules.size() == 5);
  CHECK_FALSE(dp.any_enabled());
  CHECK_FALSE(p->outbound.rules.contains("DLP_CARDS"));
  test::TempDir d;
  d.write("local/90-dlp.toml", "[dlp.rules.cards]\nenabled = true\n");
  auto on = policy::load_policy({POSTERN_SOURCE_DIR "/policies", d.str() + "/local"},
                                scan::policy_sections());
  if (!on) FAIL(policy::to_string(on.error()));
  CHECK(on->outbound.rules.at("DLP_CARDS").action == core::Action::Quarantine);
  const std::string card_mail = mail("card 4241 9602 0928 2256 and card 5206932327216243");
  auto scanner = dlp::DlpScanner::build(on->sections.section<dlp::DlpPolicy>("dlp"));
  REQUIRE(scanner);
  const auto rep = (*scanner)->scan({card_mail}, core::Direction::Outbound);
  REQUIRE(rep.hits.size() == 1);
  CHECK(rep.hits[0].symbol == "DLP_CARDS");
}
