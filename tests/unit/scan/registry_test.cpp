// Tests for scan/registry.hpp: the symbol catalogue and the unknown-symbol check.
#include "scan/registry.hpp"

#include <catch2/catch.hpp>

#include <set>
#include <string>

using namespace postern;

TEST_CASE("the catalogue holds each symbol once, sorted, each with a description", "[registry]") {
  const auto& all = scan::builtin_symbols();
  REQUIRE(all.size() > 80);
  std::set<std::string_view> names;
  for (const auto& s : all) {
    CAPTURE(s.name);
    CHECK(names.insert(s.name).second);
    CHECK_FALSE(s.description.empty());
    CHECK(scan::find_builtin_symbol(s.name) == &s);
  }
  CHECK(std::is_sorted(all.begin(), all.end(),
                       [](const auto& a, const auto& b) { return a.name < b.name; }));
  CHECK(scan::find_builtin_symbol("NO_SUCH_SYMBOL") == nullptr);
  CHECK(scan::find_builtin_symbol("DMARC_POLICY_REJECT")->score == 8);
}

TEST_CASE("a rule or score for a symbol that does not exist is an error with the nearest name",
          "[registry]") {
  struct Row {
    std::string what, text, want;
  };
  const std::vector<Row> rows = {
      {"a typo in a rule", "[inbound.rules]\nDMARC_POLICY_REJEKT = \"reject\"\n",
       "t.toml:2:1: rule in [inbound.rules] names the unknown symbol DMARC_POLICY_REJEKT (did you "
       "mean DMARC_POLICY_REJECT?)"},
      {"a typo in a score", "[scores]\n\nHEADER_MISING_DATE = 2.0\n",
       "t.toml:3:1: score names the unknown symbol HEADER_MISING_DATE (did you mean "
       "HEADER_MISSING_DATE?)"},
      {"nothing close", "[outbound.rules]\nCOMPLETELY_MADE_UP_THING = \"tag\"\n",
       "t.toml:2:1: rule in [outbound.rules] names the unknown symbol COMPLETELY_MADE_UP_THING"},
      {"a typo in a group's rule",
       "[[group]]\nname = \"vip\"\nrecipients = []\n[group.inbound.rules]\nSPF_FAL = \"reject\"\n",
       "t.toml:5:1: rule in [group.vip.inbound.rules] names the unknown symbol SPF_FAL (did you "
       "mean SPF_FAIL?)"},
  };
  for (const auto& r : rows) {
    CAPTURE(r.what);
    auto p = policy::parse_policy(r.text, "t.toml");
    REQUIRE(p);
    auto errs = scan::check_symbols(*p);
    REQUIRE(errs.size() == 1);
    CHECK(errs[0].to_string() == r.want);
  }
}

TEST_CASE("symbols the policy defines itself (lists, DNSBL codes) may have rules and scores",
          "[registry]") {
  auto p = policy::parse_policy(
      "[lists.vip]\nmatch = \"sender\"\nsymbol = \"LIST_VIP\"\nscore = -5.0\nentries = []\n"
      "[inbound.rules]\nLIST_VIP = \"accept\"\nDMARC_POLICY_REJECT = \"reject\"\n"
      "[scores]\nLIST_VIP = -6.0\n",
      "t.toml");
  REQUIRE(p);
  CHECK(scan::check_symbols(*p).empty());
  auto defined = scan::policy_symbols(*p);
  REQUIRE(defined.size() == 1);
  CHECK(defined[0].name == "LIST_VIP");
}

TEST_CASE("the shipped policies name no unknown symbol", "[registry]") {
  auto p = scan::load_checked_policy({POSTERN_SOURCE_DIR "/policies"});
  if (!p)
    for (const auto& e : p.error()) FAIL_CHECK(e.to_string());
  CHECK(p);
}

namespace {

template <class E>
std::vector<std::string_view> names(const std::vector<const E*>& entries) {
  std::vector<std::string_view> out;
  for (const auto* e : entries) out.push_back(e->name);
  return out;
}

}  // namespace

TEST_CASE("the registry orders the stages and finishers as the pipeline has always run them",
          "[registry]") {
  const auto& stages = scan::stage_order();
  INFO((stages ? std::string() : stages.error()));
  REQUIRE(stages);
  // The composites run after every stage that adds content findings, and after authentication;
  // the attach stage right after the mime stage, before the stages that spend the CPU budget;
  // the sandbox after every stage that adds findings (its `when` reads them); url after attach
  // (the links of PDF and Office files), uribl and the stages that read content::fields
  // (rules, heuristics, classifier, bec: the url and url.host fields) after url (its list);
  // dlp (after mime) before the composites, which may name its DLP_ symbols; ratelimit
  // (first event RCPT) after spf (MAIL FROM); the quarantine release check needs
  // nothing (it runs where its registration puts it); tls-inbound (first event MAIL FROM)
  // after spf; smime-decrypt right before mime (it analyses the decrypted message).
  CHECK(names(*stages) ==
        std::vector<std::string_view>{"limits",     "lists",         "dnsbl",
                                      "helo",       "spf",           "tls-inbound",
                                      "ratelimit",  "header_sanity", "smime-decrypt",
                                      "mime",       "attach",        "dkim",
                                      "arc",        "dmarc",         "url",
                                      "rules",      "heuristics",    "classifier",
                                      "bec",        "uribl",         "quarantine_release",
                                      "dlp",        "smime-verify",  "smime-encrypt",
                                      "composites", "sandbox"});
  const auto& finishers = scan::finisher_order();
  REQUIRE(finishers);
  // smime-results writes an Authentication-Results field too: the ARC seal and the DKIM
  // signature come after every such writer, the signature last. dlp-route's
  // X-Postern-Route is for the MTA (milter_header_checks), not signed.
  CHECK(names(*finishers) == std::vector<std::string_view>{"authentication-results", "ratelimit",
                                                           "dlp-route", "smime-results", "arc-seal",
                                                           "dkim-sign"});
  // The banner edits the body before the archive copies the message.
  const auto& modifiers = scan::modifier_order();
  REQUIRE(modifiers);
  CHECK(names(*modifiers) ==
        std::vector<std::string_view>{"banner", "click-rewrite", "archive", "smime"});
  const auto& disposers = scan::disposer_order();
  REQUIRE(disposers);
  // The DLP notice after the store and the S/MIME guard: a message that could not be
  // stored, or that the guard stops, is not announced.
  CHECK(names(*disposers) == std::vector<std::string_view>{"sandbox", "quarantine", "smime-guard",
                                                           "dlp-notify", "smime-notify"});
}

TEST_CASE("the stage order follows provides/needs, then the first event, then registration",
          "[registry]") {
  using core::Event;
  auto entry = [](std::string_view name, std::vector<std::string_view> provides,
                  std::vector<std::string_view> needs, Event first = Event::Message) {
    return core::StageEntry{.name = name,
                            .provides = std::move(provides),
                            .needs = std::move(needs),
                            .first_event = first};
  };
  struct Row {
    std::string what;
    std::vector<core::StageEntry> entries;  // in registration order
    std::string want;                       // the names in order, or the error
  };
  const std::vector<Row> rows = {
      {"registration order when nothing constrains",
       {entry("a", {}, {}), entry("b", {}, {}), entry("c", {}, {})},
       "a b c"},
      {"a need moves an entry after its provider",
       {entry("dmarc", {"dmarc"}, {"spf"}), entry("spf", {"spf"}, {})},
       "spf dmarc"},
      {"an earlier event goes first among free entries",
       {entry("late", {}, {}), entry("early", {}, {}, Event::Connect)},
       "early late"},
      {"a need beats an earlier event",
       {entry("first", {"x"}, {}), entry("second", {}, {"x"}, Event::Connect)},
       "first second"},
      {"every provider of a tag runs first",
       {entry("user", {}, {"t"}), entry("p1", {"t"}, {}), entry("p2", {"t"}, {})},
       "p1 p2 user"},
      {"a cycle names its entries",
       {entry("ok", {}, {}), entry("a", {"a"}, {"b"}), entry("b", {"b"}, {"a"})},
       "stage order: cycle between a, b"},
      {"a tag nobody provides names the entry and the tag",
       {entry("dmarc", {"dmarc"}, {"spf"})},
       "stage order: dmarc needs 'spf', which no stage provides"},
  };
  for (const auto& r : rows) {
    CAPTURE(r.what);
    std::vector<const core::StageEntry*> in;
    for (const auto& e : r.entries) in.push_back(&e);
    auto got = scan::order_entries(in, "stage");
    std::string text;
    if (got) {
      for (auto n : names(*got)) text += (text.empty() ? "" : " ") + std::string(n);
    } else {
      text = got.error();
    }
    CHECK(text == r.want);
  }
}

TEST_CASE("a finding is about the connection by its catalogue scope or as a DNSBL zone's",
          "[registry]") {
  auto p = policy::parse_policy(
      "[dnsbl.local]\nzone = \"bl.example\"\nsymbol = \"LOCAL_BL\"\nscore = 2\n"
      "[dnsbl.local.codes]\n\"127.0.0.2\" = { symbol = \"LOCAL_BL_SPAM\", score = 3 }\n"
      "[lists.clients]\nmatch = \"client_ip\"\nsymbol = \"CLIENT_LISTED\"\nentries = "
      "[\"192.0.2.1\"]\n",
      "t.toml");
  INFO((p ? std::string() : policy::to_string(p.error())));
  REQUIRE(p);
  struct Row {
    std::string symbol;
    bool connection;
  };
  for (const auto& r : std::vector<Row>{{"HELO_BARE_IP", true},
                                        {"DNSBL_TEMPERROR", true},
                                        {"LOCAL_BL", true},
                                        {"LOCAL_BL_SPAM", true},
                                        {"CLIENT_LISTED", false},
                                        {"SPF_FAIL", false},
                                        {"HEADER_MISSING_DATE", false},
                                        {"HELO_NOT_IN_CATALOGUE", false}}) {
    CAPTURE(r.symbol);
    CHECK(scan::is_connection_symbol(*p, r.symbol) == r.connection);
  }
}

TEST_CASE("a finding's score: the catalogue's, a graded symbol's own, then [scores]",
          "[registry]") {
  auto plain = policy::parse_policy("", "p.toml");
  REQUIRE(plain);
  struct Row {
    std::string symbol;
    double stage_score, want;
  };
  const std::vector<Row> rows = {
      {"HEADER_MISSING_DATE", 7.0, 1.0},  // catalogued: the catalogue's default wins
      {"CLASSIFIER_SPAM", 3.25, 3.25},    // graded: the classifier's mapped score stays
      {"CLASSIFIER_HAM", -0.5, -0.5},
      {"LOCAL_RULE", 2.5, 2.5},  // not catalogued (a policy rule): the stage's
  };
  for (const auto& r : rows) {
    INFO(r.symbol);
    CHECK(scan::effective_score(*plain, r.symbol, r.stage_score) == r.want);
  }
  auto over =
      policy::parse_policy("[scores]\nCLASSIFIER_SPAM = 1.5\nHEADER_MISSING_DATE = 0\n", "p.toml");
  REQUIRE(over);
  CHECK(scan::effective_score(*over, "CLASSIFIER_SPAM", 3.25) == 1.5);
  CHECK(scan::effective_score(*over, "HEADER_MISSING_DATE", 7.0) == 0);
  const core::SymbolInfo* info = scan::find_builtin_symbol("CLASSIFIER_SPAM");
  REQUIRE(info);
  CHECK(info->graded);
}
