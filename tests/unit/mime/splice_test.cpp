// Tests for mime::splice: untouched messages stay byte-identical, replaced leaves are
// re-encoded so a re-parse gives the new content, and the structure is kept.
#include "mime/splice.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "mime/analysis.hpp"
#include "support/files.hpp"

using namespace postern::mime;
namespace fs = std::filesystem;

namespace {

using postern::test::random_bytes;
using postern::test::slurp;

std::vector<fs::path> emls(const fs::path& dir) {
  std::vector<fs::path> out;
  for (const auto& e : fs::recursive_directory_iterator(dir))
    if (e.is_regular_file() && e.path().extension() == ".eml") out.push_back(e.path());
  std::sort(out.begin(), out.end());
  return out;
}

const fs::path kMime = fs::path(POSTERN_CORPUS_DIR) / "mime";

const Part* find_part(const Tree& t, std::string_view path) {
  for (const auto& p : t.parts())
    if (p.path == path) return &p;
  return nullptr;
}

std::string decoded(const Tree& t, const Part& p) {
  DecodeStats st;
  return t.decode(p, st);
}

// The header field `name` of part `path` (first occurrence, value trimmed), or "-" when absent.
std::string field(const Tree& t, std::string_view path, std::string_view name) {
  const Part* p = find_part(t, path);
  REQUIRE(p);
  std::string_view block = t.raw().substr(p->header_begin, p->header_end - p->header_begin);
  size_t pos = 0;
  while (pos < block.size()) {
    size_t nl = block.find('\n', pos);
    std::string_view line =
        block.substr(pos, nl == std::string_view::npos ? std::string_view::npos : nl - pos);
    pos = nl == std::string_view::npos ? block.size() : nl + 1;
    if (line.size() > name.size() && line[name.size()] == ':') {
      std::string n(line.substr(0, name.size()));
      for (char& c : n) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      if (n == name) {
        std::string v(line.substr(name.size() + 1));
        while (!v.empty() && (v.back() == '\r' || v.back() == ' ')) v.pop_back();
        while (!v.empty() && v.front() == ' ') v.erase(0, 1);
        return v;
      }
    }
  }
  return "-";
}

const std::string kMixed =
    "From: a@example.com\r\n"
    "Content-Type: multipart/mixed; boundary=\"m\"\r\n"
    "\r\n"
    "--m\r\n"
    "Content-Type: text/plain; charset=utf-8\r\n"
    "Content-Transfer-Encoding: 7bit\r\n"
    "\r\n"
    "plain ascii\r\n"
    "--m\r\n"
    "Content-Type: text/plain\r\n"
    "\r\n"
    "no transfer encoding\r\n"
    "--m\r\n"
    "Content-Type: application/octet-stream\r\n"
    "Content-Transfer-Encoding: base64\r\n"
    "\r\n"
    "QUJD\r\n"
    "--m\r\n"
    "Content-Type: application/octet-stream\r\n"
    "\r\n"
    "binary-ish\r\n"
    "--m\r\n"
    "\r\n"
    "no header fields\r\n"
    "--m\r\n"
    "not a header line\r\n"
    "--m--\r\n";

}  // namespace

TEST_CASE("a splice without replacements gives back every corpus message byte for byte",
          "[splice][corpus]") {
  std::vector<fs::path> files;
  for (const char* folder : {"ham", "spam", "phish", "mime"})
    for (auto& f : emls(fs::path(POSTERN_CORPUS_DIR) / folder)) files.push_back(f);
  CHECK(files.size() > 4000);
  for (const auto& f : files) {
    const std::string raw = slurp(f);
    Tree t = Tree::parse(raw);
    auto out = splice(t, {});
    REQUIRE(out.has_value());
    if (*out != raw) FAIL_CHECK(f.string() + ": splice changed the message");
  }
}

TEST_CASE("replacing every leaf with its own content keeps what a client shows",
          "[splice][corpus]") {
  std::vector<fs::path> files = emls(kMime / "torture");
  for (const auto& f : emls(kMime / "rspamd")) files.push_back(f);
  CHECK(files.size() > 200);
  for (const auto& f : files) {
    CAPTURE(f.string());
    const std::string raw = slurp(f);
    Analysis before = analyze(raw);
    std::vector<Replacement> reps;
    for (const Part* p : before.tree.leaves())
      if (!p->uuencoded && !p->opaque) reps.push_back({p, decoded(before.tree, *p)});
    auto out = splice(before.tree, reps);
    REQUIRE(out.has_value());
    Analysis after = analyze(*out);
    REQUIRE(after.leaves.size() == before.leaves.size());
    for (size_t i = 0; i < before.leaves.size(); ++i) {
      const Part& a = *before.leaves[i].part;
      const Part& b = *after.leaves[i].part;
      CAPTURE(a.path);
      CHECK(b.path == a.path);
      CHECK(b.content_type == a.content_type);
      CHECK(b.filename == a.filename);
      CHECK(after.leaves[i].sha256 == before.leaves[i].sha256);
    }
  }
}

TEST_CASE("replaced parts are encoded in their transfer encoding, switching it when needed",
          "[splice]") {
  const std::string eight = "caf\xc3\xa9 \xe2\x82\xac\r\nline two\r\n";
  const std::string bin = random_bytes(5000, 7);
  struct Row {
    std::string name;
    std::string path;
    std::string content;
    std::string cte_after;  // the part's Content-Transfer-Encoding field after the splice
  };
  const std::vector<Row> rows = {
      {"7bit text with ASCII stays 7bit", "1.1", "still ascii\r\n", "7bit"},
      {"7bit text with 8-bit content becomes quoted-printable", "1.1", eight, "quoted-printable"},
      {"7bit text with a NUL becomes quoted-printable", "1.1", std::string("a\0b", 3),
       "quoted-printable"},
      {"7bit text with a 2000-byte line becomes quoted-printable", "1.1", std::string(2000, 'x'),
       "quoted-printable"},
      {"text without a CTE field gets one added", "1.2", eight, "quoted-printable"},
      {"text without a CTE field and ASCII content gets none", "1.2", "ascii\r\n", "-"},
      {"base64 stays base64", "1.3", bin, "base64"},
      {"binary content without a CTE field gets base64", "1.4", bin, "base64"},
      {"a part without header fields gets a CTE field", "1.5", eight, "quoted-printable"},
      {"a part whose first line is not a field gets a CTE field", "1.6", eight, "quoted-printable"},
  };
  for (const auto& r : rows) {
    CAPTURE(r.name);
    Tree t = Tree::parse(kMixed);
    const Part* p = find_part(t, r.path);
    REQUIRE(p);
    Replacement rep{p, r.content};
    auto out = splice(t, std::span(&rep, 1));
    REQUIRE(out.has_value());
    Tree u = Tree::parse(*out);
    // the original's one anomaly (1.6 has no blank line after its header) goes only when 1.6 gets
    // fields
    CHECK(u.all_anomalies().size() == (r.path == "1.6" ? 0u : 1u));
    REQUIRE(u.leaves().size() == t.leaves().size());
    const Part* q = find_part(u, r.path);
    REQUIRE(q);
    CHECK(decoded(u, *q) == r.content);
    CHECK(field(u, r.path, "content-transfer-encoding") == r.cte_after);
    // every other leaf is unchanged, and so is its raw text
    for (size_t i = 0; i < t.leaves().size(); ++i) {
      const Part& a = *t.leaves()[i];
      if (a.path == r.path) continue;
      CAPTURE(a.path);
      CHECK(u.body(*u.leaves()[i]) == t.body(a));
    }
    // every line of the new message fits in SMTP's limit; base64 and QP lines in 76
    std::string_view body = u.body(*q);
    size_t pos = 0;
    while (pos < body.size()) {
      size_t nl = body.find('\n', pos);
      size_t end = nl == std::string_view::npos ? body.size() : nl;
      size_t len = end - pos - (end > pos && body[end - 1] == '\r' ? 1 : 0);
      if (q->encoding == Encoding::Base64 || q->encoding == Encoding::QuotedPrintable)
        CHECK(len <= 76);
      if (q->encoding == Encoding::Base64 || q->encoding == Encoding::QuotedPrintable)
        CHECK((nl == std::string_view::npos ||
               (nl > 0 && body[nl - 1] == '\r')));  // the part's CRLF line ends
      pos = end + 1;
    }
  }
}

TEST_CASE("several replacements in one splice", "[splice]") {
  Tree t = Tree::parse(kMixed);
  std::vector<Replacement> reps;
  for (const Part* p : t.leaves()) reps.push_back({p, "new " + p->path + " \xc3\xa9"});
  auto out = splice(t, reps);
  REQUIRE(out.has_value());
  Tree u = Tree::parse(*out);
  REQUIRE(u.leaves().size() == t.leaves().size());
  for (const Part* q : u.leaves()) CHECK(decoded(u, *q) == "new " + q->path + " \xc3\xa9");
  CHECK(u.all_anomalies().empty());
}

TEST_CASE("many parts without header fields each get their new field and content", "[splice]") {
  // each such part needs two edits at one offset: the new field, then the new body
  std::string msg = "Content-Type: multipart/mixed; boundary=\"m\"\r\n\r\n";
  for (int i = 0; i < 40; ++i) msg += "--m\r\nline " + std::to_string(i) + " is not a field\r\n";
  msg += "--m--\r\n";
  Tree t = Tree::parse(msg);
  REQUIRE(t.leaves().size() == 40);
  std::vector<Replacement> reps;
  for (const Part* p : t.leaves()) reps.push_back({p, "caf\xc3\xa9 " + p->path});
  auto out = splice(t, reps);
  REQUIRE(out.has_value());
  Tree u = Tree::parse(*out);
  REQUIRE(u.leaves().size() == 40);
  for (const Part* q : u.leaves()) {
    CAPTURE(q->path);
    CHECK(decoded(u, *q) == "caf\xc3\xa9 " + q->path);
    CHECK(q->encoding == Encoding::QuotedPrintable);
  }
  CHECK(u.all_anomalies().empty());
}

TEST_CASE("the Content-Transfer-Encoding field is rewritten however it is spelled", "[splice]") {
  const std::vector<std::string> fields = {
      "Content-Transfer-Encoding: 7bit", "content-transfer-encoding:7bit",
      "CONTENT-TRANSFER-ENCODING:\t7BIT", "Content-Transfer-Encoding : 7bit",
      "Content-Transfer-Encoding:\r\n 7bit"};
  for (const auto& f : fields) {
    CAPTURE(f);
    const std::string msg = "Subject: x\r\n" + f + "\r\nContent-Type: text/plain\r\n\r\nascii\r\n";
    Tree t = Tree::parse(msg);
    REQUIRE(t.root().encoding == Encoding::SevenBit);
    Replacement rep{&t.root(), "caf\xc3\xa9\r\n"};
    auto out = splice(t, std::span(&rep, 1));
    REQUIRE(out.has_value());
    Tree u = Tree::parse(*out);
    CHECK(u.root().encoding == Encoding::QuotedPrintable);
    CHECK(decoded(u, u.root()) == "caf\xc3\xa9\r\n");
    CHECK(u.all_anomalies().empty());
    CHECK(out->starts_with("Subject: x\r\n"));
    CHECK(out->find("7bit") == std::string::npos);
    CHECK(out->find("7BIT") == std::string::npos);
  }
}

TEST_CASE("only ordinary leaf parts can be replaced", "[splice]") {
  const std::string uu = "Content-Type: text/plain\r\n\r\nbegin 644 cat.txt\r\n#0V%T\r\nend\r\n";
  Tree t = Tree::parse(kMixed);
  Tree u = Tree::parse(uu);
  struct Row {
    std::string name;
    const Part* part;
  };
  const std::vector<Row> rows = {
      {"a multipart", &t.root()},
      {"a uuencoded block", find_part(u, "1.1")},
      {"no part", nullptr},
  };
  for (const auto& r : rows) {
    CAPTURE(r.name);
    Replacement rep{r.part, "x"};
    auto out = splice(r.part == find_part(u, "1.1") ? u : t, std::span(&rep, 1));
    CHECK_FALSE(out.has_value());
  }
  // the text holding a uuencoded block can be replaced, and the block goes with its text
  Replacement rep{&u.root(), "plain now\r\n"};
  auto out = splice(u, std::span(&rep, 1));
  REQUIRE(out.has_value());
  CHECK(Tree::parse(*out).leaves().size() == 1);
}

TEST_CASE("an LF-only message keeps its LF line ends in replaced parts", "[splice]") {
  const std::string msg =
      "Content-Type: multipart/mixed; boundary=\"m\"\n\n--m\nContent-Type: application/pdf\n"
      "Content-Transfer-Encoding: base64\n\nQUJD\n--m\nContent-Type: text/plain\n\nx\n--m--\n";
  Tree t = Tree::parse(msg);
  const std::string bin = random_bytes(3000, 3);
  std::vector<Replacement> reps{{find_part(t, "1.1"), bin}, {find_part(t, "1.2"), "caf\xc3\xa9\n"}};
  auto out = splice(t, reps);
  REQUIRE(out.has_value());
  CHECK(out->find('\r') == std::string::npos);
  Tree u = Tree::parse(*out);
  CHECK(decoded(u, *find_part(u, "1.1")) == bin);
  CHECK(decoded(u, *find_part(u, "1.2")) == "caf\xc3\xa9\n");
  CHECK(field(u, "1.2", "content-transfer-encoding") == "quoted-printable");
}
