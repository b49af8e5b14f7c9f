// Tests for content::HeaderSanityStage: each HEADER_* symbol, and none for a clean message.
#include "content/header_sanity.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <string>
#include <vector>

using namespace postern;
using Symbols = std::vector<std::string>;

namespace {

const std::string kDate = "Date: Tue, 1 Jul 2003 10:52:37 +0200\r\n";
const std::string kFrom = "From: Alice <alice@example.com>\r\n";
const std::string kId = "Message-ID: <1@example.com>\r\n";
const std::string kRest = "To: bob@example.org\r\nSubject: hello\r\n";

std::vector<core::Finding> run_sanity(const std::string& head) {
  core::ConnectionInfo conn;
  core::Transaction tx(conn, core::Direction::Inbound, core::Limits{}, nullptr, "id");
  tx.set_message(core::Message(head + "\r\nbody\r\n"));
  content::HeaderSanityStage stage;
  CHECK(stage.on_message(tx).kind == core::Step::Kind::Continue);
  return tx.findings();
}

Symbols sanity_symbols(const std::vector<core::Finding>& fs) {
  Symbols out;
  for (const auto& f : fs) out.push_back(f.symbol);
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace

TEST_CASE("each malformed or missing standard field has its HEADER_* finding", "[header_sanity]") {
  struct Row {
    std::string name;
    std::string head;
    Symbols want;  // sorted
  };
  const std::vector<Row> rows = {
      {"a clean message has none", kDate + kFrom + kId + kRest, {}},
      {"clean with obsolete but valid forms",
       "Date: 1 Jul 03 10:52 GMT\r\nfrom: <alice@example.com>\r\nMESSAGE-ID: <1@x>\r\n",
       {}},
      {"missing Date", kFrom + kId + kRest, {"HEADER_MISSING_DATE"}},
      {"missing From", kDate + kId + kRest, {"HEADER_MISSING_FROM"}},
      {"missing Message-ID", kDate + kFrom + kRest, {"HEADER_MISSING_MESSAGE_ID"}},
      {"nothing at all",
       "",
       {"HEADER_MISSING_DATE", "HEADER_MISSING_FROM", "HEADER_MISSING_MESSAGE_ID"}},
      {"two From fields",
       kDate + kFrom + kId + "From: mallory@evil.test\r\n",
       {"HEADER_MULTIPLE_FROM"}},
      {"a From with two addresses",
       kDate + kId + "From: a@x.test, b@y.test\r\n",
       {"HEADER_FROM_MULTIPLE_ADDRESSES"}},
      {"a From with a group of two",
       kDate + kId + "From: team: a@x.test, b@y.test;\r\n",
       {"HEADER_FROM_MULTIPLE_ADDRESSES"}},
      {"a From with a name only", kDate + kId + "From: Your Bank\r\n", {"HEADER_FROM_NO_ADDRESS"}},
      {"an empty From", kDate + kId + "From:\r\n", {"HEADER_FROM_NO_ADDRESS"}},
      {"a From with an empty group",
       kDate + kId + "From: undisclosed:;\r\n",
       {"HEADER_FROM_NO_ADDRESS"}},
      {"a From with a null address", kDate + kId + "From: <>\r\n", {"HEADER_FROM_NO_ADDRESS"}},
      {"duplicate Subject",
       kDate + kFrom + kId + "Subject: a\r\nSubject: b\r\n",
       {"HEADER_DUPLICATE"}},
      {"duplicate Date", kDate + kDate + kFrom + kId, {"HEADER_DUPLICATE"}},
      {"repeatable fields are not duplicates",
       kDate + kFrom + kId +
           "Received: a\r\nReceived: b\r\nComments: x\r\nComments: y\r\nCc: a@x\r\nCc: b@y\r\n",
       {}},
      {"unparsable Date", "Date: yesterday\r\n" + kFrom + kId, {"HEADER_DATE_UNPARSABLE"}},
      {"impossible Date",
       "Date: 30 Feb 2024 10:00:00 +0000\r\n" + kFrom + kId,
       {"HEADER_DATE_UNPARSABLE"}},
      {"raw 8-bit in Subject",
       kDate + kFrom + kId + "Subject: caf\xc3\xa9\r\n",
       {"HEADER_8BIT_RAW"}},
      {"raw 8-bit in a From display name",
       kDate + kId + "From: J\xc3\xb6rg <j@x.test>\r\n",
       {"HEADER_8BIT_RAW"}},
      {"encoded words are not raw 8-bit",
       kDate + kFrom + kId + "Subject: =?utf-8?q?caf=C3=A9?=\r\n",
       {}},
  };
  for (const auto& r : rows) {
    CAPTURE(r.name);
    CHECK(sanity_symbols(run_sanity(r.head)) == r.want);
  }
}

TEST_CASE("header findings carry small scores and useful details", "[header_sanity]") {
  struct Row {
    std::string head;
    std::string symbol;
    double score;
    std::string detail;
  };
  const std::vector<Row> rows = {
      {kFrom + kId, "HEADER_MISSING_DATE", 1.0, "no Date header"},
      {kDate + kId, "HEADER_MISSING_FROM", 2.0, "no From header"},
      {kDate + kFrom, "HEADER_MISSING_MESSAGE_ID", 1.0, "no Message-ID header"},
      {kDate + kId + kFrom + kFrom + kFrom, "HEADER_MULTIPLE_FROM", 3.0, "3 From headers"},
      {kDate + kId + "From: a@x, b@y, c@z\r\n", "HEADER_FROM_MULTIPLE_ADDRESSES", 2.0,
       "From with 3 addresses"},
      {kDate + kId + "From: Your Bank\r\n", "HEADER_FROM_NO_ADDRESS", 2.0,
       "From without an address: Your Bank"},
      {kDate + kFrom + kId + "To: a@x\r\nSubject: a\r\nTo: b@y\r\nSubject: b\r\n",
       "HEADER_DUPLICATE", 1.0, "repeated: Subject, To"},
      {"Date: soon\r\n" + kFrom + kId, "HEADER_DATE_UNPARSABLE", 1.0, "Date: soon"},
      {kDate + kFrom + kId + "Subject: \xe9\r\nX-A: \xe9\r\n", "HEADER_8BIT_RAW", 0.5,
       "raw 8-bit bytes in 2 field(s): Subject, X-A"},
  };
  for (const auto& r : rows) {
    CAPTURE(r.symbol);
    auto fs = run_sanity(r.head);
    REQUIRE(fs.size() == 1);
    CHECK(fs[0].symbol == r.symbol);
    CHECK(fs[0].score == r.score);
    CHECK(fs[0].detail == r.detail);
  }
}

TEST_CASE("8-bit field names in the detail are bounded", "[header_sanity]") {
  std::string head = kDate + kFrom + kId;
  for (int i = 0; i < 8; ++i) head += "X-" + std::to_string(i) + ": \xe9\r\n";
  auto fs = run_sanity(head);
  REQUIRE(fs.size() == 1);
  CHECK(fs[0].detail == "raw 8-bit bytes in 8 field(s): X-0, X-1, X-2, X-3, X-4, ...");
}
