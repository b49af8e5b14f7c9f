// The text DLP reads from attachments: XML document parts as a reader sees them
// (Word's split runs joined), the printable runs of binary Office files, and whole
// messages carrying docx, xlsx, odt, PDF (through the real postern-pdftext), zips,
// encrypted zips (opened with the password the mail gives, else unreadable), the
// shared corpus' encrypted Office files, archives nested too deep, and a PDF reader
// that hangs (killed at its deadline: the file is unreadable, the scan goes on).
#include "dlp/attachment_text.hpp"

#include <fmt/core.h>
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "core/transaction.hpp"
#include "mime/decode.hpp"
#include "mime/stage.hpp"
#include "support/archive_writer.hpp"
#include "support/files.hpp"
#include "support/pdf.hpp"
#include "support/temp_dir.hpp"

using namespace postern;

namespace {

struct Attached {
  std::string name, type, bytes;
};

std::string mail_with(const std::string& text, const std::vector<Attached>& files) {
  std::string m =
      "From: a@example.com\r\nTo: b@example.org\r\nSubject: files\r\nMIME-Version: 1.0\r\n"
      "Content-Type: multipart/mixed; boundary=\"XyZ\"\r\n\r\n--XyZ\r\n"
      "Content-Type: text/plain; charset=utf-8\r\n\r\n" +
      text + "\r\n";
  for (const auto& f : files)
    m += "--XyZ\r\nContent-Type: " + f.type + "; name=\"" + f.name +
         "\"\r\nContent-Disposition: attachment; filename=\"" + f.name +
         "\"\r\nContent-Transfer-Encoding: base64\r\n\r\n" + mime::encode_base64(f.bytes) + "\r\n";
  return m + "--XyZ--\r\n";
}

dlp::TextLimits with_pdf() {
  dlp::TextLimits limits;
  limits.pdf = &test::pdf_reader();
  return limits;
}

dlp::AttachmentText text_of(const std::string& raw, const dlp::TextLimits& limits = with_pdf(),
                            const std::vector<std::string_view>& mail_text = {}) {
  core::ConnectionInfo conn;
  core::Transaction tx(conn, core::Direction::Outbound, core::Limits{}, nullptr, "id");
  tx.set_message(core::Message(raw));
  REQUIRE(mime::MimeStage().on_message(tx).kind == core::Step::Kind::Continue);
  const auto* a = tx.get<mime::Analysis>();
  REQUIRE(a);
  return dlp::attachment_text(*a, limits, mail_text, &tx.budget());
}

std::string all_text(const dlp::AttachmentText& t) {
  std::string s;
  for (const auto& f : t.files) s += f.where + ":\n" + f.text + "\n";
  return s;
}

std::string unread_list(const dlp::AttachmentText& t) {
  std::string s;
  for (const auto& u : t.unread) s += u + "\n";
  return s;
}

const std::string kDocxTypes =
    "<?xml version=\"1.0\"?><Types "
    "xmlns=\"http://schemas.openxmlformats.org/package/2006/content-types\"/>";

std::string docx_with(const std::string& body_xml) {
  return test::zip(
      {{"[Content_Types].xml", kDocxTypes},
       {"word/document.xml", "<?xml version=\"1.0\"?><w:document xmlns:w=\"x\"><w:body>" +
                                 body_xml + "</w:body></w:document>"},
       {"word/styles.xml",
        "<w:styles><w:name w:val=\"4929 1234 5678 9012\"/>"
        "<w:t>STYLE-TEXT</w:t></w:styles>"}});
}

}  // namespace

TEST_CASE("XML document parts read as a person reads the document", "[dlp][attach-text]") {
  struct Row {
    const char* what;
    std::string xml, text;
  };
  const std::vector<Row> rows = {
      {"Word's runs of one paragraph are joined as they are",
       "<w:p><w:r><w:t>card 4241 96</w:t></w:r><w:r><w:t xml:space=\"preserve\">02 0928 "
       "2256</w:t></w:r></w:p>",
       "card 4241 9602 0928 2256\n"},
      {"paragraphs and breaks are lines, tabs and cells are tabs",
       "<w:p><w:r><w:t>one</w:t><w:tab/><w:t>two</w:t><w:br/><w:t>three</w:t></w:r></w:p>"
       "<w:tbl><w:tr><w:tc><w:p><w:t>a</w:t></w:p></w:tc><w:tc><w:p><w:t>b</w:t></w:p></w:tc>"
       "</w:tr></w:tbl>",
       "one\ttwo\nthree\na\nb\n"},
      {"references are decoded, CDATA kept, comments and instructions dropped",
       "<?xml version=\"1.0\"?><!-- 123-45-6789 --><t>A&amp;B &lt;x&gt; &#52;&#x32; "
       "&bogus; <![CDATA[<raw> & text]]></t>",
       "A&B <x> 42 &bogus; <raw> & text"},
      {"spreadsheet cells and shared strings",
       "<sst><si><t>Name</t></si><si><t>SSN</t></si></sst><row><c><v>1</v></c><c><v>2</v></c></"
       "row>",
       "Name\nSSN\n1\t2\n"},
      {"OpenDocument spaces, headings and list items",
       "<text:h>Staff</text:h><text:p>NHS<text:s/>943 476 5919</text:p>"
       "<text:list-item><text:p>x</text:p></text:list-item>",
       "Staff\nNHS 943 476 5919\nx\n"},
      {"a tag never closed ends the text", "<w:t>kept</w:t><w:t attr=\"never", "kept"},
  };
  for (const auto& r : rows) {
    INFO(r.what);
    CHECK(dlp::xml_text(r.xml, 1 << 20) == r.text);
  }
  CHECK(dlp::xml_text("<t>0123456789</t>", 4) == "0123");
}

TEST_CASE("the printable runs of a binary document", "[dlp][attach-text]") {
  std::string bin("\x01\x02\x00\xff", 4);
  bin += "SSN 078-05-1121";
  bin += std::string("\x00\x00\x03", 3);
  for (char c : std::string("Card 4241960209282256")) bin += std::string{c, '\0'};
  bin += std::string("\x00\x00", 2);
  bin += "ab";  // too short
  const std::string runs = dlp::printable_runs(bin, 1 << 20);
  CHECK(runs.find("SSN 078-05-1121\n") != std::string::npos);
  CHECK(runs.find("Card 4241960209282256\n") != std::string::npos);
  CHECK(runs.find("ab") == std::string::npos);
  // Plain 8-bit text read at UTF-16 alignments is not turned into CJK noise.
  const std::string ascii = dlp::printable_runs("Quarterly figures attached here", 1 << 20);
  CHECK(ascii == "Quarterly figures attached here\n");
}

TEST_CASE("the text of docx, xlsx, odt, PDF and zipped CSV attachments", "[dlp][attach-text]") {
  const std::string xlsx =
      test::zip({{"[Content_Types].xml", kDocxTypes},
                 {"xl/sharedStrings.xml",
                  "<sst><si><t>IBAN</t></si><si><t>GB82 WEST 1234 5698 7654 32</t>"
                  "</si></sst>"},
                 {"xl/worksheets/sheet1.xml",
                  "<sheetData><row><c t=\"s\"><v>0</v></c><c><v>943476591"
                  "9</v></c></row></sheetData>"},
                 {"xl/theme/theme1.xml", "<a:t>THEME-TEXT</a:t>"}});
  const std::string odt =
      test::zip({{"mimetype", "application/vnd.oasis.opendocument.text"},
                 {"content.xml", "<office:text><text:p>SSN 078-05-1121</text:p></office:text>"}});
  const std::string csv_zip =
      test::zip({{"export/staff.csv", "name,card\nann,4241960209282256\n"}});
  const std::string raw = mail_with(
      "see attached",
      {{"report.docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        docx_with("<w:p><w:r><w:t>card 4241 96</w:t></w:r><w:r><w:t>02 0928 2256</w:t></w:r>"
                  "</w:p>")},
       {"sheet.xlsx", "application/octet-stream", xlsx},
       {"letter.odt", "application/vnd.oasis.opendocument.text", odt},
       {"scan.pdf", "application/pdf", test::pdf_showing("Patient SSN 078-05-1121")},
       {"export.zip", "application/zip", csv_zip}});
  const auto t = text_of(raw);
  const std::string text = all_text(t);
  INFO(text);
  CHECK(unread_list(t).empty());
  CHECK(text.find("report.docx (part 1.2):\ncard 4241 9602 0928 2256") != std::string::npos);
  CHECK(text.find("STYLE-TEXT") == std::string::npos);
  CHECK(text.find("GB82 WEST 1234 5698 7654 32") != std::string::npos);
  CHECK(text.find("9434765919") != std::string::npos);
  CHECK(text.find("THEME-TEXT") == std::string::npos);
  CHECK(text.find("letter.odt (part 1.4):\nSSN 078-05-1121") != std::string::npos);
  CHECK(text.find("scan.pdf (part 1.5):\nPatient SSN 078-05-1121") != std::string::npos);
  CHECK(text.find("export.zip/export/staff.csv (part 1.6):\nname,card") != std::string::npos);
  CHECK_FALSE(t.limit);
}

TEST_CASE("attachments DLP cannot read are named with the reason", "[dlp][attach-text]") {
  const std::string secret = test::build(test::Fmt::Zip, {{"cards.csv", "4241960209282256\n"}},
                                         "zip:encryption=zipcrypt", "s3cret-Pw");
  const std::string encrypted_docx =
      test::slurp(std::string(POSTERN_CORPUS_DIR) + "/attach/oletools/encrypted/encrypted.docx");
  std::string deep = test::zip({{"cards.csv", "4241960209282256\n"}});
  for (int i = 0; i < 6; ++i) deep = test::zip({{"level.zip", deep}});
  const std::string raw =
      mail_with("Here you go.", {{"cards.zip", "application/zip", secret},
                                 {"board.docx", "application/octet-stream", encrypted_docx},
                                 {"deep.zip", "application/zip", deep}});
  const auto t = text_of(raw);
  const std::string unread = unread_list(t);
  INFO(unread);
  CHECK(unread.find("cards.zip/cards.csv (part 1.2): encrypted") != std::string::npos);
  CHECK(unread.find("board.docx (part 1.3): an encrypted Office document") != std::string::npos);
  CHECK(unread.find("(part 1.4): archives nested too deep") != std::string::npos);
  CHECK(t.unread_count == 3);
  CHECK(all_text(t).find("4241960209282256") == std::string::npos);

  SECTION("the password the mail gives opens the encrypted zip") {
    const std::vector<std::string_view> said = {"Hi,", "the zip's password is s3cret-Pw"};
    const auto opened = text_of(raw, {}, said);
    CHECK(all_text(opened).find("cards.zip/cards.csv (part 1.2):\n4241960209282256") !=
          std::string::npos);
    CHECK(opened.unread_count == 2);
  }
}

TEST_CASE("a PDF reader that fails or hangs makes the PDF unreadable, not the scan",
          "[dlp][attach-text]") {
  test::TempDir dir;
  const std::string hang = (dir.path() / "hang.sh").string();
  { std::ofstream(hang) << "#!/bin/sh\nexec sleep 30\n"; }
  std::filesystem::permissions(hang, std::filesystem::perms::owner_all);
  const std::string raw =
      mail_with("x", {{"a.pdf", "application/pdf", test::pdf_showing("078-05-1121")},
                      {"b.csv", "application/octet-stream", "4241960209282256\n"}});
  struct Row {
    std::string reader, reason;
  };
  const std::vector<Row> rows = {
      {hang, "a.pdf (part 1.2): PDF: no answer before the deadline"},
      {"/bin/false", "a.pdf (part 1.2): PDF: the reader exited (1)"},
      {(dir.path() / "missing").string(), "a.pdf (part 1.2): PDF: cannot start"},
      {"", "a.pdf (part 1.2): PDF text is not read"},
  };
  for (const auto& r : rows) {
    INFO(r.reader);
    dlp::PdfReader reader(dlp::PdfReaderOptions{.program = r.reader});
    dlp::TextLimits limits;
    limits.pdf = r.reader.empty() ? nullptr : &reader;
    limits.pdf_wall = std::chrono::milliseconds(300);
    const auto t = text_of(raw, limits);
    REQUIRE(t.unread.size() == 1);
    CHECK(t.unread[0].starts_with(r.reason));
    CHECK(all_text(t).find("b.csv (part 1.3):\n4241960209282256") != std::string::npos);
  }
}

TEST_CASE(
    "the PDFs of one message share one reading time: hanging PDFs cost pdf_total, "
    "not a deadline each",
    "[dlp][attach-text]") {
  // Without the shared bound, each of these PDFs would wait its own pdf_wall: a zip of
  // 500 of them would hold a milter thread (and the readers) for 500 deadlines.
  test::TempDir dir;
  const std::string hang = (dir.path() / "hang.sh").string();
  { std::ofstream(hang) << "#!/bin/sh\nexec sleep 30\n"; }
  std::filesystem::permissions(hang, std::filesystem::perms::owner_all);
  std::vector<Attached> pdfs;
  for (int i = 0; i < 6; ++i)
    pdfs.push_back({fmt::format("p{}.pdf", i), "application/pdf", test::pdf_showing("x")});
  pdfs.push_back({"b.csv", "application/octet-stream", "4241960209282256\n"});
  dlp::PdfReader reader(dlp::PdfReaderOptions{.program = hang});
  dlp::TextLimits limits;
  limits.pdf = &reader;
  limits.pdf_wall = std::chrono::milliseconds(300);
  limits.pdf_total = std::chrono::milliseconds(700);
  const auto t = text_of(mail_with("x", pdfs), limits);
  REQUIRE(t.unread.size() == 6);
  // The first PDFs wait their own deadline (the third only what is left of the 700 ms);
  // once the message's time is spent the others are not sent to a reader at all.
  CHECK(t.unread[0].starts_with("p0.pdf (part 1.2): PDF: no answer before the deadline"));
  CHECK(t.unread[1].starts_with("p1.pdf (part 1.3): PDF: no answer before the deadline"));
  CHECK(t.unread[5] ==
        "p5.pdf (part 1.7): the message's PDF reading time is spent ([dlp] pdf_total_ms)");
  // Files that are not PDFs are still read.
  CHECK(all_text(t).find("b.csv (part 1.8):\n4241960209282256") != std::string::npos);
}

TEST_CASE("attachment text stops at its byte bound", "[dlp][attach-text]") {
  const std::string raw =
      mail_with("x", {{"a.csv", "application/octet-stream", std::string(5000, '7')},
                      {"b.csv", "application/octet-stream", "4241960209282256\n"}});
  dlp::TextLimits limits = with_pdf();
  limits.max_bytes = 1000;
  const auto t = text_of(raw, limits);
  CHECK(t.limit);
  REQUIRE(t.files.size() == 1);
  CHECK(t.files[0].text.size() == 1000);
}
