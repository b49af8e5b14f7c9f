// Tests for core/date.hpp: RFC 5322 dates including the obsolete forms.
#include "core/date.hpp"

#include <catch2/catch.hpp>

#include <string>
#include <vector>

using postern::core::parse_rfc5322_date;

TEST_CASE("RFC 5322 dates, modern and obsolete, give their UTC epoch", "[date]") {
  struct Row {
    std::string text;
    int64_t epoch;
  };
  const std::vector<Row> rows = {
      {"Tue, 1 Jul 2003 10:52:37 +0200", 1057049557},
      {"Fri, 21 Nov 1997 09:55:06 -0600", 880127706},
      {"21 Nov 1997 09:55:06 -0600", 880127706},     // no day name
      {"Fri, 21 Nov 97 09:55:06 -0600", 880127706},  // 2-digit year, 50..99 -> 19xx
      {"21 Nov 97 09:55:06 GMT", 880106106},         // named zone
      {"Fri, 21 Nov 1997 09:55:06 UT", 880106106},
      {"Fri, 21 Nov 1997 03:55:06 CST", 880106106},
      {"Fri, 21 Nov 1997 04:55:06 EST", 880106106},
      {"Fri, 21 Nov 1997 05:55:06 EDT", 880106106},
      {"Fri, 21 Nov 1997 01:55:06 PST", 880106106},
      {"Fri, 21 Nov 1997 09:55:06 Z", 880106106},  // military
      {"Thu, 13 Feb 69 23:32 -0330 (Newfoundland Time)",
       -27723480},  // RFC 5322 A.6.3: no seconds, comment
      {"Thu,\r\n      13\r\n        Feb\r\n          1969\r\n      23:32\r\n               -0330 "
       "(Newfoundland Time)",
       -27723480},
      {"Mon, 1 Jan 2024 00:00 EST", 1704085200},
      {"Sat, 01 Jan 2000 00:00:00 +0000 (UTC)", 946684800},
      {"  Sat,   01   jan   2000   00:00:00   +0000  ", 946684800},
      {"Sat (day), 01 (day) Jan (month) 2000 00:00:00 +0000", 946684800},
      {"Sat,01 Jan 2000 00:00:00 +0000", 946684800},
      {"1 Jan 00 00:00:00 +0000", 946684800},           // 2-digit year 00..49 -> 20xx
      {"1 Jan 100 00:00:00 +0000", 946684800},          // 3-digit year: + 1900
      {"Thu, 29 Feb 2024 12:00:00 +0000", 1709208000},  // leap day
      {"1 Jan 50 00:00:00 +0000", -631152000},
      {"31 Dec 49 23:59:59 +0000", 2524607999},
  };
  for (const auto& r : rows) {
    CAPTURE(r.text);
    auto got = parse_rfc5322_date(r.text);
    REQUIRE(got);
    CHECK(*got == r.epoch);
  }
}

TEST_CASE("text that is not a date a mail client could show is rejected", "[date]") {
  const std::vector<std::string> rows = {
      "",
      "garbage",
      "Mon, 1 Foo 2024 10:00:00 +0000",  // no such month
      "Mon, 1 Smarch 2024 10:00:00 +0000",
      "Mon, 1 Janu 2024 10:00:00 +0000",
      "Mon, 1 13 2024 10:00:00 +0000",  // numeric month
      "1 Jan 2024 25:00:00 +0000",      // hour 25
      "1 Jan 2024 24:00:00 +0000",
      "1 Jan 2024 10:60:00 +0000",  // minute 60
      "1 Jan 2024 10:00:61 +0000",  // second 61
      "1 Jan 2024 10:00:00",        // missing zone
      "1 Jan 2024 10:00:00 (no zone, just a comment)",
      "1 Jan 2024 10:00:00 XYZ",    // unknown zone
      "1 Jan 2024 10:00:00 +2400",  // zone out of range
      "1 Jan 2024 10:00:00 +01",
      "1 Jan 2024 10 +0000",  // time without minutes
      "1 Jan 2024 10::00 +0000",
      "1 Jan 2024 10:00:00:00 +0000",
      "0 Jan 2024 10:00:00 +0000",   // day 0
      "32 Jan 2024 10:00:00 +0000",  // day 32
      "30 Feb 2024 10:00:00 +0000",  // no such day in February
      "29 Feb 2023 10:00:00 +0000",  // not a leap year
      "31 Apr 2024 10:00:00 +0000",
      "1 Jan 2 10:00:00 +0000",  // 1-digit year
      "1 Jan 20245 10:00:00 +0000",
      "1 Jan 1899 10:00:00 +0000",
      "Jan 1 2024 10:00:00 +0000",  // US order
      "2024-01-01T10:00:00Z",       // ISO 8601 is not RFC 5322
  };
  for (const auto& r : rows) {
    CAPTURE(r);
    CHECK_FALSE(parse_rfc5322_date(r));
  }
}
