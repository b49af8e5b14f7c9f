// The external-sender banner over the forms a body comes in: each bannered part still
// decodes (through postern's own MIME reader) to the banner then the original text, keeps
// its charset, transfer encoding and boundaries; signed and encrypted mail is left alone.
#include "content/banner.hpp"

#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "mime/decode.hpp"
#include "mime/tree.hpp"

using namespace postern;

namespace {

constexpr const char* kBanner = "CAUTION: external sender";
constexpr const char* kHead =
    "From: a@x.test\r\nTo: b@y.test\r\nSubject: s\r\nMIME-Version: 1.0\r\n";

struct Expect {
  std::string path;    // a part that gets the banner
  std::string starts;  // its decoded content starts with this
  std::string rest;    // and then holds this (the original text)
};

struct Row {
  std::string name;
  std::string message;
  std::string banner = kBanner;
  std::vector<Expect> bannered;  // empty: no banner at all
  std::string why = "";          // when none: the reason names this
};

std::string multipart(const std::string& type, const std::string& parts) {
  return std::string(kHead) + "Content-Type: " + type + "; boundary=\"b1\"\r\n\r\npreamble\r\n" +
         parts + "--b1--\r\nepilogue\r\n";
}

const std::string kHtmlDiv = content::banner_html(kBanner);

std::vector<Row> rows() {
  const std::string plain_part =
      "--b1\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\nplain text\r\n";
  const std::string html_part =
      "--b1\r\nContent-Type: text/html; charset=utf-8\r\nContent-Transfer-Encoding: "
      "base64\r\n\r\n" +
      mime::encode_base64("<html><body class=\"a>b\"><p>hi</p></body></html>") + "";
  return {
      {"plain 7bit single part",
       std::string(kHead) + "Content-Type: text/plain\r\n\r\nhello\r\nworld\r\n",
       kBanner,
       {{"1", std::string(kBanner) + "\r\n\r\n", "hello\r\nworld\r\n"}}},
      {"no MIME at all",
       "From: a@x.test\r\nSubject: s\r\n\r\nhello\r\n",
       kBanner,
       {{"1", std::string(kBanner) + "\r\n\r\n", "hello\r\n"}}},
      {"quoted-printable UTF-8 with a UTF-8 banner",
       std::string(kHead) +
           "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: "
           "quoted-printable\r\n\r\nK=C3=A4se und " +
           std::string(70, 'x') + "=\r\n" + std::string(30, 'y') + "\r\n",
       "Achtung: externe Absenderin \xC3\xA4\xC3\xB6\xC3\xBC",
       {{"1", "Achtung: externe Absenderin \xC3\xA4\xC3\xB6\xC3\xBC\r\n\r\n",
         "K\xC3\xA4se und " + std::string(70, 'x') + std::string(30, 'y') + "\r\n"}}},
      {"base64 ISO-8859-1 with an ASCII banner",
       std::string(kHead) +
           "Content-Type: text/plain; charset=iso-8859-1\r\nContent-Transfer-Encoding: "
           "base64\r\n\r\n" +
           mime::encode_base64("Gr\xFC\xDF"
                               "e\r\n" +
                               std::string(200, 'z') + "\r\n"),
       kBanner,
       {{"1", std::string(kBanner) + "\r\n\r\n",
         "Gr\xFC\xDF"
         "e\r\n" +
             std::string(200, 'z') + "\r\n"}}},
      {"HTML with a body tag whose attribute holds '>'",
       std::string(kHead) + "Content-Type: text/html\r\n\r\n<html><head><title>t</title></head>"
                            "<body class=\"a>b\">\r\n<p>hi</p></body></html>\r\n",
       kBanner,
       {{"1", "<html><head><title>t</title></head><body class=\"a>b\">\r\n" + kHtmlDiv,
         "\r\n\r\n<p>hi</p></body></html>\r\n"}}},
      // A browser's body: a "<body>" inside a comment or a title is not where the banner
      // would show (there it would be hidden from the reader).
      {"HTML with <body> in a comment and in the title before the real one",
       std::string(kHead) +
           "Content-Type: text/html\r\n\r\n<html><head><!-- <body> --><title><body></title>"
           "</head><body>\r\n<p>hi</p></body></html>\r\n",
       kBanner,
       {{"1", "<html><head><!-- <body> --><title><body></title></head><body>\r\n" + kHtmlDiv,
         "\r\n\r\n<p>hi</p></body></html>\r\n"}}},
      {"HTML without a body tag, after the doctype and head",
       std::string(kHead) +
           "Content-Type: text/html\r\n\r\n<!DOCTYPE html><title>t</title><p>hi</p>\r\n",
       kBanner,
       {{"1", "<!DOCTYPE html><title>t</title>\r\n" + kHtmlDiv + "\r\n", "<p>hi</p>\r\n"}}},
      {"HTML without a body tag",
       std::string(kHead) + "Content-Type: text/html\r\n\r\n<p>hi</p>\r\n",
       kBanner,
       {{"1", "\r\n" + kHtmlDiv + "\r\n", "<p>hi</p>\r\n"}}},
      {"HTML: a non-ASCII banner becomes character references in any ASCII charset",
       std::string(kHead) + "Content-Type: text/html; charset=windows-1252\r\n\r\n<BODY>x\r\n",
       "Extern <\xE2\x82\xAC>",
       {{"1", "<BODY>\r\n<div", "&lt;&#x20AC;&gt;</div>\r\nx\r\n"}}},
      {"multipart/alternative: the plain and the HTML part",
       multipart("multipart/alternative", plain_part + html_part + "\r\n"),
       kBanner,
       {{"1.1", std::string(kBanner) + "\r\n\r\n", "plain text"},
        {"1.2", "<html><body class=\"a>b\">\r\n" + kHtmlDiv, "<p>hi</p></body></html>"}}},
      {"multipart/mixed: the body, not the text attachment nor the forwarded message",
       multipart("multipart/mixed",
                 "--b1\r\nContent-Type: message/rfc822\r\n\r\nSubject: inner\r\n\r\ninner "
                 "text\r\n" +
                     plain_part +
                     "--b1\r\nContent-Type: text/plain\r\nContent-Disposition: attachment; "
                     "filename=\"a.txt\"\r\n\r\nattached\r\n"),
       kBanner,
       {{"1.2", std::string(kBanner) + "\r\n\r\n", "plain text"}}},
      {"multipart/signed is left alone",
       multipart("multipart/signed; protocol=\"application/pkcs7-signature\"",
                 plain_part + "--b1\r\nContent-Type: application/pkcs7-signature\r\n\r\nMIIB\r\n"),
       kBanner,
       {},
       "signed or encrypted (multipart/signed)"},
      {"S/MIME encrypted is left alone",
       std::string(kHead) + "Content-Type: application/pkcs7-mime; smime-type=enveloped-data\r\n"
                            "Content-Transfer-Encoding: base64\r\n\r\nMIIB\r\n",
       kBanner,
       {},
       "signed or encrypted"},
      {"PGP/MIME encrypted is left alone",
       multipart("multipart/encrypted; protocol=\"application/pgp-encrypted\"",
                 "--b1\r\nContent-Type: application/pgp-encrypted\r\n\r\nVersion: 1\r\n"),
       kBanner,
       {},
       "signed or encrypted"},
      {"inline PGP is left alone",
       std::string(kHead) +
           "Content-Type: text/plain\r\n\r\n-----BEGIN PGP SIGNED MESSAGE-----\r\nHash: "
           "SHA256\r\n\r\nx\r\n",
       kBanner,
       {},
       "inline PGP"},
      {"a UTF-8 banner cannot go into a us-ascii part",
       std::string(kHead) + "Content-Type: text/plain; charset=us-ascii\r\n\r\nhello\r\n",
       "Attention : exp\xC3\xA9"
       "diteur externe",
       {},
       "cannot be written in charset us-ascii"},
      {"a UTF-16 part cannot take an ASCII banner",
       std::string(kHead) +
           "Content-Type: text/plain; charset=utf-16\r\nContent-Transfer-Encoding: "
           "base64\r\n\r\n//5oAGkA\r\n",
       kBanner,
       {},
       "not ASCII-based"},
      {"a UTF-8 banner in a 7bit UTF-8 single part would need a new transfer encoding",
       std::string(kHead) + "Content-Type: text/plain; charset=utf-8\r\n\r\nhello\r\n",
       "Extern \xE2\x82\xAC",
       {},
       "transfer encoding would have to change"},
      {"damaged base64 is not re-encoded",
       std::string(kHead) +
           "Content-Type: text/plain\r\nContent-Transfer-Encoding: base64\r\n\r\naGVsbG8*!\r\n",
       kBanner,
       {},
       "damaged"},
      {"a banner that is already there is not added again",
       std::string(kHead) + "Content-Type: text/plain\r\n\r\n" + kBanner + "\r\n\r\nhello\r\n",
       kBanner,
       {},
       ""},
      {"no blank line after the header block: the banner would read as a field",
       "From: a@x.test\r\nSubject: s\r\nhello\r\n",
       kBanner,
       {},
       "no blank line"},
      {"a part without a blank line after its header",
       multipart("multipart/mixed", "--b1\r\nContent-Type: text/html\r\n"),
       kBanner,
       {},
       "no blank line"},
      {"no text body",
       std::string(kHead) + "Content-Type: image/png\r\n\r\niVBOR\r\n",
       kBanner,
       {},
       "no text/plain or text/html body"},
  };
}

}  // namespace

TEST_CASE("the banner over plain, QP, base64, HTML, multipart, signed and encrypted forms") {
  for (const auto& row : rows()) {
    INFO(row.name);
    core::Message m(row.message);
    auto body = content::add_banner(m, row.banner);
    if (row.bannered.empty()) {
      REQUIRE_FALSE(body);
      if (row.why.empty())
        CHECK(body.error().empty());  // the banner is there already: nothing to log
      else
        CHECK_THAT(body.error(), Catch::Contains(row.why));
      continue;
    }
    INFO((body ? std::string() : body.error()));
    REQUIRE(body);
    std::string leaving = row.message.substr(0, m.body_offset()) + *body;
    // a second pass (the message comes through again) adds nothing and logs nothing
    auto again = content::add_banner(core::Message(leaving), row.banner);
    REQUIRE_FALSE(again);
    CHECK(again.error().empty());
    mime::Tree before = mime::Tree::parse(m.raw());
    mime::Tree after = mime::Tree::parse(leaving);
    REQUIRE(after.parts().size() == before.parts().size());
    for (size_t i = 0; i < before.parts().size(); ++i) {
      const mime::Part& b = before.parts()[i];
      const mime::Part& a = after.parts()[i];
      INFO("part " << b.path);
      CHECK(a.path == b.path);
      CHECK(a.content_type == b.content_type);
      CHECK(a.charset == b.charset);
      CHECK(a.transfer_encoding == b.transfer_encoding);
      CHECK(a.boundary == b.boundary);
      mime::DecodeStats sa, sb;
      std::string da = after.decode(a, sa), db = before.decode(b, sb);
      CHECK(sa.invalid_chars == 0);
      CHECK(sa.invalid_escapes == 0);
      CHECK_FALSE(sa.missing_padding);
      const Expect* e = nullptr;
      for (const auto& x : row.bannered)
        if (x.path == b.path) e = &x;
      if (!e || !a.is_leaf()) {
        if (a.is_leaf()) CHECK(da == db);  // untouched
        continue;
      }
      CHECK_THAT(da, Catch::StartsWith(e->starts));
      CHECK_THAT(da, Catch::Contains(e->rest));
      if (a.encoding == mime::Encoding::QuotedPrintable || a.encoding == mime::Encoding::Base64) {
        std::string_view enc = after.body(a);
        for (size_t pos = 0; pos < enc.size();) {
          size_t nl = enc.find("\r\n", pos);
          size_t len = (nl == std::string_view::npos ? enc.size() : nl) - pos;
          CHECK(len <= 76);
          pos = nl == std::string_view::npos ? enc.size() : nl + 2;
        }
      }
    }
    // outside the bannered parts' bodies, nothing moved: preamble, boundaries, epilogue
    if (row.message.find("preamble") != std::string::npos) {
      CHECK_THAT(leaving, Catch::Contains("\r\n\r\npreamble\r\n--b1\r\n"));
      CHECK(leaving.ends_with("--b1--\r\nepilogue\r\n"));
    }
  }
}

TEST_CASE("banner_html escapes markup and writes non-ASCII as character references") {
  std::string h = content::banner_html("a<b>&\"c' \xC3\xA9 \xF0\x9F\x93\xA7");
  CHECK_THAT(h, Catch::Contains(">a&lt;b&gt;&amp;&quot;c&#39; &#xE9; &#x1F4E7;</div>"));
  for (char c : h) CHECK(static_cast<unsigned char>(c) < 0x80);
}

TEST_CASE("the banner over every MIME corpus message: no throw, same structure, idempotent") {
  namespace fs = std::filesystem;
  const fs::path dir = fs::path(POSTERN_CORPUS_DIR) / "mime";
  REQUIRE(fs::is_directory(dir));
  size_t messages = 0, bannered = 0;
  for (const auto& e : fs::recursive_directory_iterator(dir)) {
    if (!e.is_regular_file() || e.path().extension() != ".eml") continue;
    std::ifstream in(e.path(), std::ios::binary);
    std::string raw((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    INFO(e.path().string());
    ++messages;
    core::Message m = core::build_message(raw, 50u << 20);
    postern::expected<std::string, std::string> body = std::string();
    REQUIRE_NOTHROW(body = content::add_banner(m, "CAUTION: external \xC3\xA9"));
    if (!body) continue;
    ++bannered;
    std::string leaving = m.raw().substr(0, m.body_offset()) + *body;
    mime::Tree before = mime::Tree::parse(m.raw());
    mime::Tree after = mime::Tree::parse(leaving);
    REQUIRE(after.parts().size() == before.parts().size());
    for (size_t i = 0; i < before.parts().size(); ++i) {
      CHECK(after.parts()[i].content_type == before.parts()[i].content_type);
      CHECK(after.parts()[i].boundary == before.parts()[i].boundary);
    }
    auto again = content::add_banner(core::Message(leaving), "CAUTION: external \xC3\xA9");
    CHECK_FALSE(again);  // nothing added twice (a part skipped the first time is skipped again)
  }
  INFO(bannered << " of " << messages << " messages bannered");
  CHECK(bannered > 0);
}

TEST_CASE("BannerModifier applies [banner] by direction and min_action") {
  struct Row {
    const char* what;
    core::Direction dir;
    core::Action verdict;
    bool bannered;
    bool out_of_time = false;
  };
  const std::vector<Row> rows{
      {"inbound, tag", core::Direction::Inbound, core::Action::Tag, true},
      {"inbound, quarantine", core::Direction::Inbound, core::Action::Quarantine, true},
      {"inbound, accept: below min_action", core::Direction::Inbound, core::Action::Accept, false},
      {"outbound: not configured", core::Direction::Outbound, core::Action::Tag, false},
      {"inbound, tag, but the scan time was used up", core::Direction::Inbound, core::Action::Tag,
       false, true},
  };
  policy::BannerPolicy p;
  p.text = kBanner;
  p.min_action = core::Action::Tag;
  content::BannerModifier mod(p);
  for (const auto& row : rows) {
    INFO(row.what);
    core::Transaction tx(
        {}, row.dir, {}, [](std::string_view, double d) { return d; }, "id");
    if (row.out_of_time) tx.add_finding("LIMIT_SCAN_TIME", 0, "content stages cut short");
    core::Outcome out;
    out.verdict.action = row.verdict;
    mod.modify(tx, core::Message("Subject: x\r\n\r\nhello\r\n"), out);
    CHECK(out.new_body.has_value() == row.bannered);
    if (row.bannered) CHECK(*out.new_body == std::string(kBanner) + "\r\n\r\nhello\r\n");
  }
}
