// The end-user digest mail: who gets one, what it lists, and that its links verify.
#include "tools/quarantine_digest.hpp"

#include <catch2/catch.hpp>
#include <regex>

#include "quarantine/web_auth.hpp"

using postern::quarantine::Entry;

namespace {

Entry held_entry(std::string id, int64_t time, std::string direction,
                 std::vector<std::string> rcpts, std::string subject) {
  Entry e;
  e.id = std::move(id);
  e.time = time;
  e.direction = std::move(direction);
  e.sender = "mallory@bad.example";
  e.recipients = std::move(rcpts);
  e.recipient_count = e.recipients.size();
  e.subject = std::move(subject);
  return e;
}

}  // namespace

TEST_CASE("the digest goes to each inbound recipient with their own recent held mail") {
  const int64_t now = 1700000000;
  std::vector<Entry> all{
      held_entry("AAAAAAAAAAAAAAAA", now - 100, "inbound", {"Bob@feas.test", "carol@feas.test"},
                 "one"),
      held_entry("BBBBBBBBBBBBBBBB", now - 50, "inbound", {"bob@feas.test"}, "two"),
      held_entry("CCCCCCCCCCCCCCCC", now - 10, "outbound", {"someone@outside.example"}, "out"),
      held_entry("DDDDDDDDDDDDDDDD", now - 90000, "inbound", {"bob@feas.test"}, "old"),
      held_entry("EEEEEEEEEEEEEEEE", now - 20, "inbound", {"dave@feas.test"}, "released"),
  };
  all[4].released_at = now - 5;
  auto by = postern::tools::held_by_recipient(all, now - 86400);
  REQUIRE(by.size() == 2);  // no outbound recipient, nobody with only released or old mail
  REQUIRE(by.count("bob@feas.test"));
  REQUIRE(by.count("carol@feas.test"));
  const auto& bob = by["bob@feas.test"];
  REQUIRE(bob.size() == 2);
  CHECK(bob[0].id == "BBBBBBBBBBBBBBBB");  // newest first
  CHECK(bob[1].id == "AAAAAAAAAAAAAAAA");
  CHECK(by["carol@feas.test"].size() == 1);
}

TEST_CASE(
    "the digest mail: headers of our own, one verifying link per message, hostile text defused") {
  const std::string key(32, 'r');
  const int64_t now = 1700000000;
  std::vector<Entry> held{
      held_entry("AAAAAAAAAAAAAAAA", now - 100, "inbound", {"bob@feas.test"},
                 "Invoice\r\nBcc: everyone@feas.test"),
      held_entry("BBBBBBBBBBBBBBBB", now - 50, "inbound", {"bob@feas.test"}, std::string(500, 'x')),
  };
  const postern::tools::DigestSettings s{"https://q.feas.test", "postmaster@feas.test", 7 * 86400};
  const std::string msg = postern::tools::digest_message(key, s, "Bob@Feas.Test", held, now);
  const std::string head = msg.substr(0, msg.find("\n\n"));
  CHECK(head.find("From: postmaster@feas.test\n") != std::string::npos);
  CHECK(head.find("To: bob@feas.test\n") != std::string::npos);
  CHECK(head.find("Subject: Quarantine: 2 messages held for you\n") != std::string::npos);
  CHECK(head.find("Auto-Submitted: auto-generated") != std::string::npos);
  CHECK(msg.find("\nBcc:") == std::string::npos);  // the subject's line break is a '?'
  CHECK(msg.find("Invoice??Bcc: everyone@feas.test") != std::string::npos);
  CHECK(msg.find(std::string(121, 'x')) == std::string::npos);  // long subjects cut
  for (size_t pos = 0, nl; pos < msg.size(); pos = nl + 1) {
    nl = msg.find('\n', pos);
    if (nl == std::string::npos) nl = msg.size();
    CHECK(nl - pos < 998);
  }
  std::regex link(R"(https://q\.feas\.test/u/([A-Za-z0-9_.-]+))");
  std::vector<std::string> ids;
  for (auto it = std::sregex_iterator(msg.begin(), msg.end(), link); it != std::sregex_iterator();
       ++it) {
    auto claim = postern::quarantine::verify_digest_token(key, (*it)[1].str(), now + 3600);
    REQUIRE(claim);
    CHECK(claim->rcpt == "bob@feas.test");
    CHECK(claim->expires == now + 7 * 86400);
    ids.push_back(claim->id);
  }
  CHECK(ids == std::vector<std::string>{"AAAAAAAAAAAAAAAA", "BBBBBBBBBBBBBBBB"});
}

TEST_CASE("the digest lists at most 100 messages and counts the rest") {
  std::vector<Entry> held;
  for (int i = 0; i < 130; ++i)
    held.push_back(held_entry("AAAAAAAAAAAA" + std::to_string(1000 + i), 1700000000 - i, "inbound",
                              {"bob@feas.test"}, "m"));
  const std::string msg = postern::tools::digest_message(
      std::string(32, 'r'), {"https://q.feas.test", "postmaster@feas.test", 86400}, "bob@feas.test",
      held, 1700000000);
  size_t links = 0;
  for (size_t p = msg.find("/u/"); p != std::string::npos; p = msg.find("/u/", p + 1)) ++links;
  CHECK(links == 100);
  CHECK(msg.find("... and 30 more.") != std::string::npos);
  CHECK(msg.find("Subject: Quarantine: 130 messages held for you") != std::string::npos);
}
