// Tests for mime::MimeStage: one finding per MIME_*/HTML_* symbol with its occurrences,
// the transaction's limits applied, and the Analysis shared on the transaction.
#include "mime/stage.hpp"

#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "core/transaction.hpp"
#include "mime/analysis.hpp"

using namespace postern;

namespace {

struct Run {
  core::ConnectionInfo conn;
  core::Transaction tx;
  explicit Run(const std::string& raw, core::Limits lim = {}, bool with_message = true)
      : tx(conn, core::Direction::Inbound, lim, nullptr, "id") {
    if (with_message) tx.set_message(core::Message(raw));
    mime::MimeStage stage;
    CHECK(stage.on_message(tx).kind == core::Step::Kind::Continue);
  }
};

// A multipart whose `n` parts each carry two Content-Transfer-Encoding fields.
std::string duplicate_cte_parts(int n) {
  std::string m = "Content-Type: multipart/mixed; boundary=\"m\"\r\n\r\n";
  for (int i = 0; i < n; ++i)
    m += "--m\r\nContent-Transfer-Encoding: 7bit\r\nContent-Transfer-Encoding: base64\r\n\r\nx\r\n";
  return m + "--m--\r\n";
}

size_t entries(const std::string& detail) {
  size_t n = 1;
  for (size_t p = detail.find("; "); p != std::string::npos; p = detail.find("; ", p + 2)) ++n;
  return n;
}

}  // namespace

TEST_CASE("a clean message gets no finding and its analysis is on the transaction",
          "[mime_stage]") {
  Run r("From: a@example.com\r\nContent-Type: text/plain\r\n\r\nhello http://example.com/\r\n");
  CHECK(r.tx.findings().empty());
  const mime::Analysis* a = r.tx.get<mime::Analysis>();
  REQUIRE(a);
  REQUIRE(a->leaves.size() == 1);
  CHECK(a->leaves[0].text == "hello http://example.com/\r\n");
  REQUIRE(a->links.size() == 1);
  CHECK(a->links[0].url == "http://example.com/");
  // the analysis points into the message the transaction keeps
  CHECK(a->tree.raw().data() == r.tx.message()->raw().data());
}

TEST_CASE("one finding per symbol, listing the first occurrences and counting the rest",
          "[mime_stage]") {
  struct Row {
    int parts;
    std::string suffix;  // how the detail ends
  };
  const std::vector<Row> rows = {{1, ""}, {3, ""}, {4, " (and 1 more)"}, {7, " (and 4 more)"}};
  for (const auto& row : rows) {
    CAPTURE(row.parts);
    Run r(duplicate_cte_parts(row.parts));
    REQUIRE(r.tx.findings().size() == 1);
    const auto& f = r.tx.findings()[0];
    CHECK(f.symbol == "MIME_DUPLICATE_TRANSFER_ENCODING");
    CHECK(f.score == 2.0);
    CHECK(f.detail.starts_with("1.1: 2 Content-Transfer-Encoding fields: the first is used"));
    CHECK(f.detail.ends_with(row.suffix));
    // each listed occurrence names its part; with more than 3, the count of the rest is given
    CHECK(entries(f.detail) == static_cast<size_t>(std::min(row.parts, 3)));
    if (row.parts >= 3) CHECK(f.detail.find("1.3: ") != std::string::npos);
    CHECK(f.detail.find("1.4: ") == std::string::npos);
  }
}

TEST_CASE("every kind of anomaly becomes a finding with its default score", "[mime_stage]") {
  const std::string html =
      "<div style=\"display:none\">x</div><form><input type=password></form>"
      "<font style=\"font-size:1px\">y</font><p style=\"color:transparent\">z</p>";
  const std::string msg =
      "Content-Type: multipart/mixed; boundary=\"m\"\r\n\r\n"
      "--m\r\nContent-Type: text/html\r\n\r\n" +
      html +
      "\r\n"
      "--m\r\nContent-Type: text/plain; charset=x-unknown\r\n\r\ntext\r\n"
      "--m--\r\nContent-Type: text/html\r\n\r\nhidden\r\n";
  Run r(msg);
  struct Want {
    std::string symbol;
    double score;
  };
  const std::vector<Want> want = {
      {"MIME_EPILOGUE_CONTENT", 0.5}, {"MIME_UNKNOWN_CHARSET", 0.5}, {"HTML_HIDDEN_TEXT", 0.3},
      {"HTML_TINY_FONT", 0.3},        {"HTML_INVISIBLE_COLOR", 0.5}, {"HTML_PASSWORD_FORM", 3.0},
  };
  REQUIRE(r.tx.findings().size() == want.size());
  for (size_t i = 0; i < want.size(); ++i) {
    CAPTURE(i);
    CHECK(r.tx.findings()[i].symbol == want[i].symbol);
    CHECK(r.tx.findings()[i].score == want[i].score);
    CHECK(mime::default_score(want[i].symbol) == want[i].score);
  }
  CHECK(r.tx.findings()[0].detail.find("looking like a hidden part") != std::string::npos);
  CHECK(mime::default_score("MIME_SOMETHING_NEW") == 0.5);
}

TEST_CASE("the transaction's MIME limits apply", "[mime_stage][limits]") {
  std::string msg;
  for (int i = 0; i < 10; ++i) msg += "Content-Type: message/rfc822\r\n\r\n";
  msg += "\r\ndeep\r\n";
  core::Limits lim;
  lim.mime_depth = 4;
  Run r(msg, lim);
  REQUIRE(r.tx.findings().size() == 1);
  CHECK(r.tx.findings()[0].symbol == "MIME_DEPTH_LIMIT");
  CHECK(r.tx.findings()[0].score == 3.0);
  const mime::Analysis* a = r.tx.get<mime::Analysis>();
  REQUIRE(a);
  REQUIRE(a->leaves.size() == 1);
  CHECK(a->leaves[0].part->opaque);
  CHECK(a->leaves[0].part->depth == 3);

  Run ok(msg);  // default limits: all ten levels
  CHECK(ok.tx.findings().empty());
}

TEST_CASE("without a message the stage does nothing", "[mime_stage]") {
  Run r("", {}, false);
  CHECK(r.tx.findings().empty());
  CHECK(r.tx.get<mime::Analysis>() == nullptr);
}
