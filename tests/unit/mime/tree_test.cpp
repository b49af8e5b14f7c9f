// Tests for mime::Tree: the part tree a mail client would show, and the MIME_*
// anomaly recorded for every ambiguity and limit; the shared torture corpus.
#include "mime/tree.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "mime/analysis.hpp"
#include "support/files.hpp"

using namespace postern::mime;
using Strings = std::vector<std::string>;

namespace {

using postern::test::slurp;

// The message with every bare LF turned into CRLF.
std::string crlf(std::string_view lf) {
  std::string out;
  for (char c : lf) {
    if (c == '\n') out.push_back('\r');
    out.push_back(c);
  }
  return out;
}

// "path type" or "path type filename" for every leaf, in document order.
Strings leaf_summary(const Tree& t) {
  Strings out;
  for (const Part* p : t.leaves())
    out.push_back(p->path + " " + p->content_type + (p->filename.empty() ? "" : " " + p->filename));
  return out;
}

Strings tree_symbols(const std::vector<Anomaly>& as) {
  Strings out;
  for (const auto& a : as) out.push_back(a.symbol);
  std::sort(out.begin(), out.end());
  return out;
}

const Part* tree_find_part(const Tree& t, std::string_view path) {
  for (const auto& p : t.parts())
    if (p.path == path) return &p;
  return nullptr;
}

std::string decoded(const Tree& t, std::string_view path) {
  const Part* p = tree_find_part(t, path);
  REQUIRE(p);
  DecodeStats st;
  return t.decode(*p, st);
}

const std::string kAlternative =
    "From: a@example.com\n"
    "MIME-Version: 1.0\n"
    "Content-Type: multipart/alternative; boundary=\"b1\"\n"
    "\n"
    "This is a multi-part message in MIME format.\n"
    "--b1\n"
    "Content-Type: text/plain; charset=utf-8\n"
    "\n"
    "hello\n"
    "--b1\n"
    "Content-Type: text/html; charset=utf-8\n"
    "\n"
    "<p>hello</p>\n"
    "--b1--\n";

const std::string kNested =
    "Content-Type: multipart/mixed; boundary=\"outer\"\n"
    "\n"
    "--outer\n"
    "Content-Type: text/plain\n"
    "\n"
    "see the forwarded message\n"
    "--outer\n"
    "Content-Type: message/rfc822\n"
    "\n"
    "Subject: inner\n"
    "Content-Type: multipart/mixed; boundary=\"inner\"\n"
    "\n"
    "--inner\n"
    "Content-Type: text/plain\n"
    "\n"
    "inner text\n"
    "--inner\n"
    "Content-Type: application/pdf\n"
    "Content-Disposition: attachment; filename=\"a.pdf\"\n"
    "Content-Transfer-Encoding: base64\n"
    "\n"
    "JVBERi0xLjQ=\n"
    "--inner--\n"
    "--outer--\n";

const std::string kDigest =
    "Content-Type: multipart/digest; boundary=\"d\"\n"
    "\n"
    "--d\n"
    "\n"
    "Subject: one\n"
    "\n"
    "first\n"
    "--d\n"
    "Content-Type: text/plain\n"
    "\n"
    "explicit\n"
    "--d--\n";

std::string mixed(const std::string& extra_head, const std::string& parts_and_tail) {
  return "Content-Type: multipart/mixed; boundary=\"m\"\n" + extra_head + "\n" + parts_and_tail;
}

const std::string kText = "--m\nContent-Type: text/plain\n\ntext\n";

}  // namespace

TEST_CASE("each message gives the parts a mail client shows and one anomaly per ambiguity",
          "[tree]") {
  struct Row {
    std::string name;
    std::string msg;  // LF line ends: each row is also parsed with CRLF
    Strings leaves;
    Strings anomalies;  // sorted symbols of all parts
  };
  const std::vector<Row> rows = {
      {"a clean multipart/alternative has no anomalies",
       kAlternative,
       {"1.1 text/plain", "1.2 text/html"},
       {}},
      {"a single text part", "Subject: x\n\nbody\n", {"1 text/plain"}, {}},
      {"no header at all", "just text\n", {"1 text/plain"}, {}},
      {"a forwarded message inside a multipart",
       kNested,
       {"1.1 text/plain", "1.2.1.1 text/plain", "1.2.1.2 application/pdf a.pdf"},
       {}},
      {"multipart/digest children default to message/rfc822",
       kDigest,
       {"1.1.1 text/plain", "1.2 text/plain"},
       {}},
      {"a duplicate Content-Type: the first is used",
       "Content-Type: text/plain\nContent-Type: text/html\n\n<b>x</b>\n",
       {"1 text/plain"},
       {"MIME_DUPLICATE_CONTENT_TYPE"}},
      {"a duplicate Content-Type on a multipart: the first is used",
       mixed("Content-Type: text/plain\n", kText + "--m--\n"),
       {"1.1 text/plain"},
       {"MIME_DUPLICATE_CONTENT_TYPE"}},
      {"a duplicate Content-Transfer-Encoding: the first is used",
       "Content-Type: application/octet-stream\nContent-Transfer-Encoding: base64\n"
       "Content-Transfer-Encoding: quoted-printable\n\nQUJD\n",
       {"1 application/octet-stream"},
       {"MIME_DUPLICATE_TRANSFER_ENCODING"}},
      {"a multipart without a boundary is one part",
       "Content-Type: multipart/mixed\n\n--m\n\ntext\n--m--\n",
       {"1 multipart/mixed"},
       {"MIME_MULTIPART_NO_BOUNDARY"}},
      {"a boundary that never occurs: one part",
       "Content-Type: multipart/mixed; boundary=\"zz\"\n\n--m\n\ntext\n--m--\n",
       {"1 multipart/mixed"},
       {"MIME_BOUNDARY_NOT_FOUND"}},
      {"only a close delimiter: one part",
       "Content-Type: multipart/mixed; boundary=\"m\"\n\ntext\n--m--\n",
       {"1 multipart/mixed"},
       {"MIME_BOUNDARY_NOT_FOUND"}},
      {"a multipart without its close delimiter: the last part runs to the end",
       mixed("", kText + "--m\nContent-Type: text/html\n\nlast\n"),
       {"1.1 text/plain", "1.2 text/html"},
       {"MIME_UNTERMINATED_MULTIPART"}},
      {"text after the close delimiter",
       mixed("", kText + "--m--\nsome trailing words\n"),
       {"1.1 text/plain"},
       {"MIME_EPILOGUE_CONTENT"}},
      {"whitespace after the close delimiter is fine",
       mixed("", kText + "--m--\n\n  \n"),
       {"1.1 text/plain"},
       {}},
      {"a transfer encoding on a multipart is ignored",
       mixed("Content-Transfer-Encoding: base64\n", kText + "--m--\n"),
       {"1.1 text/plain"},
       {"MIME_MULTIPART_ENCODED"}},
      {"8bit on a multipart is fine",
       mixed("Content-Transfer-Encoding: 8bit\n", kText + "--m--\n"),
       {"1.1 text/plain"},
       {}},
      {"a Content-Type without subtype is text/plain",
       "Content-Type: text\n\nbody\n",
       {"1 text/plain"},
       {"MIME_CONTENT_TYPE_NO_SUBTYPE"}},
      {"a Content-Type 'multipart' without subtype is text/plain, not a multipart",
       "Content-Type: multipart; boundary=m\n\n--m\n\nx\n--m--\n",
       {"1 text/plain"},
       {"MIME_CONTENT_TYPE_NO_SUBTYPE"}},
      {"an empty Content-Type is text/plain",
       "Content-Type: \n\nbody\n",
       {"1 text/plain"},
       {"MIME_CONTENT_TYPE_INVALID"}},
      {"a missing ';' in Content-Type: the boundary is still read",
       "Content-Type: multipart/mixed boundary=\"m\"\n\n" + kText + "--m--\n",
       {"1.1 text/plain"},
       {"MIME_CONTENT_TYPE_SYNTAX"}},
      {"a filename from the Content-Type name when the disposition has none",
       mixed("",
             "--m\nContent-Type: application/pdf; name=\"r.pdf\"\nContent-Disposition: "
             "attachment\n\n%PDF\n--m--\n"),
       {"1.1 application/pdf r.pdf"},
       {}},
      {"a filename only in Content-Type",
       "Content-Type: application/pdf; name=\"r.pdf\"\n\n%PDF\n",
       {"1 application/pdf r.pdf"},
       {}},
      {"filename and name that differ: the filename is used",
       "Content-Type: application/pdf; name=\"invoice.pdf\"\n"
       "Content-Disposition: attachment; filename=\"invoice.exe\"\n\nMZ\n",
       {"1 application/pdf invoice.exe"},
       {"MIME_FILENAME_MISMATCH"}},
      {"a filename in angle brackets reads without them (its extension is .html)",
       "Content-Type: text/html; name=\"<DHL.html>\"\n"
       "Content-Disposition: attachment; filename=\"<DHL.html>\"\n\n<p>x\n",
       {"1 text/html DHL.html"},
       {}},
      {"an encoded-word in a filename",
       "Content-Disposition: attachment; filename=\"=?utf-8?Q?a.txt?=\"\n\nx\n",
       {"1 text/plain a.txt"},
       {"MIME_ENCODED_WORD_IN_PARAMETER"}},
      {"a repeated filename parameter",
       "Content-Disposition: attachment; filename=\"a.txt\"; filename=\"b.exe\"\n\nx\n",
       {"1 text/plain a.txt"},
       {"MIME_DUPLICATE_PARAMETER"}},
      {"an unknown transfer encoding is read as 7bit",
       "Content-Transfer-Encoding: x-rot13\n\nuryyb\n",
       {"1 text/plain"},
       {"MIME_UNKNOWN_TRANSFER_ENCODING"}},
      {"a base64 message/rfc822 is kept as one part",
       "Content-Type: message/rfc822\nContent-Transfer-Encoding: base64\n\nU3ViamVjdDogeA0KDQp5\n",
       {"1 message/rfc822"},
       {"MIME_MESSAGE_ENCODED"}},
      {"a part whose header block ends at a non-field line",
       mixed("", "--m\nContent-Type: text/plain\nthis is not a field\n--m--\n"),
       {"1.1 text/plain"},
       {"MIME_MISSING_HEADER_SEPARATOR"}},
      {"a line extending the boundary is not a delimiter",
       mixed("", "--m\nContent-Type: text/plain\n\n--mx\n--m --\n--m--\n"),
       {"1.1 text/plain"},
       {}},
      {"a uuencoded block in a text body is a part of its own",
       "Content-Type: text/plain\n\nsee attached\nbegin 644 cat.txt\n#0V%T\n`\nend\nbye\n",
       {"1 text/plain", "1.1 application/octet-stream cat.txt"},
       {}},
      {"a uuencoded block without its end line",
       "Content-Type: text/plain\n\nbegin 600 cat.txt\n#0V%T\n",
       {"1 text/plain", "1.1 application/octet-stream cat.txt"},
       {"MIME_UUENCODE_UNTERMINATED"}},
      {"'begin' without a mode is not uuencode",
       "Content-Type: text/plain\n\nbegin here\nend\n",
       {"1 text/plain"},
       {}},
  };
  for (const auto& r : rows) {
    CAPTURE(r.name);
    const std::string lf = r.msg, cr = crlf(r.msg);
    Tree t = Tree::parse(lf);
    CHECK(leaf_summary(t) == r.leaves);
    CHECK(tree_symbols(t.all_anomalies()) == r.anomalies);
    Tree t2 = Tree::parse(cr);
    CHECK(leaf_summary(t2) == r.leaves);
    CHECK(tree_symbols(t2.all_anomalies()) == r.anomalies);
    // the part spans nest inside the message
    for (const auto& p : t.parts()) {
      CHECK(p.header_begin <= p.header_end);
      CHECK(p.body_begin <= p.body_end);
      CHECK(p.body_end <= lf.size());
    }
  }
}

TEST_CASE("part contents are the bytes between the delimiters, decoded", "[tree]") {
  for (bool use_crlf : {false, true}) {
    CAPTURE(use_crlf);
    auto conv = [&](const std::string& s) { return use_crlf ? crlf(s) : s; };
    const std::string eol = use_crlf ? "\r\n" : "\n";
    {
      const std::string msg = conv(kNested);
      Tree t = Tree::parse(msg);
      CHECK(decoded(t, "1.1") == "see the forwarded message");
      CHECK(decoded(t, "1.2.1.1") == "inner text");
      CHECK(decoded(t, "1.2.1.2") == "%PDF-1.4");
      const Part* m = tree_find_part(t, "1.2");
      REQUIRE(m);
      CHECK(m->message);
      CHECK(m->content_type == "message/rfc822");
      REQUIRE(m->children.size() == 1);
      CHECK(t.parts()[static_cast<size_t>(m->children[0])].path == "1.2.1");
      CHECK(t.parts()[static_cast<size_t>(m->children[0])].multipart);
    }
    {
      const std::string msg = conv(kDigest);
      Tree t = Tree::parse(msg);
      const Part* d = tree_find_part(t, "1.1");
      REQUIRE(d);
      CHECK(d->content_type == "message/rfc822");
      CHECK(decoded(t, "1.1.1") == "first");
    }
    {  // unterminated: the last part runs to the end, without its final line end
      const std::string msg =
          conv(mixed("", kText + "--m\nContent-Type: text/html\n\nlast line\n"));
      Tree t = Tree::parse(msg);
      CHECK(decoded(t, "1.2") == "last line");
      CHECK(decoded(t, "1.1") == "text");
    }
    {  // a duplicate CTE: the first (base64) is used
      const std::string msg = conv(
          "Content-Type: application/octet-stream\nContent-Transfer-Encoding: base64\n"
          "Content-Transfer-Encoding: quoted-printable\n\nQUJD\n");
      Tree t = Tree::parse(msg);
      CHECK(t.root().encoding == Encoding::Base64);
      CHECK(decoded(t, "1") == "ABC");
    }
    {  // a multipart with a CTE still has its parts
      const std::string msg = conv(mixed("Content-Transfer-Encoding: base64\n", kText + "--m--\n"));
      Tree t = Tree::parse(msg);
      CHECK(t.root().multipart);
      CHECK(decoded(t, "1.1") == "text");
    }
    {  // an unknown CTE is read as it is
      const std::string msg = conv("Content-Transfer-Encoding: x-rot13\n\nuryyb\n");
      Tree t = Tree::parse(msg);
      CHECK(t.root().encoding == Encoding::Unknown);
      CHECK(t.root().transfer_encoding == "x-rot13");
      CHECK(decoded(t, "1") == "uryyb" + eol);
    }
    {  // uuencoded blocks: in a plain body and in a quoted-printable body
      const std::string msg =
          conv("Content-Type: text/plain\n\nsee attached\nbegin 644 cat.txt\n#0V%T\n`\nend\nbye\n");
      Tree t = Tree::parse(msg);
      const Part* u = tree_find_part(t, "1.1");
      REQUIRE(u);
      CHECK(u->uuencoded);
      CHECK(u->disposition == "attachment");
      CHECK(decoded(t, "1.1") == "Cat");
    }
    {
      // "hello, world\n" uuencoded; its '=' and trailing spaces are quoted-printable escapes
      const std::string msg = conv(
          "Content-Type: text/plain\nContent-Transfer-Encoding: quoted-printable\n\n"
          "text=\nmore\nbegin 644 hello.txt\n-:&5L;&\\L('=3DO<FQD\"@=20=20\n`\nend\n");
      Tree t = Tree::parse(msg);
      CHECK(leaf_summary(t) == Strings{"1 text/plain", "1.1 application/octet-stream hello.txt"});
      CHECK(decoded(t, "1.1") == "hello, world\n");
      CHECK(t.all_anomalies().empty());
    }
    {  // a uuencoded block ending with "end" and no "`" line
      const std::string msg = conv("Content-Type: text/plain\n\nbegin 644 cat.txt\n#0V%T\nend\n");
      Tree t = Tree::parse(msg);
      CHECK(decoded(t, "1.1") == "Cat");
    }
  }
}

TEST_CASE("an epilogue that looks like a hidden part says so", "[tree]") {
  struct Row {
    std::string tail;
    bool hidden;
  };
  const std::vector<Row> rows = {
      {"trailing words\n", false},
      {"Content-Type: text/html\n\n<a href=\"http://evil.test/\">x</a>\n", true},
      {"--m\nContent-Type: text/html\n\nx\n", true},
  };
  for (const auto& r : rows) {
    CAPTURE(r.tail);
    const std::string msg = mixed("", kText + "--m--\n" + r.tail);
    Tree t = Tree::parse(msg);
    auto as = t.all_anomalies();
    REQUIRE(as.size() == 1);
    CHECK(as[0].symbol == "MIME_EPILOGUE_CONTENT");
    CHECK(as[0].detail.starts_with("1: "));
    CHECK((as[0].detail.find("looking like a hidden part") != std::string::npos) == r.hidden);
    CHECK(leaf_summary(t) == Strings{"1.1 text/plain"});
  }
}

TEST_CASE("a boundary-like line inside base64 data is reported by the analysis",
          "[tree][analysis]") {
  const std::string msg =
      mixed("",
            "--m\nContent-Type: application/octet-stream\nContent-Transfer-Encoding: base64\n\n"
            "QUJD\n--mxyz\nREVG\n--m--\n");
  for (const std::string& m : {msg, crlf(msg)}) {
    Analysis a = analyze(m);
    CHECK(leaf_summary(a.tree) == Strings{"1.1 application/octet-stream"});
    CHECK(tree_symbols(a.anomalies) ==
          Strings{"MIME_BASE64_BOUNDARY_LINE", "MIME_BASE64_INVALID_CHARS"});
    REQUIRE(a.leaves.size() == 1);
    CHECK(tree_symbols(a.leaves[0].anomalies) ==
          Strings{"MIME_BASE64_BOUNDARY_LINE", "MIME_BASE64_INVALID_CHARS"});
  }
}

TEST_CASE("nesting beyond the depth limit becomes one opaque part, without a crash",
          "[tree][limits]") {
  for (const char* kind : {"multipart", "message"}) {
    CAPTURE(kind);
    std::string msg;
    const int levels = 100;
    for (int i = 0; i < levels; ++i) {
      if (std::string(kind) == "multipart")
        msg += "Content-Type: multipart/mixed; boundary=\"b" + std::to_string(i) + "\"\n\n--b" +
               std::to_string(i) + "\n";
      else
        msg += "Content-Type: message/rfc822\n\n";
    }
    msg += "Content-Type: text/plain\n\ndeep\n";
    if (std::string(kind) == "multipart")
      for (int i = levels - 1; i >= 0; --i) msg += "--b" + std::to_string(i) + "--\n";
    Limits lim;
    lim.max_depth = 64;
    Tree t = Tree::parse(msg, lim);
    CHECK(tree_symbols(t.all_anomalies()) == Strings{"MIME_DEPTH_LIMIT"});
    auto leaves = t.leaves();
    REQUIRE(leaves.size() == 1);
    CHECK(leaves[0]->opaque);
    CHECK(leaves[0]->depth == 63);
    size_t max_depth = 0;
    for (const auto& p : t.parts()) max_depth = std::max(max_depth, p.depth);
    CHECK(max_depth == 63);
    // the opaque part holds the rest of the message
    CHECK(t.body(*leaves[0]).find("deep") != std::string_view::npos);
    Analysis a = analyze(msg);  // default limits
    CHECK(a.leaves.size() == 1);
  }
}

TEST_CASE("parts beyond the parts limit become one opaque part", "[tree][limits]") {
  std::string msg = mixed("", "");
  for (int i = 0; i < 6; ++i)
    msg += "--m\nContent-Type: text/plain\n\npart " + std::to_string(i) + "\n";
  msg += "--m--\n";
  Limits lim;
  lim.max_parts = 3;
  Tree t = Tree::parse(msg, lim);
  CHECK(leaf_summary(t) ==
        Strings{"1.1 text/plain", "1.2 text/plain", "1.3 application/octet-stream"});
  CHECK(t.leaves().back()->opaque);
  CHECK(t.parts().size() <= 4);
  CHECK(tree_symbols(t.all_anomalies()) == Strings{"MIME_PARTS_LIMIT"});
  CHECK(t.body(*t.leaves().back()).find("part 5") != std::string_view::npos);

  // many uuencoded blocks stop at the limit too
  std::string uu = "Content-Type: text/plain\n\n";
  for (int i = 0; i < 10; ++i) uu += "begin 644 f" + std::to_string(i) + "\n#0V%T\nend\n";
  Tree u = Tree::parse(uu, lim);
  CHECK(u.parts().size() <= 3);
  CHECK(tree_symbols(u.all_anomalies()) == Strings{"MIME_PARTS_LIMIT"});
}

TEST_CASE("fields beyond the header bytes limit are ignored and the body is still found",
          "[tree][limits]") {
  std::string msg;
  for (int i = 0; i < 20; ++i) msg += "X-Pad-" + std::to_string(i) + ": 0123456789\n";
  msg += "Content-Type: text/html\n\nthe body\n";
  Limits lim;
  lim.max_header_bytes = 100;
  for (const std::string& m : {msg, crlf(msg)}) {
    Tree t = Tree::parse(m, lim);
    CHECK(tree_symbols(t.all_anomalies()) == Strings{"MIME_HEADER_LIMIT"});
    CHECK(t.root().content_type == "text/plain");
    DecodeStats st;
    CHECK(t.decode(t.root(), st).starts_with("the body"));
    Tree full = Tree::parse(m);
    CHECK(full.root().content_type == "text/html");
    CHECK(full.all_anomalies().empty());
  }
}

TEST_CASE("LF-only and CRLF messages give the same structure", "[tree]") {
  for (const std::string& msg : {kAlternative, kNested, kDigest}) {
    const std::string cr = crlf(msg);
    Tree a = Tree::parse(msg), b = Tree::parse(cr);
    REQUIRE(a.parts().size() == b.parts().size());
    for (size_t i = 0; i < a.parts().size(); ++i) {
      const Part &x = a.parts()[i], &y = b.parts()[i];
      CHECK(x.path == y.path);
      CHECK(x.content_type == y.content_type);
      CHECK(x.children == y.children);
      DecodeStats s1, s2;
      if (x.is_leaf()) CHECK(a.decode(x, s1) == b.decode(y, s2));
    }
  }
}

TEST_CASE("every message of the torture corpus parses, and the torture test has its 30 leaves",
          "[tree][corpus]") {
  const std::filesystem::path dir = std::filesystem::path(POSTERN_CORPUS_DIR) / "mime" / "torture";
  REQUIRE(std::filesystem::is_directory(dir));
  size_t files = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    if (!e.is_regular_file()) continue;
    ++files;
    CAPTURE(e.path().filename().string());
    const std::string raw = slurp(e.path());
    Analysis a = analyze(raw);
    CHECK(!a.tree.parts().empty());
    auto leaves = a.tree.leaves();
    REQUIRE(a.leaves.size() == leaves.size());
    for (size_t i = 0; i < leaves.size(); ++i) {
      CAPTURE(leaves[i]->path);
      CHECK(a.leaves[i].part == leaves[i]);
      DecodeStats st;
      std::string bytes = a.tree.decode(*leaves[i], st);
      CHECK(a.leaves[i].sha256 == sha256_hex(bytes));
      CHECK(a.leaves[i].size == bytes.size());
    }
  }
  CHECK(files >= 30);

  // Expected values from Python's email package (compat32): its 30 non-multipart parts.
  const std::string raw = slurp(dir / "torture-test.eml");
  Tree t = Tree::parse(raw);
  auto leaves = t.leaves();
  CHECK(leaves.size() == 30);
  struct Want {
    std::string path, type;
    size_t size;
    std::string sha256_prefix;
  };
  const std::vector<Want> wants = {
      {"1.1", "text/plain", 190, "5d931f57dfa1"},
      {"1.3.1", "audio/basic", 409600, "586f47ebdc86"},
      {"1.6.1.2.1", "image/gif", 18971, "7b97bba0938a"},
      {"1.10", "image/gif", 33320, "738fd0d1fa05"},        // quoted-printable
      {"1.11.1.1", "audio/basic", 29652, "582273bad722"},  // the same audio, quoted-printable ...
      {"1.11.1.2", "audio/basic", 29652, "582273bad722"},  // ... and base64
      {"1.12.1.2", "text/plain", 13448, "ccec8fb1a298"},
      {"1.12.1.3.1.4.1", "audio/x-sun", 55226, "f5d0f31c4355"},
  };
  for (const auto& w : wants) {
    CAPTURE(w.path);
    const Part* p = tree_find_part(t, w.path);
    REQUIRE(p);
    CHECK(p->is_leaf());
    CHECK(p->content_type == w.type);
    DecodeStats st;
    std::string bytes = t.decode(*p, st);
    CHECK(bytes.size() == w.size);
    CHECK(sha256_hex(bytes).substr(0, 12) == w.sha256_prefix);
  }
  const Part* named = tree_find_part(t, "1.12.1.2");
  REQUIRE(named);
  CHECK(named->filename == "Alices_PDP-10");
}

TEST_CASE("a long boundary over lines that match it everywhere is found in linear time",
          "[tree][limits]") {
  // a boundary of 60000 dashes matches at every position of a line of dashes: the
  // search used to restart one byte further each time (minutes for 2 MB)
  std::string b(60000, '-');
  std::string dashes;
  for (int i = 0; i < 30; ++i) dashes += std::string(70000, '-') + "\r\n";
  std::string msg = "Content-Type: multipart/mixed; boundary=\"" + b + "\"\r\n\r\n--" + b +
                    "\r\nContent-Type: text/plain\r\n\r\n" + dashes + "--" + b +
                    "\r\nContent-Type: text/plain\r\n\r\nsecond\r\n--" + b + "--\r\n";
  Tree t = Tree::parse(msg);
  auto leaves = t.leaves();
  REQUIRE(leaves.size() == 2);
  CHECK(t.body(*leaves[0]).size() == dashes.size() - 2);  // without the line end before "--"
  CHECK(t.body(*leaves[1]) == "second");
  CHECK(t.all_anomalies().empty());
}

TEST_CASE("a delimiter after a line that holds the boundary mid-line is still found", "[tree]") {
  std::string msg =
      "Content-Type: multipart/mixed; boundary=\"b\"\r\n\r\n--b\r\n\r\nx --b --b --bb\r\n--bb\r\n"
      "--b\r\n\r\ny\r\n--b--\r\n";
  Tree t = Tree::parse(msg);
  auto leaves = t.leaves();
  REQUIRE(leaves.size() == 2);
  CHECK(t.body(*leaves[0]) == "x --b --b --bb\r\n--bb");
  CHECK(t.body(*leaves[1]) == "y");
}
