// Tests for core/address.hpp: envelope addresses, domains, comments, host names.
#include "core/address.hpp"

#include <catch2/catch.hpp>

#include <string>
#include <vector>

TEST_CASE("envelope addresses lose angle brackets and source routes", "[address]") {
  const std::vector<std::pair<std::string, std::string>> rows = {
      {"<a@x.test>", "a@x.test"},
      {" <a@x.test> ", "a@x.test"},
      {"a@x.test", "a@x.test"},
      {"<>", ""},
      {"", ""},
      {"<@r1.test,@r2.test:a@x.test>", "a@x.test"},
      {"<@r1.test:a@x.test>", "a@x.test"},
  };
  for (const auto& [in, want] : rows) {
    CAPTURE(in);
    CHECK(postern::core::envelope_address(in) == want);
  }
}

TEST_CASE("domain_of and local_part_of split at the last '@' and lower-case", "[address]") {
  struct Row {
    std::string address;
    std::string domain;
    std::string local;
  };
  const std::vector<Row> rows = {
      {"User@EXAMPLE.Com", "example.com", "user"},
      {"a@b.test", "b.test", "a"},
      {"\"odd@local\"@Host.Test", "host.test", "\"odd@local\""},
      {"postmaster", "", "postmaster"},
      {"Postmaster", "", "postmaster"},
      {"trailing@", "", "trailing"},
      {"@Domain.Only", "domain.only", ""},
      {"", "", ""},
  };
  for (const auto& r : rows) {
    CAPTURE(r.address);
    CHECK(postern::core::domain_of(r.address) == r.domain);
    CHECK(postern::core::local_part_of(r.address) == r.local);
  }
}

TEST_CASE("to_lower only folds ASCII letters", "[address]") {
  CHECK(postern::core::to_lower("MiXeD-123@EXAMPLE.COM") == "mixed-123@example.com");
  CHECK(postern::core::to_lower("\xc3\x89") == "\xc3\x89");
}

TEST_CASE("strip_comments replaces each comment by one space and keeps quoted strings") {
  struct Row {
    const char* in;
    const char* out;
  };
  for (const auto& r : std::vector<Row>{{"a (b) c", "a   c"},
                                        {"(x (nested) y)mx.test", " mx.test"},
                                        {"(c\\)d)e", " e"},  // a quoted-pair inside a comment
                                        {"\"q (not a comment)\" x", "\"q (not a comment)\" x"},
                                        {"\"esc \\\" (q)\" (c)", "\"esc \\\" (q)\"  "},
                                        {"open (never closed", "open "}}) {
    CAPTURE(r.in);
    CHECK(postern::core::strip_comments(r.in) == r.out);
  }
}
