// Tests for content::HeuristicsStage with the shipped [heuristics] lists: each
// heuristic fires on a small message that has the trait and not on one that
// does not; details say what matched and where. Plus the [heuristics] reader.
#include "content/heuristics.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <string>
#include <vector>

#include "auth/dmarc.hpp"
#include "core/transaction.hpp"
#include "mime/stage.hpp"
#include "policy/policy.hpp"
#include "scan/registry.hpp"
#include "support/expect_error.hpp"

using namespace postern;

namespace {

const content::HeuristicsPolicy& shipped() {
  static const content::HeuristicsPolicy p = [] {
    auto pol = policy::load_policy({POSTERN_SOURCE_DIR "/policies"}, scan::policy_sections());
    INFO((pol ? std::string() : policy::to_string(pol.error())));
    REQUIRE(pol);
    return pol->sections.section<content::HeuristicsPolicy>("heuristics");
  }();
  return p;
}

const content::HeuristicsStage& stage() {
  static const content::HeuristicsStage s(
      shipped(), std::shared_ptr<const auth::PublicSuffix>(&auth::PublicSuffix::instance(),
                                                           [](const auth::PublicSuffix*) {}));
  return s;
}

std::vector<core::Finding> run_heuristics(const std::string& msg,
                                          const std::string& mail_from = "") {
  core::ConnectionInfo conn;
  core::Transaction tx(conn, core::Direction::Inbound, core::Limits{}, nullptr, "id");
  tx.envelope().mail_from = mail_from;
  tx.set_message(core::Message(msg));
  mime::MimeStage mime;
  CHECK(mime.on_message(tx).kind == core::Step::Kind::Continue);
  CHECK(stage().on_message(tx).kind == core::Step::Kind::Continue);
  return tx.findings();
}

const core::Finding* find(const std::vector<core::Finding>& fs, std::string_view sym) {
  for (const auto& f : fs)
    if (f.symbol == sym) return &f;
  return nullptr;
}

// A plain message: headers + "\r\n" + body.
std::string plain(const std::string& from, const std::string& subject, const std::string& body,
                  const std::string& extra = "") {
  return "From: " + from + "\r\nTo: bob@example.org\r\nSubject: " + subject +
         "\r\nDate: Tue, 1 Jul 2025 10:52:37 +0000\r\nMessage-ID: <1@x>\r\n" + extra + "\r\n" +
         body + "\r\n";
}

std::string html_msg(const std::string& from, const std::string& subject, const std::string& body,
                     const std::string& extra = "") {
  return plain(from, subject, body, extra + "Content-Type: text/html; charset=utf-8\r\n");
}

// multipart/alternative: a text part and an HTML part.
std::string alternative(const std::string& from, const std::string& text, const std::string& htm) {
  return plain(from, "news",
               "--b\r\nContent-Type: text/plain\r\n\r\n" + text +
                   "\r\n--b\r\nContent-Type: text/html\r\n\r\n" + htm + "\r\n--b--",
               "MIME-Version: 1.0\r\nContent-Type: multipart/alternative; boundary=b\r\n");
}

const std::string kText =
    "Hello Bob, the minutes of Tuesday's meeting are below; please send corrections by "
    "Friday. We agreed to move the release to next month and to review the test plan.";

}  // namespace

TEST_CASE("each heuristic fires on its trait and not on ordinary mail", "[heuristics]") {
  struct Row {
    std::string name;
    std::string msg;
    std::string symbol;
    bool fires;
    std::string mail_from = "";
    std::string detail = "";  // a substring of the detail, when it fires
  };
  const std::string alice = "Alice <alice@example.com>";
  const std::vector<Row> rows = {
      // Brand impersonation.
      {"brand in the display name from another domain",
       plain("\"PayPal Service\" <service@paypa1-secure.com>", "hello", kText),
       "PHISH_BRAND_FROM_NAME", true, "",
       "brand \"PayPal\" from paypa1-secure.com in from.display: \"PayPal Service\""},
      {"brand in the display name from its own domain",
       plain("PayPal <service@mail.paypal.com>", "hello", kText), "PHISH_BRAND_FROM_NAME", false},
      {"brand in capitals", plain("\"MICROSOFT ACCOUNT\" <a@evil.test>", "hi", kText),
       "PHISH_BRAND_FROM_NAME", true},
      {"brand written with look-alike digits",
       plain("\"C0STC0 Member\" <m@pisoyalquiler.test>", "hi", kText), "PHISH_BRAND_FROM_NAME",
       true, "", "brand \"Costco\" from pisoyalquiler.test"},
      {"brand with an apostrophe and a hyphen",
       plain("\"Sam's Club\" <m@x.test>", "T-Mobile", kText), "PHISH_BRAND_SUBJECT", true, "",
       "brand \"T-Mobile\""},
      {"lower-case word is not the brand", plain("\"apple farm\" <a@farm.test>", "hi", kText),
       "PHISH_BRAND_FROM_NAME", false},
      {"a longer word holding the brand is not it",
       plain("\"Upsilon Lab\" <a@lab.test>", "UPSTREAM", kText), "PHISH_BRAND_FROM_NAME", false},
      {"multi-word brand", plain(alice, "Your Bank of America account is locked", kText),
       "PHISH_BRAND_SUBJECT", true, "", "brand \"Bank of America\" from example.com in subject"},
      {"brand in the subject from its domain",
       plain("DHL <noreply@dhl.com>", "Your DHL parcel", kText), "PHISH_BRAND_SUBJECT", false},
      {"brand in the body only", plain(alice, "hello", kText + " Pay with PayPal."),
       "PHISH_BRAND_BODY", true, "", "in body.text (part 1)"},
      {"no brand in the body", plain(alice, "hello", kText), "PHISH_BRAND_BODY", false},
      // Credential harvesting.
      {"a form posting elsewhere",
       html_msg(alice, "login",
                "<form action=\"https://collect.evil.test/p.php\"><input type=password></form>"),
       "PHISH_FORM_EXTERNAL", true, "",
       "a form with a password field that posts to collect.evil.test"},
      {"a form posting to the sender's own site",
       html_msg(alice, "survey", "<form action=\"https://www.example.com/survey\"></form>"),
       "PHISH_FORM_EXTERNAL", false},
      {"a link to free hosting",
       html_msg(alice, "doc", "<a href=\"https://secure-login-77.web.app/x\">open</a>"),
       "PHISH_FREE_HOSTING_LINK", true, "", "(web.app) in url (part 1)"},
      {"a Google form by path",
       html_msg(alice, "doc", "<a href=\"https://docs.google.com/forms/d/e/x/viewform\">open</a>"),
       "PHISH_FREE_HOSTING_LINK", true},
      {"a Google document is not a form",
       html_msg(alice, "doc", "<a href=\"https://docs.google.com/document/d/x\">open</a>"),
       "PHISH_FREE_HOSTING_LINK", false},
      {"a host that only ends like the entry",
       html_msg(alice, "doc", "<a href=\"https://myweb.app.example.net/\">open</a>"),
       "PHISH_FREE_HOSTING_LINK", false},
      {"an IPFS gateway",
       html_msg(alice, "doc", "<a href=\"https://bafybei.ipfs.dweb.link/login.html\">open</a>"),
       "PHISH_IPFS_LINK", true},
      {"an IPFS path on any host",
       html_msg(alice, "doc", "<a href=\"https://gw.example.net/ipfs/bafybei/x\">open</a>"),
       "PHISH_IPFS_LINK", true},
      {"a shortener", plain(alice, "see", kText + " https://bit.ly/3abc"), "URL_SHORTENER", true},
      {"a javascript link", html_msg(alice, "x", "<a href=\"javascript:alert(1)\">click</a>"),
       "URL_SCRIPT_OR_DATA", true},
      {"a data: image is not a link",
       html_msg(alice, "x", "<img src=\"data:image/png;base64,AAAA\">" + kText),
       "URL_SCRIPT_OR_DATA", false},
      {"a public raw IP", html_msg(alice, "x", "<a href=\"http://203.0.113.9/login\">log in</a>"),
       "URL_IP_HOST", true},
      {"a private IP in list mail", plain(alice, "x", kText + " http://192.168.10.2/ is the radio"),
       "URL_IP_HOST", false},
      // A host named by its IP address: cloud, shared-server and home-line generic names.
      {"a cloud machine's generic name",
       html_msg(alice, "x",
                "<a href=\"http://ec2-52-13-70-23.us-west-2.compute.amazonaws.com/a\">open</a>"),
       "URL_IP_NAMED_HOST", true, "", "host named by its IP address (ec2-52-13-70-23."},
      {"a shared server's name, dotted",
       html_msg(alice, "x", "<a href=\"htTPs://93.182.153.160.host.secureserver.net/T\">see</a>"),
       "URL_IP_NAMED_HOST", true},
      {"a home line's name, mixed separators",
       plain(alice, "x", kText + " http://62.144-142-203.dart.iprimus.net.au/login"),
       "URL_IP_NAMED_HOST", true},
      {"a raw IP is URL_IP_HOST, not this",
       html_msg(alice, "x", "<a href=\"http://203.0.113.9/login\">log in</a>"), "URL_IP_NAMED_HOST",
       false},
      {"a private address in a name is lab equipment",
       plain(alice, "x", kText + " http://ip-10-0-1-17.ec2.internal:8080/ is the runner"),
       "URL_IP_NAMED_HOST", false},
      {"three numbers are not an address",
       plain(alice, "x", kText + " http://v2-10-3.cdn.example.net/"), "URL_IP_NAMED_HOST", false},
      {"a number of four digits is not an octet",
       plain(alice, "x", kText + " http://news-2024-12-05.example.com/"), "URL_IP_NAMED_HOST",
       false},
      {"numbers glued to a word do not start an address",
       plain(alice, "x", kText + " http://v1.2.3.4.example.com/"), "URL_IP_NAMED_HOST", false},
      {"an octet over 255", plain(alice, "x", kText + " http://300-1-2-3.example.com/"),
       "URL_IP_NAMED_HOST", false},
      {"an image from such a host (a tracking pixel) counts too",
       html_msg(alice, "x", "<img src=\"http://52-13-70-23.example.net/p.gif\">" + kText),
       "URL_IP_NAMED_HOST", true},
      // Link text that shows another domain.
      {"link text shows another domain",
       html_msg(alice, "x", "<a href=\"https://evil.test/p\">https://www.paypal.com/signin</a>"),
       "PHISH_LINK_TEXT_MISMATCH", true, "",
       "link text shows www.paypal.com but goes to evil.test"},
      {"bare domain as link text",
       html_msg(alice, "x", "<a href=\"https://evil.test/p\">paypal.com</a>"),
       "PHISH_LINK_TEXT_MISMATCH", true},
      {"same registrable domain",
       html_msg(alice, "x", "<a href=\"https://click.example.com/p\">www.example.com</a>"),
       "PHISH_LINK_TEXT_MISMATCH", false},
      {"a file name is not a domain",
       html_msg(alice, "x", "<a href=\"https://cdn.example.net/r.pdf\">report.pdf</a>"),
       "PHISH_LINK_TEXT_MISMATCH", false},
      {"words are not a domain",
       html_msg(alice, "x", "<a href=\"https://evil.test/\">click here</a>"),
       "PHISH_LINK_TEXT_MISMATCH", false},
      // HTML-only mail.
      {"HTML only", html_msg(alice, "x", "<p>" + kText + "</p>"), "HTML_ONLY", true},
      {"text and HTML alternatives", alternative(alice, kText, "<p>" + kText + "</p>"), "HTML_ONLY",
       false},
      // Lure attachments.
      {"an HTML page attached to an empty note",
       plain(alice, "invoice",
             "--b\r\nContent-Type: text/plain\r\n\r\nSee attached.\r\n--b\r\nContent-Type: "
             "text/html; name=\"Invoice_0042.html\"\r\nContent-Disposition: attachment; "
             "filename=\"Invoice_0042.html\"\r\n\r\n<form></form>\r\n--b--",
             "MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n"),
       "ATTACH_HTML_ONLY", true, "", "in attachment.name (part 1.2): \"Invoice_0042.html\""},
      {"an HTML attachment with a real letter",
       plain(alice, "page",
             "--b\r\nContent-Type: text/plain\r\n\r\n" + kText + " " + kText + " " + kText +
                 "\r\n--b\r\nContent-Type: text/html\r\nContent-Disposition: attachment; "
                 "filename=\"page.html\"\r\n\r\n<p>x</p>\r\n--b--",
             "MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n"),
       "ATTACH_HTML_ONLY", false},
      {"one image and no text",
       html_msg(alice, "scan",
                "<a href=\"https://evil.test/\"><img src=\"https://evil.test/qr.png\"></a>"),
       "IMAGE_LURE", true},
      {"an image in a real letter",
       html_msg(alice, "photo", "<p>" + kText + "</p><img src=\"https://example.com/p.png\">"),
       "IMAGE_LURE", false},
      // Unicode tricks.
      {"RLO in an attachment name",
       plain(alice, "doc",
             "--b\r\nContent-Type: text/plain\r\n\r\n" + kText +
                 "\r\n--b\r\nContent-Type: application/octet-stream\r\nContent-Disposition: "
                 "attachment; filename*=utf-8''invoice%E2%80%AEfdp.exe\r\n\r\nAAAA\r\n--b--",
             "MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n"),
       "UNICODE_BIDI_CONTROL", true, "", "in attachment.name (part 1.2)"},
      {"RLO in the subject", plain(alice, "=?utf-8?q?pay=E2=80=AEnow?=", kText),
       "UNICODE_BIDI_CONTROL", true},
      {"Hebrew display name with no control",
       plain("=?utf-8?b?16nXnNeV150=?= <a@example.co.il>", "x", kText), "UNICODE_BIDI_CONTROL",
       false},
      {"Cyrillic a in a Latin display name",
       plain("=?utf-8?q?P=D0=B0yPal?= <a@evil.test>", "x", kText), "UNICODE_MIXED_SCRIPT_NAME",
       true, "", "in from.display: \"P\xd0\xb0yPal\""},
      {"all-Cyrillic display name",
       plain("=?utf-8?q?=D0=98=D0=B2=D0=B0=D0=BD?= <a@x.ru>", "x", kText),
       "UNICODE_MIXED_SCRIPT_NAME", false},
      // Header mismatches.
      {"Reply-To to another domain", plain(alice, "x", kText, "Reply-To: a@other.test\r\n"),
       "HDR_REPLY_TO_DOMAIN", true},
      {"Reply-To in the same organization",
       plain(alice, "x", kText, "Reply-To: a@lists.example.com\r\n"), "HDR_REPLY_TO_DOMAIN", false},
      {"Reply-To to freemail from a company",
       plain("CEO <ceo@example.com>", "x", kText, "Reply-To: ceo.private@gmail.com\r\n"),
       "FREEMAIL_REPLY_TO", true, "", "replies go to freemail (gmail.com) from example.com"},
      {"Reply-To to freemail from freemail",
       plain("Bob <bob@yahoo.com>", "x", kText, "Reply-To: bob@gmail.com\r\n"), "FREEMAIL_REPLY_TO",
       false},
      {"MAIL FROM in another domain", plain(alice, "x", kText), "HDR_RETURN_PATH_DOMAIN", true,
       "bounce@esp.test"},
      {"MAIL FROM in the same organization", plain(alice, "x", kText), "HDR_RETURN_PATH_DOMAIN",
       false, "bounce@mail.example.com"},
      {"company name on freemail",
       plain("\"Acme Payroll Department\" <acme@gmail.com>", "x", kText), "FREEMAIL_COMPANY_NAME",
       true, "", "an organization's name on freemail (gmail.com)"},
      {"a person on freemail", plain("Jane Doe <jane@gmail.com>", "x", kText),
       "FREEMAIL_COMPANY_NAME", false},
      {"undisclosed recipients",
       "From: a@example.com\r\nTo: undisclosed-recipients:;\r\nSubject: x\r\n\r\nbody\r\n",
       "HDR_UNDISCLOSED_RECIPIENTS", true},
      {"no To", "From: a@example.com\r\nSubject: x\r\n\r\nbody\r\n", "HDR_UNDISCLOSED_RECIPIENTS",
       true, "", "no To field"},
      {"a To", plain(alice, "x", kText), "HDR_UNDISCLOSED_RECIPIENTS", false},
      {"Date a month before Received",
       plain(alice, "x", kText, "Received: from a by b; Fri, 1 Aug 2025 10:00:00 +0000\r\n"),
       "HDR_DATE_FAR", true, "", "h before the newest Received"},
      {"Date a minute before Received",
       plain(alice, "x", kText, "Received: from a by b; Tue, 1 Jul 2025 10:53:37 +0000\r\n"),
       "HDR_DATE_FAR", false},
      {"Date three days after Received",
       plain(alice, "x", kText, "Received: from a by b; Sat, 28 Jun 2025 10:00:00 +0000\r\n"),
       "HDR_DATE_FAR", true, "", "h after the newest Received"},
  };
  for (const auto& r : rows) {
    INFO(r.name);
    auto fs = run_heuristics(r.msg, r.mail_from);
    const core::Finding* f = find(fs, r.symbol);
    CHECK((f != nullptr) == r.fires);
    if (f && !r.detail.empty()) {
      INFO(f->detail);
      CHECK(f->detail.find(r.detail) != std::string::npos);
    }
  }
}

TEST_CASE("an ordinary letter with both alternatives has no heuristic finding", "[heuristics]") {
  auto fs = run_heuristics(alternative("Alice <alice@example.com>", kText, "<p>" + kText + "</p>"),
                           "alice@example.com");
  std::vector<std::string> syms;
  for (const auto& f : fs)
    if (f.symbol.find("MIME_") != 0) syms.push_back(f.symbol);
  CHECK(syms.empty());
}

TEST_CASE("unicode helpers find bidi controls and mixed-script words", "[heuristics]") {
  CHECK(content::find_bidi_control("abc\xe2\x80\xae"
                                   "def") == 3);
  CHECK(content::find_bidi_control("abc\xe2\x81\xa7") == 3);
  CHECK(content::find_bidi_control("abc\xe2\x80\x8f") == std::string_view::npos);  // RLM is fine
  CHECK(content::mixed_script_word("hello \xce\xb1pple world") == "\xce\xb1pple");
  CHECK(
      content::mixed_script_word("\xd0\x9f\xd1\x80\xd0\xb8\xd0\xb2\xd0\xb5\xd1\x82 world").empty());
  CHECK(content::mixed_script_word("日本語とEnglish").empty());
}

TEST_CASE("[heuristics] lists layer, and bad entries are errors at their position",
          "[heuristics][policy]") {
  const auto& readers = scan::policy_sections();
  auto p = policy::parse_policy(
      "[heuristics]\nfreemail = [\"Example.NET\"]\n[heuristics.brands.acme]\nnames = "
      "[\"Acme\"]\ndomains = [\"acme.test\"]\n",
      "p.toml", readers);
  REQUIRE(p);
  const auto& h = p->sections.section<content::HeuristicsPolicy>("heuristics");
  CHECK(h.freemail == std::vector<std::string>{"example.net"});
  REQUIRE(h.brands.size() == 1);
  CHECK(h.brands[0].names == std::vector<std::string>{"Acme"});

  auto bad =
      policy::parse_policy("[heuristics]\nfreemail = [\"not a domain\"]\n", "p.toml", readers);
  REQUIRE_FALSE(bad);
  test::check_single_error(bad.error(), {"p.toml", 2, 12, "not a domain"});
  auto nodomains =
      policy::parse_policy("[heuristics.brands.acme]\nnames = [\"Acme\"]\n", "p.toml", readers);
  REQUIRE_FALSE(nodomains);
  test::check_single_error(nodomains.error(), {"p.toml", 1, 1, "domains"});
  auto unknown = policy::parse_policy("[heuristics]\nbogus = 1\n", "p.toml", readers);
  REQUIRE_FALSE(unknown);
  test::check_single_error(unknown.error(), {"p.toml", 2, 1, "bogus"});
}
