// Tests for the BEC checks: confusable display names of protected people,
// lookalike sender domains, payment language, the [bec] policy section, and the
// bec stage end to end with first-contact amplification.
#include "content/bec.hpp"

#include <fmt/format.h>
#include <catch2/catch.hpp>

#include <algorithm>
#include <fstream>
#include <string>
#include <vector>

#include "auth/dmarc.hpp"
#include "content/bec_registration.hpp"
#include "content/bec_stage.hpp"
#include "content/confusable.hpp"
#include "mime/stage.hpp"
#include "policy/policy.hpp"
#include "reputation/sender_history.hpp"
#include "scan/registry.hpp"
#include "scan/snapshot.hpp"
#include "state/backends.hpp"
#include "state/config.hpp"
#include "state/sqlite_store.hpp"
#include "support/expect_error.hpp"
#include "support/temp_dir.hpp"

using namespace postern;

namespace {

const char* kPolicy = R"([bec]
own_domains = ["corp.example", "corp.com", "northwind.com"]
partner_domains = ["paypal.com", "microsoft.com", "contoso-supply.com", "gmail.com"]
payment = ["wire transfer", "update (our|the) (bank|payment) details", "bank details have changed"]
gift_card = ["gift ?cards?", "(itunes|google play|steam) cards?"]
urgency = ["urgent", "are you available", "quick favou?r", "kindly"]

[[bec.protected]]
name = "Jane Doe"
addresses = ["jane@corp.example", "Jane.Doe@corp.example"]

[[bec.protected]]
name = "José Álvarez"
addresses = ["jose@corp.example"]
)";

policy::Policy load(const std::string& text = kPolicy) {
  auto p = policy::parse_policy(text, "p.toml", scan::policy_sections());
  if (!p) FAIL(policy::to_string(p.error()));
  return *p;
}

const content::BecPolicy& section(const policy::Policy& p) {
  return p.sections.section<content::BecPolicy>("bec");
}

std::shared_ptr<const content::BecChecks> checks() {
  static const policy::Policy p = load();
  static const auto c =
      std::make_shared<const content::BecChecks>(section(p), auth::PublicSuffix::load());
  return c;
}

}  // namespace

TEST_CASE("confusable skeletons fold case, width, homoglyphs, joiners and accents", "[bec]") {
  struct Row {
    std::string a, b;
    bool same;
  };
  const std::vector<Row> rows = {
      {"Jane Doe", "JANE DOE", true},
      {"Jane Doe", "J\xD0\xB0ne Doe", true},                                       // Cyrillic а
      {"Jane Doe", "\xEF\xBC\xAA\xEF\xBD\x81\xEF\xBD\x8E\xEF\xBD\x85 Doe", true},  // fullwidth
      {"Jane Doe", "Ja\xE2\x80\x8Dne Doe", true},  // zero-width joiner
      {"Jane Doe",
       "J\xC3\xA1ne D\xC3\xB6"
       "e",
       true},  // accents
      {"paypal", "paypa1", true},
      {"microsoft", "rnicrosoft", true},
      {"Jane Doe", "Jane Dow", false},
      {"Jane Doe", "Janet Doe", false},
  };
  for (const auto& r : rows) {
    CAPTURE(r.a, r.b);
    CHECK((content::skeleton(r.a) == content::skeleton(r.b)) == r.same);
  }
}

TEST_CASE("a protected name shown from another address is an impersonation", "[bec]") {
  struct Row {
    std::string display, address;
    std::string want;  // the protected name, "" = no match
  };
  const std::vector<Row> rows = {
      {"Jane Doe", "ceo.office@gmail.example", "Jane Doe"},
      {"jane doe", "x@evil.example", "Jane Doe"},
      {"J\xD0\xB0ne Doe", "x@evil.example", "Jane Doe"},  // Cyrillic а
      {"\xEF\xBC\xAA\xEF\xBD\x81\xEF\xBD\x8E\xEF\xBD\x85 \xEF\xBC\xA4\xEF\xBD\x8F\xEF\xBD\x85",
       "x@evil.example", "Jane Doe"},                          // fullwidth
      {"Ja\xE2\x80\x8Dne Doe", "x@evil.example", "Jane Doe"},  // zero-width joiner
      {"Jane Doe (CEO)", "x@evil.example", "Jane Doe"},
      {"CEO - Jane Doe", "x@evil.example", "Jane Doe"},
      {"Doe, Jane", "x@evil.example", "Jane Doe"},
      {"Jose Alvarez", "x@evil.example", "José Álvarez"},  // accents dropped
      {"JOSÉ ÁLVAREZ", "x@evil.example", "José Álvarez"},
      // Her own addresses, in any case.
      {"Jane Doe", "jane@corp.example", ""},
      {"Jane Doe", "JANE.DOE@corp.example", ""},
      // From an own domain (a list, a shared mailbox): DMARC's to judge.
      {"Jane Doe via Staff", "staff@lists.corp.example", ""},
      // Not her.
      {"Janet Doe", "x@evil.example", ""},
      {"Jane Doerr", "x@evil.example", ""},
      {"Jane", "x@evil.example", ""},
      {"Mary Jane Smith Doe", "x@evil.example", ""},
      {"", "x@evil.example", ""},
  };
  auto c = checks();
  for (const auto& r : rows) {
    CAPTURE(r.display, r.address);
    auto m = c->vip(r.display, r.address);
    CHECK((m ? m->who->name : std::string()) == r.want);
  }
}

TEST_CASE("sender domains that look like own or partner domains are lookalikes", "[bec]") {
  struct Row {
    std::string domain;
    std::string want;  // the reference, "" = none
  };
  const std::vector<Row> rows = {
      {"paypa1.com", "paypal.com"},
      {"xn--pypal-4ve.com", "paypal.com"},  // Cyrillic а, as the DNS spells it
      {"XN--PYPAL-4VE.COM", "paypal.com"},
      {"xn--invalid-.com", ""},             // punycode that does not decode         // confusable
      {"rnicrosoft.com", "microsoft.com"},  // rn for m
      {"micros0ft.com", "microsoft.com"},   // 0 for o
      {"mail.paypa1.com", "paypal.com"},    // a subdomain of the lookalike
      {"paypall.com", "paypal.com"},        // one edit, 6 letters
      {"pyapal.com", "paypal.com"},         // a transposition
      {"microsfot.net", "microsoft.com"},   // a transposition and another suffix
      {"micrsooft.com", "microsoft.com"},
      {"contoso-suply.com", "contoso-supply.com"},  // two edits on a long label
      {"northwlnd.com", "northwind.com"},
      {"corp.co", "corp.com"},  // another suffix
      {"corp.net", "corp.com"},
      {"corp-example.com", "corp.example"},  // the suffix folded into the label
      {"corpexample.com", "corp.example"},
      {"northwind.co.uk", "northwind.com"},
      // Not lookalikes.
      {"paypal.com", ""},         // the domain itself
      {"paypal.net", ""},         // brands own many suffixes: partners' do not count
      {"email.de", ""},           // 5 letters, one edit from "gmail": too short
      {"mail.corp.example", ""},  // a subdomain of ours
      {"corp.example", ""},
      {"coro.com", ""},  // short label: no edit distance
      {"cord.com", ""},
      {"payments.com", ""},  // too far
      {"microsoft-partner.com", ""},
      {"example.org", ""},
      {"gmail.com", ""},
      {"northwood.com", ""},  // two edits on a 9-letter label
      {"", ""},
      {"[192.0.2.1]", ""},
  };
  auto c = checks();
  for (const auto& r : rows) {
    CAPTURE(r.domain);
    auto m = c->lookalike(r.domain);
    CHECK((m ? m->reference : std::string()) == r.want);
  }
}

TEST_CASE("edit distance counts adjacent transpositions as one and stops past its limit", "[bec]") {
  struct Row {
    std::string a, b;
    size_t limit, want;
  };
  const std::vector<Row> rows = {
      {"paypal", "paypal", 2, 0}, {"paypal", "pyapal", 2, 1},       {"paypal", "paypall", 2, 1},
      {"paypal", "papyal", 2, 1}, {"kitten", "sitting", 2, 3},      {"abc", "abcdef", 2, 3},
      {"", "ab", 2, 2},           {"microsoft", "micrsooft", 1, 1},
  };
  for (const auto& r : rows) {
    CAPTURE(r.a, r.b);
    CHECK(content::edit_distance(r.a, r.b, r.limit) == r.want);
  }
}

TEST_CASE("payment, gift card and urgency phrases match whole words, any case", "[bec]") {
  using K = content::PhraseKind;
  struct Row {
    K kind;
    std::string text;
    std::string want;  // the matched text, "" = none
  };
  const std::vector<Row> rows = {
      {K::Payment, "Please process a Wire Transfer today", "Wire Transfer"},
      {K::Payment, "please process a wire\r\n  transfer", "wire\r\n  transfer"},
      {K::Payment, "We need to update our bank details.", "update our bank details"},
      {K::Payment, "Kindly update the payment details", "update the payment details"},
      {K::Payment, "our bank details have changed", "bank details have changed"},
      {K::Payment, "wiretransfer", ""},
      {K::Payment, "update their bank details", ""},
      {K::GiftCard, "buy 5 Google Play cards", "Google Play cards"},
      {K::GiftCard, "I need giftcards for the staff", "giftcards"},
      {K::GiftCard, "gift card", "gift card"},
      {K::GiftCard, "regift cardigans", ""},
      {K::Urgency, "URGENT: are you available?", "URGENT"},
      {K::Urgency, "Can you do me a quick favour", "quick favour"},
      {K::Urgency, "insurgent forces", ""},
      {K::Urgency, "urgente", ""},
      {K::Urgency, "\xC3\xA9urgent", ""},  // a letter before it: not a word boundary
  };
  auto c = checks();
  for (const auto& r : rows) {
    CAPTURE(r.text);
    auto m = c->phrase(r.kind, r.text);
    CHECK((m ? r.text.substr(m->pos, m->len) : std::string()) == r.want);
  }
}

TEST_CASE("[bec] policy mistakes are errors at their position", "[bec]") {
  struct Row {
    std::string text;
    uint32_t line, column;
    std::string contains;
  };
  const std::vector<Row> rows = {
      {"[bec]\nown_domains = [\"not a domain\"]\n", 2, 16, "own_domains"},
      {"[bec]\npayment = [\"wire (transfer\"]\n", 2, 12, "RE2"},
      {"[bec]\nurgency = [\"\"]\n", 2, 12, "urgency"},
      // The sender history is the state store's (postern.toml [state]), not the policy's.
      {"[bec]\nhistory = \"/var/lib/postern/senders\"\n", 2, 11, "(postern.toml [state])"},
      {"[bec]\nhistory_max = 100000\n", 2, 15,
       "'history_max' in [bec]: the sender history is kept"},
      {"[bec]\nown_domain = [\"corp.example\"]\n", 2, 1, "own_domain"},
      {"[[bec.protected]]\nname = \"Jane Doe\"\n", 1, 1, "addresses"},
      {"[[bec.protected]]\nname = \"Jane Doe\"\naddresses = [\"j@x.example\"]\ntitle = \"CEO\"\n",
       4, 1, "title"},
  };
  for (const auto& r : rows) {
    CAPTURE(r.text);
    auto p = policy::parse_policy(r.text, "p.toml", scan::policy_sections());
    REQUIRE_FALSE(p);
    test::check_single_error(p.error(), {"p.toml", r.line, r.column, r.contains});
  }
}

TEST_CASE("[bec] protected names add up file by file; lists are replaced", "[bec]") {
  auto p = policy::parse_policy(
      std::string(kPolicy) +
          "[[bec.protected]]\nname = \"Bob Roe\"\naddresses = [\"bob@corp.example\"]\n",
      "p.toml", scan::policy_sections());
  REQUIRE(p);
  CHECK(section(*p).protected_names.size() == 3);
  CHECK(section(*p).own_domains ==
        std::vector<std::string>{"corp.example", "corp.com", "northwind.com"});
}

namespace {

struct Run {
  std::vector<core::Finding> findings;
  std::vector<std::string> symbols() const {
    std::vector<std::string> out;
    for (const auto& f : findings) out.push_back(f.symbol);
    std::sort(out.begin(), out.end());
    return out;
  }
  std::string detail(std::string_view symbol) const {
    for (const auto& f : findings)
      if (f.symbol == symbol) return f.detail;
    return "";
  }
};

Run run(const content::BecStage& stage, core::Direction dir, const std::string& mail_from,
        std::vector<std::string> rcpts, const std::string& raw) {
  core::ConnectionInfo conn;
  core::Transaction tx(conn, dir, core::Limits{}, nullptr, "id");
  tx.envelope().mail_from = mail_from;
  tx.envelope().recipients = std::move(rcpts);
  tx.set_message(core::Message(raw));
  REQUIRE(mime::MimeStage().on_message(tx).kind == core::Step::Kind::Continue);
  REQUIRE(stage.on_message(tx).kind == core::Step::Kind::Continue);
  return {tx.findings()};
}

std::string mail(const std::string& from, const std::string& subject, const std::string& body,
                 const std::string& extra = "") {
  return "From: " + from + "\r\nTo: bob@corp.example\r\nSubject: " + subject +
         "\r\nDate: Tue, 1 Jul 2025 10:00:00 +0000\r\nMessage-ID: <1@x>\r\n" + extra + "\r\n" +
         body + "\r\n";
}

}  // namespace

TEST_CASE("with the state store down, first contact is not judged: STATE_UNAVAILABLE instead",
          "[bec]") {
  test::RedisServer redis;
  auto store = test::redis_store(redis.url(), test::unique_prefix());
  auto history = std::make_shared<reputation::SenderHistory>(store);
  content::BecStage stage(checks(), history);
  redis.kill();
  Run r = run(stage, core::Direction::Inbound, "stranger@elsewhere.example", {"bob@corp.example"},
              mail("Stranger <stranger@elsewhere.example>", "hello", "Hello Bob."));
  CHECK(r.symbols() == std::vector<std::string>{"STATE_UNAVAILABLE"});
  CHECK(r.detail("STATE_UNAVAILABLE").find("first contact not checked: the state store (redis:") !=
        std::string::npos);
}

TEST_CASE("the bec stage explains each finding and amplifies first contact", "[bec]") {
  test::TempDir state_dir;
  auto store =
      state::SqliteStore::open(state::SqliteOptions{.path = state_dir.str() + "/state.db"});
  REQUIRE(store);
  auto history = std::make_shared<reputation::SenderHistory>(*store);
  content::BecStage stage(checks(), history);
  using D = core::Direction;

  // A stranger impersonating the CEO with a gift card request: every signal.
  const std::string lure =
      mail("=?utf-8?b?StCwbmUgRG9l?= <ceo.jane@freemail.example>", "Quick favor",
           "Are you available? I need 5 Google Play cards for clients, it is urgent.");
  Run r = run(stage, D::Inbound, "ceo.jane@freemail.example", {"bob@corp.example"}, lure);
  CHECK(r.symbols() == std::vector<std::string>{"BEC_DISPLAY_NAME_VIP", "BEC_FIRST_CONTACT",
                                                "BEC_FIRST_CONTACT_AMPLIFIED", "BEC_GIFT_CARD",
                                                "BEC_URGENCY"});
  // Each finding carries its symbol's default score from the symbol table.
  for (const auto& f : r.findings) {
    CAPTURE(f.symbol);
    const auto& table = content::bec_registration().symbols;
    auto it = std::find_if(table.begin(), table.end(),
                           [&](const core::SymbolInfo& i) { return i.name == f.symbol; });
    REQUIRE(it != table.end());
    CHECK(f.score == it->score);
  }
  const std::string vip = r.detail("BEC_DISPLAY_NAME_VIP");
  CHECK(vip.find("\"Jane Doe\"") != std::string::npos);
  INFO(vip);
  CHECK(vip.find("from c*******@freemail.example") != std::string::npos);
  CHECK(vip.find("ceo.jane@") == std::string::npos);  // the address is masked
  CHECK(r.detail("BEC_GIFT_CARD").find("in body.text (part 1): \"") != std::string::npos);
  CHECK(r.detail("BEC_GIFT_CARD").find("Google Play cards") != std::string::npos);
  CHECK(r.detail("BEC_URGENCY").find("in subject") != std::string::npos);

  // A lookalike domain in Reply-To only.
  Run look =
      run(stage, D::Inbound, "billing@vendor.example", {"ap@corp.example"},
          mail("Billing <billing@vendor.example>", "Invoice 4411",
               "Please see our new remittance address.", "Reply-To: billing@c0rp.example\r\n"));
  CHECK(look.detail("BEC_LOOKALIKE_DOMAIN").find("looks like corp.example") != std::string::npos);
  CHECK(look.detail("BEC_LOOKALIKE_DOMAIN").find("in reply_to") != std::string::npos);
  CHECK(look.detail("BEC_FIRST_CONTACT_AMPLIFIED") != "");

  // Our user writes to the vendor: the vendor's reply is no longer first contact.
  Run out = run(stage, D::Outbound, "bob@corp.example", {"billing@vendor.example"},
                mail("Bob <bob@corp.example>", "Re: Invoice 4411", "Thanks, paid."));
  CHECK(out.findings.empty());
  Run reply = run(stage, D::Inbound, "billing@vendor.example", {"bob@corp.example"},
                  mail("Billing <billing@vendor.example>", "Re: Invoice 4411",
                       "Please send the wire transfer today."));
  CHECK(reply.symbols() == std::vector<std::string>{"BEC_PAYMENT_LANGUAGE"});

  // Ordinary mail from a stranger: first contact alone, scored ~0, not amplified.
  Run plain = run(stage, D::Inbound, "newsletter@shop.example", {"bob@corp.example"},
                  mail("Shop <newsletter@shop.example>", "New arrivals", "Spring is here."));
  CHECK(plain.symbols() == std::vector<std::string>{"BEC_FIRST_CONTACT"});
  CHECK(plain.findings[0].score < 0.5);

  // The real CEO from her own address: nothing but first contact is skipped (own domain).
  Run ceo = run(stage, D::Inbound, "jane@corp.example", {"bob@corp.example"},
                mail("Jane Doe <jane@corp.example>", "Lunch", "See you at noon."));
  CHECK(ceo.findings.empty());
}

TEST_CASE("payment language in a long message does not fire", "[bec]") {
  content::BecStage stage(checks(), nullptr);
  std::string body(4000, 'x');
  for (size_t i = 80; i < body.size(); i += 81) body[i] = ' ';
  body += " wire transfer";
  Run r = run(stage, core::Direction::Inbound, "a@shop.example", {"bob@corp.example"},
              mail("a@shop.example", "News", body));
  CHECK(r.findings.empty());
  Run s = run(stage, core::Direction::Inbound, "a@shop.example", {"bob@corp.example"},
              mail("a@shop.example", "News", "wire transfer"));
  CHECK(s.symbols() == std::vector<std::string>{"BEC_PAYMENT_LANGUAGE"});
}

TEST_CASE("gift card language in a short message with many links does not fire", "[bec]") {
  content::BecStage stage(checks(), nullptr);
  // A promotion: short text, a catalogue of links (max_links is 5 by default).
  std::string links;
  for (int i = 0; i < 6; ++i) links += fmt::format(" https://shop.example/item{}", i);
  Run r = run(stage, core::Direction::Inbound, "a@shop.example", {"bob@corp.example"},
              mail("a@shop.example", "Sale", "win a gift card today" + links));
  CHECK(r.findings.empty());
  Run s = run(stage, core::Direction::Inbound, "a@shop.example", {"bob@corp.example"},
              mail("a@shop.example", "Lunch", "buy a gift card for me https://x.example/"));
  CHECK(s.symbols() == std::vector<std::string>{"BEC_GIFT_CARD"});
}

TEST_CASE(
    "the commented example in the shipped 55-bec.toml is valid and lists the built-in "
    "phrases",
    "[bec]") {
  std::ifstream in(std::string(POSTERN_SOURCE_DIR) + "/policies/55-bec.toml");
  std::string line, example;
  bool inside = false;
  while (std::getline(in, line)) {
    if (line == "# example:")
      inside = true;
    else if (inside)
      example += (line.rfind("# ", 0) == 0 ? line.substr(2) : "") + "\n";
  }
  REQUIRE_FALSE(example.empty());
  const policy::Policy p = load(example);
  const content::BecPolicy defaults;
  for (size_t k = 0; k < content::kPhraseKinds; ++k) {
    CAPTURE(k);
    CHECK(section(p).phrases[k] == defaults.phrases[k]);
    CHECK(defaults.phrases[k].size() >= 5);
  }
  CHECK(section(p).protected_names.size() == 1);
  // The built-in phrases, as shipped.
  content::BecChecks c(defaults, auth::PublicSuffix::load());
  CHECK(c.phrase(content::PhraseKind::GiftCard, "buy iTunes cards"));
  CHECK_FALSE(c.phrase(content::PhraseKind::GiftCard, "your Apple Card statement"));
  CHECK(c.phrase(content::PhraseKind::Payment, "our bank details have been updated"));
  // The shipped policies load, with the file.
  auto shipped = scan::load_checked_policy({std::string(POSTERN_SOURCE_DIR) + "/policies"});
  if (!shipped) FAIL(policy::to_string(shipped.error()));
}

TEST_CASE("domains are read as a reader shows them, label by label", "[bec][confusable]") {
  struct Row {
    std::string in, want;
  };
  const std::vector<Row> rows = {
      {"XN--PYPAL-4VE.com", "p\xD0\xB0ypal.com"},
      // A label that does not decode stays as written; it cannot hide the others.
      {"xn--pypal-4ve.xn--zz-x.example", "p\xD0\xB0ypal.xn--zz-x.example"},
      {"xn--zz-x.xn--pypal-4ve.com", "xn--zz-x.p\xD0\xB0ypal.com"},
      {"paypal.com", "paypal.com"},
      {"", ""},
  };
  for (const auto& r : rows) {
    INFO(r.in);
    CHECK(content::domain_to_unicode(r.in) == r.want);
  }
}

TEST_CASE(
    "the sender history is kept in the state store postern.toml's [state] names, and the bec "
    "stage writes it",
    "[bec]") {
  test::TempDir d;
  d.mkdir("state");
  d.write("p/50-bec.toml", "[bec]\nown_domains = [\"corp.example\"]\n");
  // A relative path resolves against the config file's directory.
  std::string cfg =
      d.write("postern.toml", "[policy]\ndirs = [\"p\"]\n[state]\npath = \"state/state.db\"\n");
  auto snap = scan::load_snapshot(cfg, false);
  if (!snap) FAIL(policy::to_string(snap.error()));
  const std::string path = d.str() + "/state/state.db";
  auto store = (*snap)->services->get<state::Store>(state::kStateService);
  REQUIRE(store);
  CHECK(store->describe() == "sqlite:" + path);
  // Outbound mail through the snapshot's pipeline records its outside recipient there.
  core::ConnectionInfo conn;
  core::Transaction tx(conn, core::Direction::Outbound, core::Limits{}, nullptr, "id");
  tx.envelope().mail_from = "alice@corp.example";
  tx.envelope().recipients = {"partner@vendor.example"};
  tx.set_message(
      core::Message("From: alice@corp.example\r\nTo: partner@vendor.example\r\n"
                    "Subject: hello\r\n\r\nsee you\r\n"));
  (*snap)->pipeline.run(core::Event::Message, tx);
  // Another store on the same file (another process, `postern` tools) sees it.
  auto reread = state::SqliteStore::open(state::SqliteOptions{.path = path});
  REQUIRE(reread);
  reputation::SenderHistory h(*reread);
  CHECK(h.seen("partner@vendor.example", "corp.example"));
  CHECK_FALSE(h.seen("other@vendor.example", "corp.example"));

  // path = "" turns the store off: no service, no first contact.
  std::string off = d.write("off.toml", "[policy]\ndirs = [\"p\"]\n[state]\npath = \"\"\n");
  auto none = scan::load_snapshot(off, false);
  REQUIRE(none);
  CHECK_FALSE((*none)->services->has(state::kStateService));
  // A directory that does not exist is a config error naming the key and the file.
  std::string bad =
      d.write("bad.toml", "[policy]\ndirs = [\"p\"]\n[state]\npath = \"nodir/state.db\"\n");
  auto refused = scan::load_snapshot(bad, false);
  REQUIRE_FALSE(refused);
  CHECK(policy::to_string(refused.error()).find("[state] path") != std::string::npos);
  CHECK(policy::to_string(refused.error()).find("nodir/state.db") != std::string::npos);
}
