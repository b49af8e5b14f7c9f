// Tests for reputation::ListsStage: local allow/block lists at each event.
#include "reputation/lists_stage.hpp"

#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "support/temp_dir.hpp"

using namespace postern;

namespace {

std::vector<policy::List> test_lists() {
  test::TempDir d;
  d.write("p/20-lists.toml", R"(
[lists.client_block]
match = "client_ip"
symbol = "LIST_CLIENT_BLOCK"
score = 3.0
entries = ["192.0.2.0/24", "2001:db8:bad::/48"]

[lists.client_allow]
match = "client_ip"
symbol = "LIST_CLIENT_ALLOW"
score = -20.0
entries = ["198.51.100.7"]

[lists.sender_block]
match = "sender"
symbol = "LIST_SENDER_BLOCK"
entries = ["spammer@bad.test", "evil.test"]

[lists.sender_allow]
match = "sender"
symbol = "LIST_SENDER_ALLOW"
score = -10.0
entries = ["@partner.test"]

[lists.rcpt_watch]
match = "recipient"
symbol = "LIST_RCPT_WATCH"
score = 0.5
entries = ["ceo@", "finance.example.com"]
)");
  auto p = policy::load_policy({d.str() + "/p"});
  REQUIRE(p);
  return p->lists;
}

struct Fixture {
  core::ConnectionInfo conn;
  reputation::ListsStage stage{test_lists()};
  std::unique_ptr<core::Transaction> tx;

  explicit Fixture(std::string ip = "") {
    conn.client_address = std::move(ip);
    tx = std::make_unique<core::Transaction>(conn, core::Direction::Inbound, core::Limits{},
                                             nullptr, "id");
  }
  std::vector<std::string> symbols() const {
    std::vector<std::string> out;
    for (const auto& f : tx->findings()) out.push_back(f.symbol);
    return out;
  }
};

using Symbols = std::vector<std::string>;

}  // namespace

TEST_CASE("client_ip lists match the connecting client, IPv4, IPv6 or mapped", "[lists]") {
  struct Row {
    std::string ip;
    Symbols want;
  };
  const std::vector<Row> rows = {
      {"192.0.2.44", {"LIST_CLIENT_BLOCK"}},
      {"::ffff:192.0.2.44", {"LIST_CLIENT_BLOCK"}},
      {"2001:db8:bad::25", {"LIST_CLIENT_BLOCK"}},
      {"2001:db8:good::25", {}},
      {"198.51.100.7", {"LIST_CLIENT_ALLOW"}},
      {"203.0.113.1", {}},
      {"", {}},
      {"unknown", {}},
  };
  for (const auto& r : rows) {
    CAPTURE(r.ip);
    Fixture f(r.ip);
    CHECK(f.stage.on_connect(*f.tx).kind == core::Step::Kind::Continue);
    CHECK(f.symbols() == r.want);
  }
}

TEST_CASE("a list match carries the list's score and names the entry", "[lists]") {
  Fixture f("192.0.2.44");
  f.stage.on_connect(*f.tx);
  REQUIRE(f.tx->findings().size() == 1);
  CHECK(f.tx->findings()[0].score == 3.0);
  CHECK(f.tx->findings()[0].detail == "client 192.0.2.44 in list client_block (192.0.2.0/24)");
}

TEST_CASE("sender lists match the envelope sender at MAIL FROM", "[lists]") {
  struct Row {
    std::string sender;
    Symbols want;
  };
  const std::vector<Row> rows = {
      {"spammer@bad.test", {"LIST_SENDER_BLOCK"}},
      {"SPAMMER@BAD.TEST", {"LIST_SENDER_BLOCK"}},
      {"anyone@evil.test", {"LIST_SENDER_BLOCK"}},
      {"anyone@mx.evil.test", {"LIST_SENDER_BLOCK"}},
      {"anyone@notevil.test", {}},
      {"friend@partner.test", {"LIST_SENDER_ALLOW"}},
      {"friend@sub.partner.test", {}},
      {"", {}},  // null sender
  };
  for (const auto& r : rows) {
    CAPTURE(r.sender);
    Fixture f;
    f.tx->envelope().mail_from = r.sender;
    f.stage.on_mail_from(*f.tx);
    CHECK(f.symbols() == r.want);
  }
}

TEST_CASE("sender lists match every header From address at end of message", "[lists]") {
  struct Row {
    std::string headers;
    Symbols want;
  };
  const std::vector<Row> rows = {
      {"From: Boss <boss@evil.test>\r\n", {"LIST_SENDER_BLOCK"}},
      {"From: \"friend@partner.test\" <x@elsewhere.test>\r\n",
       {}},  // the display name is not the address
      {"From: a@ok.test, b@partner.test\r\n", {"LIST_SENDER_ALLOW"}},
      {"From: a@ok.test\r\nFrom: spammer@bad.test\r\n", {"LIST_SENDER_BLOCK"}},
      {"from: spammer@bad.test\r\n", {"LIST_SENDER_BLOCK"}},
      {"Sender: spammer@bad.test\r\nReply-To: spammer@bad.test\r\n", {}},
      {"From: a@evil.test, friend@partner.test\r\n", {"LIST_SENDER_BLOCK", "LIST_SENDER_ALLOW"}},
  };
  for (const auto& r : rows) {
    CAPTURE(r.headers);
    Fixture f;
    f.tx->set_message(core::Message(r.headers + "\r\nbody\r\n"));
    f.stage.on_message(*f.tx);
    CHECK(f.symbols() == r.want);
  }
}

TEST_CASE("recipient lists match each recipient at RCPT", "[lists]") {
  struct Row {
    std::string rcpt;
    Symbols want;
  };
  const std::vector<Row> rows = {
      {"ceo@example.com", {"LIST_RCPT_WATCH"}},
      {"CEO@other.test", {"LIST_RCPT_WATCH"}},
      {"bob@finance.example.com", {"LIST_RCPT_WATCH"}},
      {"bob@example.com", {}},
      {"spammer@bad.test", {}},  // a sender list does not match recipients
  };
  for (const auto& r : rows) {
    CAPTURE(r.rcpt);
    Fixture f;
    f.stage.on_rcpt(*f.tx, r.rcpt);
    CHECK(f.symbols() == r.want);
  }
}

TEST_CASE("each list adds its finding at most once per transaction", "[lists]") {
  Fixture f("192.0.2.1");
  f.stage.on_connect(*f.tx);
  f.stage.on_connect(*f.tx);
  f.tx->envelope().mail_from = "spammer@bad.test";
  f.stage.on_mail_from(*f.tx);
  f.stage.on_rcpt(*f.tx, "ceo@a.test");
  f.stage.on_rcpt(*f.tx, "ceo@b.test");
  f.tx->set_message(
      core::Message("From: x@evil.test, y@evil.test\r\nFrom: spammer@bad.test\r\n\r\n"));
  f.stage.on_message(*f.tx);
  CHECK(f.symbols() == Symbols{"LIST_CLIENT_BLOCK", "LIST_SENDER_BLOCK", "LIST_RCPT_WATCH"});
  CHECK(f.tx->findings()[1].detail ==
        "envelope sender spammer@bad.test in list sender_block (spammer@bad.test)");
  CHECK(f.tx->findings()[2].detail == "recipient ceo@a.test in list rcpt_watch (ceo@)");
}

TEST_CASE("header From checks are bounded for a hostile From list", "[lists]") {
  Fixture f;
  std::string from = "From: ";
  for (int i = 0; i < 200; ++i) from += "u" + std::to_string(i) + "@ok.test, ";
  from += "spammer@bad.test\r\n";
  f.tx->set_message(core::Message(from + "\r\n"));
  f.stage.on_message(*f.tx);
  CHECK(f.symbols().empty());  // the 201st address is past the bound
}

TEST_CASE("the lists stage does nothing at end of message without a message", "[lists]") {
  Fixture f;
  CHECK(f.stage.on_message(*f.tx).kind == core::Step::Kind::Continue);
  CHECK(f.symbols().empty());
  CHECK(f.stage.name() == "lists");
}
