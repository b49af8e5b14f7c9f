// Tests for core/message.hpp: header block parsing, MessageBuilder, split_raw_message.
#include "core/message.hpp"

#include <catch2/catch.hpp>

#include <string>
#include <utility>
#include <vector>

using postern::core::Message;
using postern::core::MessageBuilder;

namespace {

struct FieldWant {
  std::string name;
  std::string value;
};

std::vector<FieldWant> fields_of(const Message& m) {
  std::vector<FieldWant> out;
  for (const auto& h : m.headers()) out.push_back({h.name, h.value});
  return out;
}

bool operator==(const FieldWant& a, const FieldWant& b) {
  return a.name == b.name && a.value == b.value;
}

}  // namespace

namespace Catch {
template <>
struct StringMaker<FieldWant> {
  static std::string convert(const FieldWant& f) { return "{" + f.name + ": [" + f.value + "]}"; }
};
}  // namespace Catch

TEST_CASE(
    "header fields are unfolded, trimmed and split from the body with CRLF or bare LF line ends",
    "[message]") {
  struct Row {
    std::string raw;
    std::vector<FieldWant> fields;
    std::string body;
  };
  const std::vector<Row> rows = {
      {"Subject: hello\r\n\r\nbody\r\n", {{"Subject", "hello"}}, "body\r\n"},
      {"Subject: hello\n\nbody\n", {{"Subject", "hello"}}, "body\n"},
      {"Subject: hello\r\n world\r\n\r\nb", {{"Subject", "hello world"}}, "b"},
      {"Subject: hello\n world\n\nb", {{"Subject", "hello world"}}, "b"},
      {"Subject: hello\r\n\tworld\r\n\r\n", {{"Subject", "hello\tworld"}}, ""},
      {"Subject: a\r\n  b\r\n   c\r\nTo: x@y\r\n\r\n",
       {{"Subject", "a  b   c"}, {"To", "x@y"}},
       ""},
      {"Subject:no-space\r\n\r\n", {{"Subject", "no-space"}}, ""},
      {"Subject:   padded   \r\n\r\n", {{"Subject", "padded"}}, ""},
      {"Subject:\r\n folded-only\r\n\r\n", {{"Subject", "folded-only"}}, ""},
      {"X-Empty:\r\n\r\n", {{"X-Empty", ""}}, ""},
      {"A: 1\r\nB: 2\nC: 3\r\n\nmixed", {{"A", "1"}, {"B", "2"}, {"C", "3"}}, "mixed"},
      {"\r\nbody only", {}, "body only"},
      {"", {}, ""},
  };
  for (const auto& r : rows) {
    CAPTURE(r.raw);
    Message m(r.raw);
    CHECK(fields_of(m) == r.fields);
    CHECK(std::string(m.body()) == r.body);
  }
}

TEST_CASE("obsolete whitespace before the colon is accepted and flagged", "[message]") {
  struct Row {
    std::string raw;
    std::string name;
    std::string value;
    bool flagged;
  };
  const std::vector<Row> rows = {
      {"Subject : x\r\n\r\n", "Subject", "x", true},
      {"Subject\t: x\r\n\r\n", "Subject", "x", true},
      {"Subject \t : x\r\n\r\n", "Subject", "x", true},
      {"Subject: x\r\n\r\n", "Subject", "x", false},
  };
  for (const auto& r : rows) {
    CAPTURE(r.raw);
    Message m(r.raw);
    REQUIRE(m.headers().size() == 1);
    CHECK(m.headers()[0].name == r.name);
    CHECK(m.headers()[0].value == r.value);
    CHECK(m.headers()[0].space_before_colon == r.flagged);
    CHECK(m.blank_line_after_headers());
  }
}

TEST_CASE("raw 8-bit bytes in a header are kept as they are and flagged", "[message]") {
  struct Row {
    std::string raw;
    std::string value;
    bool eight_bit;
  };
  const std::vector<Row> rows = {
      {"Subject: caf\xc3\xa9\r\n\r\n", "caf\xc3\xa9", true},
      {"Subject: plain\r\n \xff\xfe\r\n\r\n", "plain \xff\xfe", true},  // in a continuation line
      {"Subject: =?utf-8?q?caf=C3=A9?=\r\n\r\n", "=?utf-8?q?caf=C3=A9?=", false},
  };
  for (const auto& r : rows) {
    CAPTURE(r.raw);
    Message m(r.raw);
    REQUIRE(m.headers().size() == 1);
    CHECK(m.headers()[0].value == r.value);
    CHECK(m.headers()[0].eight_bit == r.eight_bit);
  }
}

TEST_CASE("the longest physical line of a field is measured without its line break", "[message]") {
  const std::string long_line(1000, 'a');
  struct Row {
    std::string raw;
    size_t longest;
  };
  const std::vector<Row> rows = {
      {"X-Long: " + long_line + "\r\n\r\n", 8 + 1000},
      {"X-Long: " + long_line + "\n\n", 8 + 1000},
      {"X-Long: short\r\n " + long_line + "\r\n\r\n", 1 + 1000},  // the continuation is the longest
      {"X-Long: " + long_line + "\r\n short\r\n\r\n", 8 + 1000},
      {"X: 1\r\n\r\n", 4},
  };
  for (const auto& r : rows) {
    Message m(r.raw);
    REQUIRE(m.headers().size() == 1);
    CHECK(m.headers()[0].longest_line == r.longest);
  }
}

TEST_CASE(
    "a line that is neither a field nor a continuation ends the header block and starts the body",
    "[message]") {
  struct Row {
    std::string raw;
    size_t fields;
    std::string body;
  };
  const std::vector<Row> rows = {
      {"Subject: a\r\nthis is not a header\r\nTo: x@y\r\n", 1,
       "this is not a header\r\nTo: x@y\r\n"},
      {"Subject: a\nno colon here\n\nbody\n", 1, "no colon here\n\nbody\n"},
      {"Subject: a\r\n: empty name\r\n", 1, ": empty name\r\n"},
      {" leading continuation\r\nSubject: a\r\n\r\n", 0,
       " leading continuation\r\nSubject: a\r\n\r\n"},
      // field names are printable ASCII (as in Postfix): an 8-bit byte in a name ends the block
      {"Subject: a\r\nSubj\xe9"
       "ct: x\r\n\r\nbody",
       1,
       "Subj\xe9"
       "ct: x\r\n\r\nbody"},
      {"From someone@example.com Mon Jan 1 00:00:00 2024\r\nSubject: a\r\n", 0,
       "From someone@example.com Mon Jan 1 00:00:00 2024\r\nSubject: a\r\n"},
  };
  for (const auto& r : rows) {
    CAPTURE(r.raw);
    Message m(r.raw);
    CHECK(m.headers().size() == r.fields);
    CHECK(std::string(m.body()) == r.body);
    CHECK(m.non_field_line_in_headers());
    CHECK_FALSE(m.blank_line_after_headers());
  }
}

TEST_CASE("a header block without a blank line ends at the end of the data with an empty body",
          "[message]") {
  for (std::string raw :
       {"Subject: a\r\nTo: x@y\r\n", "Subject: a\r\nTo: x@y", "Subject: a\nTo: x@y\n"}) {
    CAPTURE(raw);
    Message m(raw);
    CHECK(m.headers().size() == 2);
    CHECK(m.body().empty());
    CHECK(m.body_offset() == raw.size());
    CHECK_FALSE(m.blank_line_after_headers());
    CHECK_FALSE(m.non_field_line_in_headers());
  }
}

TEST_CASE("field offsets and raw values point into the raw message", "[message]") {
  const std::string raw = "Subject: hi\r\n there\r\nTo:  x@y\r\n\r\nbody";
  Message m(raw);
  REQUIRE(m.headers().size() == 2);
  const auto& s = m.headers()[0];
  CHECK(s.offset == 0);
  CHECK(s.length == std::string("Subject: hi\r\n there\r\n").size());
  CHECK(m.raw_value(s) == " hi\r\n there");
  const auto& t = m.headers()[1];
  CHECK(raw.substr(t.offset, t.length) == "To:  x@y\r\n");
  CHECK(m.raw_value(t) == "  x@y");
  CHECK(m.body_offset() == raw.size() - 4);
}

TEST_CASE("find, find_all and count match header names case-insensitively", "[message]") {
  Message m(
      "Received: one\r\nSubject: s\r\nRECEIVED: two\r\nreceived: three\r\nX-Other: o\r\n\r\n");
  struct Row {
    std::string name;
    size_t count;
    std::string first;
  };
  const std::vector<Row> rows = {
      {"Received", 3, "one"}, {"received", 3, "one"}, {"rEcEiVeD", 3, "one"}, {"subject", 1, "s"},
      {"x-other", 1, "o"},    {"Receive", 0, ""},     {"Received2", 0, ""},   {"", 0, ""},
  };
  for (const auto& r : rows) {
    CAPTURE(r.name);
    CHECK(m.count(r.name) == r.count);
    CHECK(m.find_all(r.name).size() == r.count);
    const auto* f = m.find(r.name);
    if (r.count == 0) {
      CHECK(f == nullptr);
    } else {
      REQUIRE(f != nullptr);
      CHECK(f->value == r.first);
    }
  }
  auto all = m.find_all("received");
  REQUIRE(all.size() == 3);
  CHECK(all[0]->value == "one");
  CHECK(all[1]->value == "two");
  CHECK(all[2]->value == "three");
}

TEST_CASE("to_crlf turns bare LF into CRLF and leaves CRLF alone", "[message]") {
  const std::vector<std::pair<std::string, std::string>> rows = {
      {"a\nb\n", "a\r\nb\r\n"},
      {"a\r\nb\r\n", "a\r\nb\r\n"},
      {"\n", "\r\n"},
      {"a\r\n\nb", "a\r\n\r\nb"},
      {"", ""},
      {"no line end", "no line end"},
  };
  for (const auto& [in, want] : rows) {
    CAPTURE(in);
    CHECK(postern::core::to_crlf(in) == want);
  }
}

TEST_CASE("the builder writes CRLF everywhere, also when CR and LF arrive in different chunks",
          "[builder]") {
  struct Row {
    std::string name;
    std::vector<std::string> chunks;
    std::string body;
  };
  const std::vector<Row> rows = {
      {"bare LF", {"a\nb\n"}, "a\r\nb\r\n"},
      {"CRLF", {"a\r\nb\r\n"}, "a\r\nb\r\n"},
      {"CR | LF split", {"a\r", "\nb\r\n"}, "a\r\nb\r\n"},
      {"CR | LF split twice", {"a\r", "\n", "b\r", "\n"}, "a\r\nb\r\n"},
      {"LF alone in a chunk", {"a", "\n", "b"}, "a\r\nb"},
      {"CR | CRLF", {"a\r", "\r\n"}, "a\r\r\n"},
      {"empty chunks", {"", "a\r", "", "\n"}, "a\r\n"},
      {"blank lines", {"\n\n", "\r\n\r", "\n"}, "\r\n\r\n\r\n\r\n"},
  };
  for (const auto& r : rows) {
    CAPTURE(r.name);
    MessageBuilder b(1 << 20);
    b.add_header("Subject", "x");
    for (const auto& c : r.chunks) b.add_body(c);
    Message m = b.finish();
    CHECK(m.raw() == "Subject: x\r\n\r\n" + r.body);
    CHECK(std::string(m.body()) == r.body);
    CHECK(m.total_size() == m.raw().size());
    CHECK_FALSE(m.truncated());
  }
}

TEST_CASE("the builder folds header values with CRLF and counts the headers", "[builder]") {
  MessageBuilder b(1 << 20);
  b.add_header("Subject", "first\n second");
  b.add_header("To", "a@x,\r\n\tb@y");
  b.add_header("X-Empty", "");
  CHECK(b.header_count() == 3);
  Message m = b.finish();
  CHECK(m.raw() == "Subject: first\r\n second\r\nTo: a@x,\r\n\tb@y\r\nX-Empty: \r\n\r\n");
  REQUIRE(m.headers().size() == 3);
  CHECK(m.headers()[0].value == "first second");
  CHECK(m.headers()[1].value == "a@x,\tb@y");
  CHECK(m.blank_line_after_headers());
  CHECK(b.header_count() == 0);  // the builder is empty after finish
}

TEST_CASE("the builder stores at most max_bytes and reports the full size and truncation",
          "[builder]") {
  const std::string head = "Subject: x\r\n\r\n";  // 14 bytes
  struct Row {
    size_t max;
    std::string body;
    size_t total;
    size_t stored;
    bool truncated;
  };
  const std::vector<Row> rows = {
      {1000, "0123456789", 24, 24, false},
      {24, "0123456789", 24, 24, false},  // exactly at the limit
      {23, "0123456789", 24, 23, true},
      {20, "0123456789", 24, 20, true},
      {20, "a\nb\nc\n", 14 + 9, 20, true},  // counted after canonicalisation to CRLF
      {5, "body", 18, 5, true},             // the limit falls inside the header
  };
  for (const auto& r : rows) {
    CAPTURE(r.max, r.body);
    MessageBuilder b(r.max);
    b.add_header("Subject", "x");
    b.add_body(r.body);
    CHECK(b.total_size() == r.total);
    Message m = b.finish();
    CHECK(m.total_size() == r.total);
    CHECK(m.raw().size() == r.stored);
    CHECK(m.truncated() == r.truncated);
    CHECK(m.raw() == (head + postern::core::to_crlf(r.body)).substr(0, r.stored));
  }
}

TEST_CASE("a builder can be reused after finish", "[builder]") {
  MessageBuilder b(100);
  b.add_header("A", "1");
  b.add_body("x\r");
  (void)b.finish();
  b.add_header("B", "2");
  b.add_body("\ny");  // the CR of the previous message must not swallow this CR
  Message m = b.finish();
  CHECK(m.raw() == "B: 2\r\n\r\n\r\ny");
  CHECK(m.total_size() == m.raw().size());
}

TEST_CASE("split_raw_message passes each field without the leading space, then the body",
          "[split]") {
  struct Row {
    std::string raw;
    std::vector<std::pair<std::string, std::string>> headers;
    std::string body;
  };
  const std::vector<Row> rows = {
      {"Subject: hi\r\nTo:  x@y\r\n\r\nbody\r\n", {{"Subject", "hi"}, {"To", "x@y"}}, "body\r\n"},
      {"Subject: a\n b\n\nbody\n", {{"Subject", "a\n b"}}, "body\n"},
      {"Subject : obs\r\n\r\n", {{"Subject", "obs"}}, ""},
      {"Subject:tight\r\n\r\n", {{"Subject", "tight"}}, ""},
      {"Subject: a\r\nnot a field\r\n", {{"Subject", "a"}}, "not a field\r\n"},
      {"Subject: a\r\n", {{"Subject", "a"}}, ""},
  };
  for (const auto& r : rows) {
    CAPTURE(r.raw);
    std::vector<std::pair<std::string, std::string>> got;
    std::string body;
    int body_calls = 0;
    postern::core::split_raw_message(
        r.raw, [&](std::string_view n, std::string_view v) { got.emplace_back(n, v); },
        [&](std::string_view b) {
          body = b;
          ++body_calls;
        });
    CHECK(got == r.headers);
    CHECK(body == r.body);
    CHECK(body_calls == 1);
  }
}

TEST_CASE("a message split and fed to the builder comes out with the same fields and CRLF",
          "[split]") {
  const std::string raw = "From: a@x\nSubject: one\n two\nTo: b@y\n\nline 1\nline 2\n";
  Message m = postern::core::build_message(raw, 1 << 20);
  CHECK(m.raw() == postern::core::to_crlf(raw));
  Message original(raw);
  REQUIRE(m.headers().size() == original.headers().size());
  for (size_t i = 0; i < m.headers().size(); ++i) {
    CHECK(m.headers()[i].name == original.headers()[i].name);
    CHECK(m.headers()[i].value == original.headers()[i].value);
  }
}

TEST_CASE("iequals and trim", "[message]") {
  CHECK(postern::core::iequals("Message-ID", "message-id"));
  CHECK_FALSE(postern::core::iequals("Message-ID", "Message-IDs"));
  CHECK_FALSE(postern::core::iequals("\xc9", "\xe9"));  // only ASCII letters fold
  CHECK(postern::core::trim(" \t\r\n x y \r\n") == "x y");
  CHECK(postern::core::trim(" \t ").empty());
}

TEST_CASE("a bare CR splits a field for readers that end lines there: hidden fields", "[message]") {
  struct Row {
    std::string what, raw;
    std::vector<FieldWant> fields;  // the MTA's reading
    std::vector<FieldWant> hidden;  // what a line-splitting reader sees besides
    std::string split_value;        // the carrier's value under that reading
  };
  const std::vector<Row> rows = {
      {"a bare CR inside a value",
       "From: a@b.test\rX: a@evil.test\r\n\r\n",
       {{"From", "a@b.test X: a@evil.test"}},
       {{"X", "a@evil.test"}},
       "a@b.test"},
      {"a bare CR after a fold",
       "Subject: x\r\n \rX-Postern-Verdict: accept\r\n \rA: b\r\nTo: t\r\n\r\n",
       {{"Subject", "x  X-Postern-Verdict: accept  A: b"}, {"To", "t"}},
       {{"X-Postern-Verdict", "accept"}, {"A", "b"}},
       "x"},
      {"a bare CR followed by whitespace continues the field",
       "Subject: a\r b\r\n\r\n",
       {{"Subject", "a  b"}},
       {},
       "a b"},
      {"a bare CR then a line that is no field ends that reader's header block",
       "Subject: a\rnot a field\r\n\r\n",
       {{"Subject", "a not a field"}},
       {},
       "a"},
  };
  for (const auto& r : rows) {
    CAPTURE(r.what);
    Message m(r.raw);
    auto f = fields_of(m);
    REQUIRE(f.size() == r.fields.size());
    for (size_t i = 0; i < f.size(); ++i) {
      CHECK(f[i].name == r.fields[i].name);
      CHECK(f[i].value == r.fields[i].value);
    }
    CHECK(m.headers()[0].bare_line_break);
    CHECK(m.headers()[0].split_value == r.split_value);
    CHECK(m.bare_line_breaks());
    REQUIRE(m.hidden_fields().size() == r.hidden.size());
    for (size_t i = 0; i < r.hidden.size(); ++i) {
      CHECK(m.hidden_fields()[i].name == r.hidden[i].name);
      CHECK(m.hidden_fields()[i].value == r.hidden[i].value);
      CHECK(m.hidden_fields()[i].carrier == 0);
    }
  }
  Message clean("Subject: a\r\n b\r\n\r\n");
  CHECK_FALSE(clean.bare_line_breaks());
  CHECK(clean.hidden_fields().empty());
}

TEST_CASE("every field the MTA hands over is a field, whatever bytes its name holds", "[builder]") {
  MessageBuilder b(1 << 20);
  b.add_header("Subject", "s");
  b.add_header("X-Bad\x7fName", "v");
  b.add_header("From", "a@b.test");
  b.add_header("Value-With-LF", "x\nX-Postern-Verdict: accept");
  b.add_body("body\r\n");
  Message m = b.finish();
  auto f = fields_of(m);
  REQUIRE(f.size() == 4);
  CHECK(f[1].name == "X-Bad\x7fName");
  CHECK(m.headers()[1].name_invalid);
  CHECK_FALSE(m.headers()[0].name_invalid);
  CHECK(f[2].name == "From");
  CHECK(f[2].value == "a@b.test");
  // A line break the MTA passed inside a value that no fold follows: a field to other readers.
  CHECK(m.headers()[3].bare_line_break);
  REQUIRE(m.hidden_fields().size() == 1);
  CHECK(m.hidden_fields()[0].name == "X-Postern-Verdict");
  CHECK(m.hidden_fields()[0].carrier == 3);
  CHECK(m.body() == "body\r\n");
}

TEST_CASE("the builder's fields survive truncation in the header block", "[builder]") {
  MessageBuilder b(20);
  b.add_header("Subject", "hello");
  b.add_header("From", "a@b.test");
  b.add_body("body\r\n");
  Message m = b.finish();
  CHECK(m.truncated());
  REQUIRE(m.headers().size() >= 1);
  CHECK(m.headers()[0].name == "Subject");
  CHECK(m.body().empty());
}
