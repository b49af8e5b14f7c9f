// Tests for mime/headers.hpp: the Subject and address fields as a mail client shows them.
#include "mime/headers.hpp"

#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "core/message.hpp"

using postern::core::build_message;
using postern::mime::user_headers;

namespace {

std::vector<std::string> names(const std::vector<postern::mime::Mailbox>& boxes) {
  std::vector<std::string> out;
  for (const auto& b : boxes) out.push_back(b.display_name + " <" + b.address() + ">");
  return out;
}

}  // namespace

TEST_CASE("every Subject is decoded as a client shows it, in order", "[headers]") {
  struct Row {
    std::string name;
    std::string fields;
    std::vector<std::string> subjects;
    bool unknown_charset = false;
  };
  const std::vector<Row> rows = {
      {"plain ASCII", "Subject: Invoice 42\r\n", {"Invoice 42"}},
      {"B-encoded UTF-8", "Subject: =?UTF-8?B?UsOpc3Vtw6k=?=\r\n", {"R\xc3\xa9sum\xc3\xa9"}},
      {"Q-encoded Latin-1 with underscores",
       "Subject: =?iso-8859-1?Q?Caf=E9_au_lait?=\r\n",
       {"Caf\xc3\xa9 au lait"}},
      {"adjacent encoded words joined, folded",
       "Subject: =?utf-8?q?Pay?=\r\n =?utf-8?q?Pal?=\r\n",
       {"PayPal"}},
      {"UTF-7 as Outlook reads it", "Subject: =?utf-7?Q?Fr+APY-sche?=\r\n", {"Fr\xc3\xb6sche"}},
      {"a charset not on the allowlist is flagged, read as Latin-1",
       "Subject: =?x-evil?Q?caf=E9?=\r\n",
       {"caf\xc3\xa9"},
       true},
      {"two Subject fields: both kept, first shown",
       "Subject: hello\r\nSubject: =?utf-8?q?Urgent_wire?=\r\n",
       {"hello", "Urgent wire"}},
      {"no Subject", "X-Other: 1\r\n", {}},
  };
  for (const auto& r : rows) {
    CAPTURE(r.name);
    auto h = user_headers(build_message(r.fields + "\r\nbody\r\n", 1 << 20));
    CHECK(h.subjects == r.subjects);
    CHECK(h.subject() == (r.subjects.empty() ? "" : r.subjects.front()));
    CHECK(h.decode.unknown_charset == r.unknown_charset);
  }
}

TEST_CASE("Reply-To, To and Cc are read by the one address parser, names decoded", "[headers]") {
  auto h =
      user_headers(build_message("From: a@b.test\r\n"
                                 "Reply-To: =?utf-8?b?Q0VPIEpvaG4=?= <ceo@freemail.test>\r\n"
                                 "To: Ann <ann@corp.test>, bob@corp.test\r\n"
                                 "To: team: carl@corp.test;\r\n"
                                 "Cc: \"Doe, Jane\" <jane@corp.test>\r\n"
                                 "\r\nbody\r\n",
                                 1 << 20));
  CHECK(names(h.reply_to) == std::vector<std::string>{"CEO John <ceo@freemail.test>"});
  CHECK(names(h.to) ==
        std::vector<std::string>{"Ann <ann@corp.test>", " <bob@corp.test>", " <carl@corp.test>"});
  CHECK(names(h.cc) == std::vector<std::string>{"Doe, Jane <jane@corp.test>"});
  CHECK_FALSE(h.mailbox_limit);
}

TEST_CASE("a To field with more mailboxes than the bound is cut and flagged", "[headers]") {
  std::string to = "To: ";
  for (size_t i = 0; i < postern::mime::kMaxMailboxes + 5; ++i)
    to += "u" + std::to_string(i) + "@x.test, ";
  auto h = user_headers(build_message(to + "\r\n\r\nbody\r\n", 1 << 22));
  CHECK(h.to.size() == postern::mime::kMaxMailboxes);
  CHECK(h.mailbox_limit);
}
