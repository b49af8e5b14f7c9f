// Tests for limits::LimitsStage: each LIMIT_* symbol and its bound.
#include "limits/stage.hpp"

#include <catch2/catch.hpp>

#include <string>
#include <vector>

using namespace postern;

namespace {

std::string headers(size_t n, const std::string& name = "X-H") {
  std::string out;
  for (size_t i = 0; i < n; ++i) out += name + ": " + std::to_string(i) + "\r\n";
  return out;
}

struct Result {
  std::vector<std::string> symbols;
  std::vector<core::Finding> findings;
};

Result run(core::Message m, core::Limits lim) {
  core::ConnectionInfo conn;
  core::Transaction tx(conn, core::Direction::Inbound, lim, nullptr, "id");
  tx.set_message(std::move(m));
  limits::LimitsStage stage;
  CHECK(stage.on_message(tx).kind == core::Step::Kind::Continue);
  Result r;
  r.findings = tx.findings();
  for (const auto& f : tx.findings()) r.symbols.push_back(f.symbol);
  return r;
}

core::Limits small() {
  core::Limits l;
  l.message_size = 1024;
  l.header_count = 5;
  l.header_line_length = 78;
  l.received_hops = 2;
  return l;
}

}  // namespace

TEST_CASE("each bound that is hit becomes its LIMIT_* finding, and only then", "[limits]") {
  using Symbols = std::vector<std::string>;
  const std::string body = "\r\nbody\r\n";
  struct Row {
    std::string name;
    core::Message message;
    Symbols want;
  };
  const std::vector<Row> rows = {
      {"a small clean message", core::Message("Subject: hi\r\n" + body), {}},
      {"truncated message",
       core::Message("Subject: hi\r\n" + body, 5000, true),
       {"LIMIT_MESSAGE_SIZE"}},
      {"header count at the limit", core::Message(headers(5) + body), {}},
      {"header count over the limit", core::Message(headers(6) + body), {"LIMIT_HEADER_COUNT"}},
      {"header line at the limit", core::Message("X: " + std::string(75, 'a') + "\r\n" + body), {}},
      {"header line over the limit",
       core::Message("X: " + std::string(76, 'a') + "\r\n" + body),
       {"LIMIT_HEADER_LINE"}},
      {"a long continuation line",
       core::Message("X: a\r\n " + std::string(90, 'a') + "\r\n" + body),
       {"LIMIT_HEADER_LINE"}},
      {"long lines in several fields: once",
       core::Message("X: " + std::string(90, 'a') + "\r\nY: " + std::string(90, 'b') + "\r\n" +
                     body),
       {"LIMIT_HEADER_LINE"}},
      {"a long body line is not a header line",
       core::Message("X: a\r\n\r\n" + std::string(200, 'b')),
       {}},
      {"received hops at the limit", core::Message(headers(2, "Received") + body), {}},
      {"received hops over the limit",
       core::Message(headers(3, "Received") + body),
       {"LIMIT_RECEIVED_HOPS"}},
      {"received counted case-insensitively",
       core::Message("received: a\r\nRECEIVED: b\r\nReceived: c\r\n" + body),
       {"LIMIT_RECEIVED_HOPS"}},
      {"everything at once",
       core::Message(headers(6, "Received") + "X: " + std::string(100, 'a') + "\r\n" + body, 9999,
                     true),
       {"LIMIT_MESSAGE_SIZE", "LIMIT_HEADER_COUNT", "LIMIT_HEADER_LINE", "LIMIT_RECEIVED_HOPS"}},
  };
  for (const auto& r : rows) {
    CAPTURE(r.name);
    CHECK(run(r.message, small()).symbols == r.want);
  }
}

TEST_CASE("limit findings say what was hit and by how much", "[limits]") {
  auto size = run(core::Message("Subject: hi\r\n\r\n", 5000, true), small());
  REQUIRE(size.findings.size() == 1);
  CHECK(size.findings[0].detail ==
        "message of 5000 bytes exceeds the limit of 1024; only the first 15 bytes were inspected");
  auto line =
      run(core::Message("Subject: hi\r\nX-Long: " + std::string(100, 'a') + "\r\n\r\n"), small());
  REQUIRE(line.findings.size() == 1);
  CHECK(line.findings[0].detail == "X-Long has a line of 108 bytes, limit 78");
  CHECK(line.findings[0].score == 1.0);
  auto hops = run(core::Message(headers(3, "Received") + "\r\n"), small());
  CHECK(hops.findings.at(0).detail == "3 Received: fields, limit 2 (mail loop?)");
}

TEST_CASE("a message cut by the builder at message_size is reported", "[limits]") {
  core::Limits lim = small();
  core::MessageBuilder b(lim.message_size);
  b.add_header("Subject", "big");
  b.add_body(std::string(3000, 'x'));
  auto r = run(b.finish(), lim);
  CHECK(r.symbols == std::vector<std::string>{"LIMIT_MESSAGE_SIZE"});
}

TEST_CASE("the limits stage does nothing without a message", "[limits]") {
  core::ConnectionInfo conn;
  core::Transaction tx(conn, core::Direction::Inbound, core::Limits{}, nullptr, "id");
  limits::LimitsStage stage;
  CHECK(stage.on_message(tx).kind == core::Step::Kind::Continue);
  CHECK(tx.findings().empty());
  CHECK(stage.name() == "limits");
}
