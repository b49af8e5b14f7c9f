// Tests for core/excerpt.hpp: quoting the message in findings, masked.
#include "core/excerpt.hpp"

#include <catch2/catch.hpp>

#include <string>

using postern::core::excerpt;
using postern::core::explain;
using postern::core::mask;

TEST_CASE("mask hides e-mail local parts and long digit runs", "[excerpt]") {
  struct Case {
    std::string in, out;
  };
  const Case cases[] = {
      {"write to john.smith@example.com now", "write to j*********@example.com now"},
      {"card 4111 1111 1111 1234 ok", "card **** **** **** 1234 ok"},
      {"SSN 123-45-6789", "SSN ***-**-6789"},
      {"call 12345", "call 12345"},  // five digits: not personal by itself
      {"order 2026/12/03", "order ****/12/03"},
      {"a @ b", "a @ b"},
      {"x@", "x@"},
  };
  for (const auto& c : cases) {
    INFO(c.in);
    CHECK(mask(c.in) == c.out);
  }
}

TEST_CASE("excerpt quotes the match with context, bounded and masked", "[excerpt]") {
  std::string text(500, 'a');
  text.replace(250, 10, "MATCHED-IT");
  std::string e = excerpt(text, 250, 10);
  CHECK(e.find("MATCHED-IT") != std::string::npos);
  CHECK(e.starts_with("…"));
  CHECK(e.ends_with("…"));
  // At most 60 code points ("…" is one).
  size_t cps = 0;
  for (unsigned char c : e) cps += (c & 0xC0) != 0x80;
  CHECK(cps <= 60);

  // Whitespace and control characters collapse; invalid UTF-8 becomes U+FFFD.
  CHECK(excerpt("pay\r\n\t now \xff!", 0, 3) == "pay now \xEF\xBF\xBD!");
  // A card number cut by the window is still masked.
  std::string card = std::string(200, ' ') + "4111111111111111" + std::string(200, ' ');
  CHECK(excerpt(card, 200, 16).find("411111") == std::string::npos);
  // A match at the end, an empty text, a position past the end.
  CHECK(excerpt("hello", 5, 3) == "hello");
  CHECK(excerpt("", 0, 0).empty());
  CHECK(excerpt("abc", 99, 99) == "abc");
}

TEST_CASE("explain names the field and the part", "[excerpt]") {
  CHECK(explain("'wire transfer'", "body.text", "1.2", "please wire transfer") ==
        "'wire transfer' in body.text (part 1.2): \"please wire transfer\"");
  CHECK(explain("brand PayPal", "subject", "", "PayPal alert") ==
        "brand PayPal in subject: \"PayPal alert\"");
}
