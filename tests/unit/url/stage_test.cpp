// Tests for the url stage (extraction from every place, the reading's findings,
// feeds, the limit, the event) and the uribl stage (local zone data through
// lib/dns), and the [url] policy section.
#include "url/stage.hpp"

#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "attach/stage.hpp"
#include "core/transaction.hpp"
#include "mime/stage.hpp"
#include "policy/policy.hpp"
#include "scan/registry.hpp"
#include "support/files.hpp"
#include "support/silent_server.hpp"
#include "support/temp_dir.hpp"
#include "url/registration.hpp"

using namespace postern;
using postern::test::TempDir;

namespace {

using postern::test::slurp;

struct Run {
  std::vector<core::Finding> findings;
  url::UrlList list;
  size_t uribl_lookups = 0;
  nlohmann::json event;

  const core::Finding* find(std::string_view sym) const {
    for (const auto& f : findings)
      if (f.symbol == sym) return &f;
    return nullptr;
  }
  std::set<std::string> symbols() const {
    std::set<std::string> out;
    for (const auto& f : findings) out.insert(f.symbol);
    return out;
  }
  const url::FoundUrl* url(std::string_view normalized) const {
    for (const auto& f : list.urls)
      if (f.url.normalized == normalized) return &f;
    return nullptr;
  }
};

Run run(const std::string& msg, const url::UrlStage& stage,
        const attach::AttachStage* attach = nullptr, const url::UriblStage* uribl = nullptr) {
  core::ConnectionInfo conn;
  core::Transaction tx(conn, core::Direction::Inbound, core::Limits{}, nullptr, "id");
  tx.set_message(core::Message(msg));
  mime::MimeStage mime;
  CHECK(mime.on_message(tx).kind == core::Step::Kind::Continue);
  if (attach) CHECK(attach->on_message(tx).kind == core::Step::Kind::Continue);
  CHECK(stage.on_message(tx).kind == core::Step::Kind::Continue);
  if (uribl) CHECK(uribl->on_message(tx).kind == core::Step::Kind::Continue);
  Run r;
  r.findings = tx.findings();
  if (const auto* l = tx.get<url::UrlList>()) r.list = *l;
  if (const auto* u = tx.get<url::UriblReport>()) r.uribl_lookups = u->lookups;
  r.event = {{"postern", nlohmann::json::object()}, {"email", nlohmann::json::object()}};
  for (auto w : url::registration().event_writers) w(tx, r.event);
  return r;
}

std::shared_ptr<url::UrlFeeds> feeds(TempDir& d) {
  url::FeedConfig phish{"phishy",
                        d.write("phish.txt", "evil.example\nhttp://kit.example/p/\n"),
                        url::FeedConfig::Format::List,
                        "phish",
                        "URL_FEED_PHISH",
                        0};
  url::FeedConfig mal{"malw",
                      d.write("mal.txt", "http://203.0.113.5/bins/x.sh\n"),
                      url::FeedConfig::Format::List,
                      "malware",
                      "URL_FEED_MALWARE",
                      0};
  auto f = url::UrlFeeds::start({{phish, mal}, std::chrono::milliseconds(0)});
  REQUIRE(f);
  return *f;
}

url::UrlPolicy policy_with(const std::shared_ptr<url::UrlFeeds>& f, size_t max_urls = 500) {
  url::UrlPolicy p;
  p.max_urls = max_urls;
  if (f) p.feeds = f->config().feeds;
  return p;
}

const std::string kMessage =
    "From: a@sender.example\r\n"
    "To: b@rcpt.example\r\n"
    "Subject: see www.subject.example/x now\r\n"
    "MIME-Version: 1.0\r\n"
    "Content-Type: multipart/alternative; boundary=b\r\n"
    "\r\n"
    "--b\r\n"
    "Content-Type: text/plain; charset=utf-8\r\n"
    "Content-Transfer-Encoding: quoted-printable\r\n"
    "\r\n"
    "Split by QP: https://split.example/a/very/long/path/that/the/encoder/cut/ov=\r\n"
    "er/two/lines.html and defanged hxxps://kit[.]example/p/login.php here.\r\n"
    "--b\r\n"
    "Content-Type: text/html; charset=utf-8\r\n"
    "\r\n"
    "<a href=\"https://paypal.com@evil.example/login\">PayPal</a>\r\n"
    "<a href=\"http://0xcb.0x0.0x71.5/bins/x.sh\">update</a>\r\n"
    "<a href=\"https://eur01.safelinks.protection.outlook.com/?url=https%3A%2F%2Fkit.example%2Fp%"
    "2Fa&amp;data=1\">wrapped</a>\r\n"
    "<a href=\"https://www.google.com/url?q=https://clean.example/\">google</a>\r\n"
    "<a href=\"https://p&#x430;ypal.example/\">mixed</a>\r\n"
    "<a href=\"http://exa<mple\r\n.com/\">bad</a>\r\n"
    "<a href=\"mailto:x@y.example\">mail</a> <a href=\"#top\">top</a>\r\n"
    "<a href=\"HTTPS://Split.Example/a/very/long/path/that/the/encoder/cut/over/two/lines.html\">"
    "again</a>\r\n"
    "--b--\r\n";

}  // namespace

TEST_CASE("the url stage reads every link of a message once, from where it was found") {
  TempDir d;
  auto f = feeds(d);
  url::UrlStage stage(policy_with(f), f);
  Run r = run(kMessage, stage);

  struct Row {
    std::string normalized, source, part;
  };
  // The MIME analysis' links in part order, then defanged text, the Subject, attachments.
  const Row rows[] = {
      {"https://split.example/a/very/long/path/that/the/encoder/cut/over/two/lines.html", "text",
       "1.1"},
      {"https://evil.example/login", "a@href", "1.2"},
      {"http://203.0.113.5/bins/x.sh", "a@href", "1.2"},
      {"https://kit.example/p/a", "a@href", "1.2"},
      {"https://clean.example/", "a@href", "1.2"},
      {"https://xn--pypal-4ve.example/", "a@href", "1.2"},
      {"https://kit.example/p/login.php", "text-defanged", "1.1"},
      {"http://www.subject.example/x", "subject", ""},
  };
  for (const auto& row : rows) {
    CAPTURE(row.normalized);
    const url::FoundUrl* u = r.url(row.normalized);
    REQUIRE(u);
    CHECK(u->source == row.source);
    CHECK(u->part == row.part);
  }
  CHECK(r.list.urls.size() == std::size(rows));  // the second split.example link is the same URL
  CHECK(r.list.unreadable == 1);

  CHECK(r.symbols() == std::set<std::string>{"URL_USERINFO_DOMAIN", "URL_IP_OBFUSCATED",
                                             "URL_IDN_MIXED_SCRIPT", "URL_OBFUSCATED",
                                             "URL_REDIRECTOR", "URL_UNREADABLE", "URL_FEED_PHISH",
                                             "URL_FEED_MALWARE"});
  REQUIRE(r.find("URL_FEED_PHISH"));
  CHECK(r.find("URL_FEED_PHISH")->score == 8.0);
  // evil.example is listed by domain, kit.example by path: one finding, the first and a count
  CHECK(r.find("URL_FEED_PHISH")->detail ==
        "https://evil.example/login (a@href in part 1.2) listed by phishy (domain evil.example) "
        "(and 2 more)");
  CHECK(r.find("URL_FEED_MALWARE")->detail.find("http://203.0.113.5/bins/x.sh") !=
        std::string::npos);
  CHECK(r.find("URL_USERINFO_DOMAIN")->detail.find("\"paypal.com@\"") != std::string::npos);
  CHECK(r.find("URL_REDIRECTOR")->detail.find("through google") != std::string::npos);
  // A detail is one line, whatever the link held.
  CHECK(r.find("URL_UNREADABLE")->detail == "http://exa<mple .com/ (a@href in part 1.2)");
  CHECK(r.url("https://kit.example/p/a")->url.wrapped_by == "safelinks");

  // The event: every URL with its host, domain, where found and feed hits.
  const auto& ev = r.event["postern"]["urls"];
  REQUIRE(ev.size() == std::size(rows));
  CHECK(ev[1]["url"] == "https://evil.example/login");
  CHECK(ev[1]["host"] == "evil.example");
  CHECK(ev[1]["domain"] == "evil.example");
  CHECK(ev[1]["part"] == "1.2");
  CHECK(ev[1]["source"] == "a@href");
  CHECK(ev[1]["feeds"][0]["feed"] == "phishy");
  CHECK(ev[1]["feeds"][0]["match"] == "domain");
  CHECK(ev[2]["feeds"][0]["feed"] == "malw");
  CHECK(ev[2]["feeds"][0]["match"] == "url");
  CHECK_FALSE(ev[2].contains("domain"));  // an IP host has no registrable domain
  CHECK(ev[3]["wrapped_by"] == "safelinks");
  CHECK(ev[3]["feeds"][0]["match"] == "path");
  CHECK(ev[5]["host_unicode"] == "pаypal.example");
  CHECK(ev[6]["defanged"] == true);
  CHECK_FALSE(ev[7].contains("part"));
  CHECK_FALSE(r.event["postern"].contains("urls_dropped"));
}

TEST_CASE("without feeds the stage still reads and checks links") {
  url::UrlStage stage(url::UrlPolicy{}, nullptr);
  Run r = run(kMessage, stage);
  CHECK(r.list.urls.size() == 8);
  CHECK_FALSE(r.find("URL_FEED_PHISH"));
  CHECK(r.find("URL_IP_OBFUSCATED"));
}

TEST_CASE("an IPv4-mapped IPv6 link is read, and checked as the IPv4 address it reaches") {
  TempDir d;
  auto f = feeds(d);
  url::UrlStage stage(policy_with(f), f);
  Run r =
      run("From: a@b.example\r\nContent-Type: text/html\r\n\r\n"
          "<a href=\"http://[::ffff:203.0.113.5]/bins/x.sh\">x</a> "
          "<a href=\"https://[2001:db8::1]/\">y</a>\r\n",
          stage);
  CHECK(r.symbols() == std::set<std::string>{"URL_FEED_MALWARE", "URL_IP_OBFUSCATED"});
  CHECK(r.list.unreadable == 0);
  REQUIRE(r.list.urls.size() == 2);
  CHECK(r.list.urls[0].url.normalized == "http://[::ffff:cb00:7105]/bins/x.sh");
  CHECK(r.list.urls[1].url.normalized == "https://[2001:db8::1]/");
}

TEST_CASE("relative links are checked as the URL their part's <base href> makes of them") {
  TempDir d;
  auto f = feeds(d);
  url::UrlStage stage(policy_with(f), f);
  const std::string head = "From: a@b.example\r\nContent-Type: text/html\r\n\r\n";
  struct Row {
    std::string name, html;
    std::vector<std::string> urls;  // normalized, in order
    bool phish;
  };
  const Row rows[] = {
      {"a phisher's base makes a relative link go to the kit",
       "<head><base href=\"https://evil.example/\"></head><a href=\"login\">Sign in</a>",
       {"https://evil.example/", "https://evil.example/login"},
       true},
      {"the first base href counts; a later one does not",
       "<base href=\"https://clean.example/d/\"><base href=\"https://evil.example/\">"
       "<a href=\"../login\">x</a>",
       {"https://clean.example/d/", "https://evil.example/", "https://clean.example/login"},
       true},  // the second base is a link too, listed
      {"a non-http base resolves nothing",
       "<base href=\"javascript:void(0)\"><a href=\"login\">x</a>",
       {},
       false},
      {"without a base, relative links stay unchecked", "<a href=\"login\">x</a>", {}, false},
  };
  for (const auto& row : rows) {
    CAPTURE(row.name);
    Run r = run(head + row.html + "\r\n", stage);
    std::vector<std::string> got;
    for (const auto& u : r.list.urls) got.push_back(u.url.normalized);
    CHECK(got == row.urls);
    CHECK(bool(r.find("URL_FEED_PHISH")) == row.phish);
    CHECK(r.list.unreadable == 0);
  }
  Run r = run(head + rows[0].html + "\r\n", stage);
  REQUIRE(r.list.urls.size() == 2);
  CHECK(r.list.urls[1].based);
  CHECK(r.list.urls[1].source == "a@href");
  CHECK(r.event["postern"]["urls"][1]["base"] == true);
}

TEST_CASE("more distinct URLs than max_urls: the rest are counted, not checked") {
  std::string body;
  for (int i = 0; i < 10; ++i) body += "http://host" + std::to_string(i) + ".example/ ";
  body += "http://host0.example/ http://host1.example/\r\n";  // repeats do not count
  const std::string msg = "From: a@b.example\r\nSubject: x\r\n\r\n" + body;
  url::UrlStage stage(policy_with(nullptr, 3), nullptr);
  Run r = run(msg, stage);
  CHECK(r.list.urls.size() == 3);
  CHECK(r.list.dropped == 7);
  REQUIRE(r.find("URL_LIMIT"));
  CHECK(r.find("URL_LIMIT")->detail == "7 distinct URLs beyond max_urls = 3 not checked");
  CHECK(r.event["postern"]["urls"].size() == 3);
  CHECK(r.event["postern"]["urls_dropped"] == 7);
}

TEST_CASE("links in PDF and Office attachments are read too") {
  auto pol = policy::load_policy({POSTERN_SOURCE_DIR "/policies"}, scan::policy_sections());
  REQUIRE(pol);
  attach::AttachStage attach(pol->sections.section<attach::AttachPolicy>("attachments"), {});
  const std::string pdf =
      "%PDF-1.4\n1 0 obj\n<< /Type /Annot /Subtype /Link /A << /S /URI /URI "
      "(http://pdf-link.example/invoice) >> >>\nendobj\ntrailer\n<< >>\n%%EOF\n";
  const std::string msg =
      "From: a@b.example\r\nSubject: x\r\nMIME-Version: 1.0\r\n"
      "Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n"
      "Content-Type: text/plain\r\n\r\nsee attached\r\n--b\r\n"
      "Content-Type: application/pdf; name=a.pdf\r\n"
      "Content-Disposition: attachment; filename=a.pdf\r\n\r\n" +
      pdf + "\r\n--b--\r\n";
  url::UrlStage stage(url::UrlPolicy{}, nullptr);
  Run r = run(msg, stage, &attach);
  const url::FoundUrl* u = r.url("http://pdf-link.example/invoice");
  REQUIRE(u);
  CHECK(u->source == "pdf");
  CHECK(u->part == "1.2");
}

TEST_CASE("the phishing corpus: every URL found reads back to itself") {
  url::UrlStage stage(url::UrlPolicy{}, nullptr);
  const std::string dir = POSTERN_CORPUS_DIR "/phish/nazario";
  size_t messages = 0, urls = 0;
  for (int i = 0; i < 40; ++i) {
    char name[64];
    snprintf(name, sizeof name, "/nazario0-%05d.eml", i);
    if (!std::filesystem::exists(dir + name)) continue;
    ++messages;
    Run r = run(slurp(dir + name), stage);
    for (const auto& f : r.list.urls) {
      ++urls;
      CAPTURE(f.url.normalized);
      auto again = url::parse_one(f.url.normalized);
      REQUIRE(again);
      CHECK(again->normalized == f.url.normalized);  // normalization is idempotent
      CHECK(f.url.web());
      CHECK_FALSE(f.url.host.empty());
    }
  }
  CHECK(messages == 40);
  CHECK(urls > 40);
}

namespace {

std::shared_ptr<dns::Resolver> uribl_resolver(uint16_t silent_port) {
  dns::Options o;
  o.forwarders = {"127.0.0.1@" + std::to_string(silent_port)};
  o.timeout = std::chrono::milliseconds(3000);
  o.local_data = {
      "local-zone: \"dbl.example.\" static",
      "evil.example.dbl.example. A 127.0.1.4",
      "evil.example.dbl.example. TXT \"https://dbl.example/evil.example\"",
      "spam.example.dbl.example. A 127.0.1.2",
      "refused.example.dbl.example. A 127.255.255.254",
      "5.113.0.203.dbl.example. A 127.0.1.2",
  };
  auto r = dns::Resolver::create(o);
  REQUIRE(r);
  return *r;
}

policy::DnsblZone dbl() {
  policy::DnsblZone z;
  z.name = "dbl";
  z.zone = "dbl.example";
  z.symbol = "URIBL_DBL";
  z.score = 3;
  z.codes["127.0.1.4"] = {"URIBL_DBL_PHISH", 8};
  return z;
}

}  // namespace

TEST_CASE("the uribl stage asks registrable domains and public addresses, mapping codes") {
  test::SilentServer silent;
  auto cache = std::make_shared<reputation::DnsblCache>(100);
  url::UriblStage uribl(uribl_resolver(silent.port), 50, 20, {dbl()}, cache);
  url::UrlStage stage(url::UrlPolicy{}, nullptr);
  const std::string msg =
      "From: a@b.example\r\nSubject: x\r\n\r\n"
      "http://www.evil.example/a http://login.evil.example/b http://spam.example/ "
      "http://refused.example/ http://clean.example/ http://203.0.113.5/ "
      "http://10.1.2.3/ http://192.168.1.1/ http://[::ffff:cb00:7105]/ "
      "http://[::ffff:10.1.2.3]/\r\n";
  Run r = run(msg, stage, nullptr, &uribl);
  CHECK(r.symbols() == std::set<std::string>{"URIBL_DBL_PHISH", "URIBL_DBL", "URIBL_ERROR",
                                             "URL_IP_OBFUSCATED"});  // the mapped ones
  REQUIRE(r.find("URIBL_DBL_PHISH"));
  CHECK(r.find("URIBL_DBL_PHISH")->score == 8);
  CHECK(r.find("URIBL_DBL_PHISH")->detail ==
        "evil.example listed by dbl.example (127.0.1.4): https://dbl.example/evil.example");
  CHECK(r.find("URIBL_DBL")->detail ==
        "spam.example listed by dbl.example (127.0.1.2) (and 1 more)");
  const auto& ev = r.event["postern"]["urls"];
  CHECK(ev[0]["uribl"] == nlohmann::json::array({"dbl.example"}));
  CHECK(ev[5]["uribl"] == nlohmann::json::array({"dbl.example"}));  // 203.0.113.5 reversed
  CHECK_FALSE(ev[4].contains("uribl"));
  // An IPv4-mapped literal is its IPv4 address: 203.0.113.5 again (asked once), 10.1.2.3.
  CHECK(ev[8]["host"] == "[::ffff:cb00:7105]");
  CHECK(ev[8]["uribl"] == nlohmann::json::array({"dbl.example"}));
  // Private addresses are never asked: 5 names (evil, spam, refused, clean, 203.0.113.5).
  CHECK(r.uribl_lookups == 5);
}

TEST_CASE("the uribl stage asks at most max_uribl_lookups names per message") {
  test::SilentServer silent;
  url::UriblStage uribl(uribl_resolver(silent.port), 50, 1, {dbl()},
                        std::make_shared<reputation::DnsblCache>(100));
  url::UrlStage stage(url::UrlPolicy{}, nullptr);
  Run r = run("From: a@b.example\r\n\r\nhttp://clean.example/ http://evil.example/\r\n", stage,
              nullptr, &uribl);
  CHECK(r.symbols().empty());  // evil.example is the second name: never asked
  CHECK(r.uribl_lookups == 1);
}

TEST_CASE("[url] policy: feeds and zones layer by name, errors name file:line:column") {
  TempDir d;
  d.write("pol/10.toml",
          "[url]\nmax_urls = 50\n"
          "[[url.feed]]\nname = \"a\"\npath = \"feeds/a.txt\"\n"
          "[[url.feed]]\nname = \"b\"\npath = \"/abs/b.csv\"\nformat = \"urlhaus\"\n"
          "category = \"malware\"\n"
          "[url.uribl.dbl]\nzone = \"dbl.example\"\nsymbol = \"URIBL_DBL\"\nscore = 2\n");
  d.write("pol/20.toml",
          "[[url.feed]]\nname = \"a\"\npath = \"other.txt\"\nsymbol = \"MY_FEED\"\nscore = 4\n"
          "[[url.feed]]\nname = \"b\"\nenabled = false\n");
  auto p = policy::load_policy({d.str() + "/pol"}, scan::policy_sections());
  INFO((p ? std::string() : policy::to_string(p.error())));
  REQUIRE(p);
  const auto& u = p->sections.section<url::UrlPolicy>("url");
  CHECK(u.max_urls == 50);
  REQUIRE(u.feeds.size() == 1);
  CHECK(u.feeds[0].path == d.str() + "/pol/other.txt");
  CHECK(u.feeds[0].symbol == "MY_FEED");
  REQUIRE(u.uribl.size() == 1);
  CHECK(u.uribl[0].zone == "dbl.example");
  auto defined = scan::policy_symbols(*p);
  CHECK(std::count_if(defined.begin(), defined.end(),
                      [](const auto& s) { return s.name == "MY_FEED" && s.score == 4; }) == 1);

  struct Row {
    std::string text;
    uint32_t line, column;
    std::string contains;
  };
  for (const auto& r : std::vector<Row>{
           {"[url]\nmax_urls = 0\n", 2, 12, "max_urls"},
           {"[[url.feed]]\nname = \"a\"\npath = \"x\"\nformat = \"xml\"\n", 4, 10, "format"},
           {"[[url.feed]]\nname = \"a\"\npath = \"x\"\ncategory = \"bad\"\n", 4, 12, "category"},
           {"[[url.feed]]\nname = \"a\"\npath = \"x\"\nsymbol = \"lower\"\n", 4, 10, "symbol"},
           {"[[url.feed]]\nname = \"a\"\npath = \"x\"\ncolour = 1\n", 4, 1, "colour"},
           {"[url.uribl.z]\nsymbol = \"X\"\n", 1, 1, "missing 'zone'"},
       }) {
    CAPTURE(r.text);
    auto bad = policy::parse_policy(r.text, "p.toml", scan::policy_sections());
    REQUIRE_FALSE(bad);
    INFO(policy::to_string(bad.error()));
    REQUIRE(bad.error().size() == 1);
    CHECK(bad.error()[0].file == "p.toml");
    CHECK(bad.error()[0].line == r.line);
    CHECK(bad.error()[0].column == r.column);
    CHECK(bad.error()[0].message.find(r.contains) != std::string::npos);
  }
}
