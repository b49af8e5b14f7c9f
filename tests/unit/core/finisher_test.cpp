// apply_edits: the message a finisher signs is the message that leaves.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "core/finisher.hpp"

using namespace postern::core;

TEST_CASE("apply_edits writes top additions, removals, subject and end additions in place") {
  Message m(
      "Received: from a\r\nSubject: hello\r\nX-Postern-Verdict: forged\r\nFrom: a@b.example\r\n"
      "\r\nbody line\r\n");
  Outcome out;
  out.changed.push_back({"X-Postern-Verdict", 1, std::nullopt});
  out.new_subject = "[SPAM] hello";
  out.subject_exists = true;
  out.added.push_back({"X-Postern-Verdict", "tag", false});
  out.added.push_back({"Authentication-Results", "mx.example; spf=pass", true});
  out.added.push_back({"DKIM-Signature", "v=1; d=b.example", true});
  Message leaving = apply_edits(m, out);
  CHECK(leaving.raw() ==
        "DKIM-Signature: v=1; d=b.example\r\nAuthentication-Results: mx.example; spf=pass\r\n"
        "Received: from a\r\nSubject: [SPAM] hello\r\nFrom: a@b.example\r\n"
        "X-Postern-Verdict: tag\r\n\r\nbody line\r\n");
  CHECK(leaving.body() == "body line\r\n");
}

TEST_CASE("apply_edits adds a Subject when there was none, and handles a header-less message") {
  Outcome out;
  out.new_subject = "[SPAM]";
  CHECK(apply_edits(Message("From: a@b\r\n\r\nx\r\n"), out).raw() ==
        "From: a@b\r\nSubject: [SPAM]\r\n\r\nx\r\n");
  Outcome top;
  top.added.push_back({"Authentication-Results", "mx; none", true});
  Message bare = apply_edits(Message("\r\nonly body\r\n"), top);
  CHECK(bare.raw() == "Authentication-Results: mx; none\r\n\r\nonly body\r\n");
  CHECK(bare.body() == "only body\r\n");
}

TEST_CASE("apply_edits puts new_body in place of the body, after the header edits") {
  struct Row {
    const char* what;
    std::string raw;
    std::string want;
  };
  const std::vector<Row> rows{
      {"after a blank line", "From: a@b\r\nSubject: s\r\n\r\nold body\r\n",
       "From: a@b\r\nSubject: [T] s\r\nX-Postern-Verdict: tag\r\n\r\nnew\r\nbody\r\n"},
      {"an empty old body", "From: a@b\r\nSubject: s\r\n\r\n",
       "From: a@b\r\nSubject: [T] s\r\nX-Postern-Verdict: tag\r\n\r\nnew\r\nbody\r\n"},
      {"no header fields", "\r\nold\r\n",
       "Subject: [T]\r\nX-Postern-Verdict: tag\r\n\r\nnew\r\nbody\r\n"},
  };
  for (const auto& row : rows) {
    INFO(row.what);
    Outcome out;
    out.new_subject = row.raw.find("Subject: s") != std::string::npos ? "[T] s" : "[T]";
    out.added.push_back({"X-Postern-Verdict", "tag", false});
    out.new_body = "new\r\nbody\r\n";
    out.added_recipients.push_back({"journal@x.test", ""});  // the envelope: not in the message
    Message leaving = apply_edits(Message(row.raw), out);
    CHECK(leaving.raw() == row.want);
    CHECK(leaving.body() == "new\r\nbody\r\n");
  }
}
