// The safe rendering of a stored message that the CLI's show and the web page print.
#include "quarantine/operations.hpp"

#include <catch2/catch.hpp>

using postern::quarantine::render;

TEST_CASE("render: the visible text, never the raw HTML, controls defused, attachments named") {
  const std::string raw =
      "From: a@b.example\r\nTo: bob@feas.test\r\nSubject: hi\x1b[31m there\r\n"
      "MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b\"\r\n\r\n"
      "--b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nLine one\r\nLine\x07 two\r\n\r\n"
      "--b\r\nContent-Type: text/html; charset=utf-8\r\n\r\n"
      "<html><body><p>Visible <b>words</b></p><script>alert('x')</script>"
      "<a href=\"https://evil.example/\">click</a></body></html>\r\n"
      "--b\r\nContent-Type: application/pdf; name=\"r.pdf\"\r\n"
      "Content-Disposition: attachment; filename=\"r.pdf\"\r\n"
      "Content-Transfer-Encoding: base64\r\n\r\nJVBERi0xLjQK\r\n--b--\r\n";
  const auto r = render(raw);
  CHECK(r.text.find("Line one\nLine? two\n") == 0);  // CRLF as LF, BEL as '?'
  CHECK(r.text.find('\r') == std::string::npos);
  CHECK(r.text.find("Visible words") != std::string::npos);
  CHECK(r.text.find("<script") == std::string::npos);
  CHECK(r.text.find("alert") == std::string::npos);
  CHECK(r.text.find("<a href") == std::string::npos);
  CHECK_FALSE(r.cut);
  REQUIRE(r.attachments.size() == 1);
  CHECK(r.attachments[0].filename == "r.pdf");
  bool subject = false;
  for (const auto& [name, value] : r.headers)
    if (name == "Subject") {
      subject = true;
      CHECK(value == "hi?[31m there");  // the escape sequence cannot drive a terminal
    }
  CHECK(subject);
}

TEST_CASE("render: text past 64 KiB is cut, and says so") {
  const std::string raw =
      "Subject: big\r\nContent-Type: text/plain\r\n\r\n" + std::string(100 * 1024, 'a') + "\r\n";
  const auto r = render(raw);
  CHECK(r.cut);
  CHECK(r.text.size() <= postern::quarantine::kMaxRenderedText + 1);
}
