// Archive expansion over archives written here with libarchive's write API (zip,
// 7z, tar.gz/bz2/xz, bare gz, iso9660, encrypted zips, bombs, deep nesting), the
// ClamAV test files packed many ways, the oletools fixtures zipped with the
// password "infected-test" and SpamAssassin's password-in-the-text message; and the
// password candidates a reader would take from a mail's text.
#include "attach/archive.hpp"

#include <archive.h>
#include <archive_entry.h>
#include <sys/resource.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "fixtures.hpp"
#include "mime/analysis.hpp"
#include "support/archive_writer.hpp"
#include "support/cpu_time.hpp"

using namespace postern;
using attach::ArchiveBudget;
using attach::ArchiveLimits;
using attach::Kind;
using postern::test::build;
using postern::test::Entry;
using postern::test::Fmt;
using postern::test::slurp;
using postern::test::zip;

namespace {

const std::string kClam = "/usr/share/clamav-testfiles/";
const std::string kOletools = std::string(POSTERN_CORPUS_DIR) + "/attach/oletools/";

// A zip of one member of 1 GiB of zeros (about 1 MiB), made once: deflating it takes seconds.
const std::string& gib_of_zeros() {
  static const std::string z = zip({{"zeros.bin", "", uint64_t{1} << 30}});
  return z;
}

std::vector<std::string> expanded_symbols(const std::vector<attach::Hit>& hits) {
  std::vector<std::string> s;
  for (const auto& h : hits) s.push_back(h.symbol);
  std::sort(s.begin(), s.end());
  return s;
}

std::map<std::string, std::string> files(const attach::Expanded& x) {
  std::map<std::string, std::string> m;
  for (const auto& mem : x.members)
    if (!mem.is_dir && !mem.is_link) m[mem.path] = mem.data;
  return m;
}

attach::Expanded expand(std::string_view data, std::span<const std::string> pw = {},
                        const ArchiveLimits& lim = {}, std::string_view name = {}) {
  ArchiveBudget budget(lim);
  return attach::expand(data, lim, budget, pw, nullptr, name);
}

// One line of a ledger export: date, account, amount, a counterparty.
std::string fmt_line(size_t i) {
  static const char* kNames[] = {"ACME GmbH",   "Globex SA", "Initech Ltd",
                                 "Umbrella BV", "Hooli Inc", "Vandelay Industries"};
  uint64_t h = (i + 1) * 0x9E3779B97F4A7C15ull;
  return "2024-" + std::to_string(1 + h % 12) + "-" + std::to_string(1 + (h >> 8) % 28) + ";" +
         std::to_string(400000 + (h >> 16) % 90000) + ";" + std::to_string((h >> 24) % 1000000) +
         "." + std::to_string((h >> 44) % 100) + ";" + kNames[(h >> 50) % 6] + "\n";
}

const std::string kText = "Quarterly figures attached.\n";
const std::string kCsv = std::string(3000, 'x') + "\n";

}  // namespace

TEST_CASE("archives are recognised by their magic bytes, not their name") {
  struct Row {
    std::string name;
    std::string data;
    Kind want;
  };
  std::string ustar(600, '\0');
  ustar.replace(257, 5, "ustar");
  std::string iso(0x8010, '\0');
  iso.replace(0x8001, 5, "CD001");
  std::vector<Row> rows{
      {"zip", zip({{"a.txt", kText}}), Kind::Archive},
      {"7z", build(Fmt::Zip7, {{"a.txt", kText}}), Kind::Archive},
      {"tar.gz (a gzip stream first)", build(Fmt::TarGz, {{"a.txt", kText}}), Kind::Compressed},
      {"rar v4", std::string("Rar!\x1A\x07\x00", 7) + "...", Kind::Archive},
      {"rar v5", std::string("Rar!\x1A\x07\x01\x00", 8) + "...", Kind::Archive},
      {"cab", slurp(kClam + "clam.cab"), Kind::Archive},
      {"ustar", ustar, Kind::Archive},
      {"iso9660", iso, Kind::Archive},
      {"bzip2", slurp(kClam + "clam.exe.bz2"), Kind::Compressed},
      {"xz",
       std::string("\xFD"
                   "7zXZ\0\0\0",
                   8),
       Kind::Compressed},
      {"docx is a zip", slurp(kOletools + "msodde/dde-test.docx"), Kind::Archive},
      {"plain text", "PK is not enough", Kind::None},
      {"pdf", "%PDF-1.7\n", Kind::None},
      {"empty", "", Kind::None},
      {"BZh without a block size", "BZhx", Kind::None},
  };
  for (const auto& r : rows) {
    INFO(r.name);
    CHECK(attach::sniff(r.data) == r.want);
    CHECK(attach::is_archive(r.data) == (r.want != Kind::None));
  }
}

TEST_CASE("each format written by libarchive expands to its members") {
  const std::vector<Entry> two{{"docs/", "", 0, true}, {"docs/a.txt", kText}, {"b.csv", kCsv}};
  struct Row {
    std::string name;
    std::string data;
    std::string archive_name;
    Kind kind;
    std::string format;
    std::map<std::string, std::string> members;
  };
  std::vector<Row> rows{
      {"zip deflate", zip(two), "", Kind::Archive, "zip", {{"docs/a.txt", kText}, {"b.csv", kCsv}}},
      {"zip stored",
       build(Fmt::Zip, two, "zip:compression=store"),
       "",
       Kind::Archive,
       "zip",
       {{"docs/a.txt", kText}, {"b.csv", kCsv}}},
      {"7z",
       build(Fmt::Zip7, two),
       "",
       Kind::Archive,
       "7z",
       {{"docs/a.txt", kText}, {"b.csv", kCsv}}},
      {"tar.gz",
       build(Fmt::TarGz, two),
       "",
       Kind::Archive,
       "tar.gz",
       {{"docs/a.txt", kText}, {"b.csv", kCsv}}},
      {"tar.bz2",
       build(Fmt::TarBz2, two),
       "",
       Kind::Archive,
       "tar.bz2",
       {{"docs/a.txt", kText}, {"b.csv", kCsv}}},
      {"tar.xz",
       build(Fmt::TarXz, two),
       "",
       Kind::Archive,
       "tar.xz",
       {{"docs/a.txt", kText}, {"b.csv", kCsv}}},
      {"iso9660",
       build(Fmt::Iso, {{"a.txt", kText}, {"b.csv", kCsv}}),
       "",
       Kind::Archive,
       "iso9660",
       {{"a.txt", kText}, {"b.csv", kCsv}}},
      {"bare gz named after the archive",
       build(Fmt::Gz, {{"x", kCsv}}),
       "Report.CSV.gz",
       Kind::Compressed,
       "gz",
       {{"Report.CSV", kCsv}}},
      {"bare gz with no name",
       build(Fmt::Gz, {{"x", kCsv}}),
       "",
       Kind::Compressed,
       "gz",
       {{"data", kCsv}}},
      {"a zip with [Content_Types].xml is Office",
       zip({{"[Content_Types].xml", "<Types/>"}, {"word/document.xml", "<w:document/>"}}),
       "",
       Kind::Ooxml,
       "zip",
       {{"[Content_Types].xml", "<Types/>"}, {"word/document.xml", "<w:document/>"}}},
      {"a zip with an ODF mimetype is OpenDocument",
       zip({{"mimetype", "application/vnd.oasis.opendocument.text"}, {"content.xml", "<x/>"}}),
       "",
       Kind::Odf,
       "zip",
       {{"mimetype", "application/vnd.oasis.opendocument.text"}, {"content.xml", "<x/>"}}},
      {"a zip with a manifest is a Java archive",
       zip({{"META-INF/MANIFEST.MF", "Manifest-Version: 1.0\n"}, {"a/B.class", "\xCA\xFE"}}),
       "",
       Kind::Jar,
       "zip",
       {{"META-INF/MANIFEST.MF", "Manifest-Version: 1.0\n"}, {"a/B.class", "\xCA\xFE"}}},
  };
  for (const auto& r : rows) {
    INFO(r.name);
    auto x = expand(r.data, {}, {}, r.archive_name);
    CHECK(x.kind == r.kind);
    CHECK(x.format == r.format);
    CHECK(files(x) == r.members);
    CHECK(x.hits.empty());
    CHECK_FALSE(x.encrypted);
  }
}

TEST_CASE("the ClamAV test files expand to the test program") {
  struct Row {
    std::string file;
    std::string format;
    std::set<std::string> members;  // paths with data
    std::vector<std::string> hits;
  };
  const std::string exe = slurp(kClam + "clam.exe");
  if (exe.empty()) {
    WARN("clamav-testfiles not installed: " << kClam);
    return;
  }
  std::vector<Row> rows{
      {"clam.zip", "zip", {"clam.exe"}, {}},
      {"clam.7z", "7z", {"clam.exe"}, {}},
      {"clam.cab", "cab", {"clam.exe"}, {}},
      {"clam.tar.gz", "tar.gz", {"clam.exe"}, {}},
      {"clam.bz2.zip", "zip", {"clam.exe"}, {}},  // bzip2 method
      {"clam.exe.bz2", "bz2", {"clam.exe"}, {}},
      // PKWARE implode is a method libarchive does not read: what could not be read is said.
      {"clam.impl.zip", "zip", {}, {"ATTACH_ARCHIVE_CORRUPT"}},
  };
  for (const auto& r : rows) {
    INFO(r.file);
    auto x = expand(slurp(kClam + r.file), {}, {}, r.file);
    CHECK(x.format == r.format);
    std::set<std::string> got;
    for (const auto& m : x.members)
      if (!m.data.empty()) got.insert(m.path);
    CHECK(got == r.members);
    CHECK(expanded_symbols(x.hits) == r.hits);
    for (const auto& m : x.members)
      if (m.path == "clam.exe" && !m.data.empty()) CHECK(m.data == exe);
  }
}

TEST_CASE("an encrypted zip opens with the right password and says it was in the text") {
  const std::vector<Entry> entries{{"invoice.docm", kCsv}, {"readme.txt", kText}};
  struct Row {
    std::string name;
    std::string data;
    std::vector<std::string> passwords;
    std::vector<std::string> hits;
    std::string password;
    bool opened;
  };
  const std::string crypt = build(Fmt::Zip, entries, "zip:encryption=zipcrypt", "s3cret");
  const std::string aes = build(Fmt::Zip, entries, "zip:encryption=aes256", "s3cret");
  std::vector<Row> rows{
      {"ZipCrypto, right password second",
       crypt,
       {"wrong", "s3cret"},
       {"ATTACH_ARCHIVE_PASSWORD_IN_TEXT"},
       "s3cret",
       true},
      {"AES-256, right password",
       aes,
       {"s3cret"},
       {"ATTACH_ARCHIVE_PASSWORD_IN_TEXT"},
       "s3cret",
       true},
      {"ZipCrypto, no password", crypt, {}, {"ATTACH_ENCRYPTED_ARCHIVE"}, "", false},
      {"AES-256, wrong passwords",
       aes,
       {"infected", "S3CRET", "s3cret "},
       {"ATTACH_ENCRYPTED_ARCHIVE"},
       "",
       false},
  };
  for (const auto& r : rows) {
    INFO(r.name);
    auto x = expand(r.data, r.passwords);
    CHECK(x.encrypted);
    CHECK(expanded_symbols(x.hits) == r.hits);
    CHECK(x.password == r.password);
    REQUIRE(x.members.size() == 2);
    for (const auto& m : x.members) CHECK(m.encrypted);
    if (r.opened) {
      CHECK(files(x) ==
            std::map<std::string, std::string>{{"invoice.docm", kCsv}, {"readme.txt", kText}});
    } else {
      for (const auto& m : x.members) CHECK(m.data.empty());
    }
  }
}

TEST_CASE("passwords beyond max_passwords are not tried") {
  const std::string crypt = build(Fmt::Zip, {{"a.txt", kText}}, "zip:encryption=zipcrypt", "pw11");
  std::vector<std::string> pw;
  for (int i = 0; i < 12; ++i) pw.push_back("pw" + std::to_string(i));
  ArchiveLimits lim;
  auto x = expand(crypt, pw, lim);
  CHECK(expanded_symbols(x.hits) == std::vector<std::string>{"ATTACH_ENCRYPTED_ARCHIVE"});
  CHECK(x.hits[0].detail.find("10 password(s) tried") != std::string::npos);
  lim.max_passwords = 12;
  auto y = expand(crypt, pw, lim);
  CHECK(y.password == "pw11");
}

TEST_CASE("the oletools fixtures are zips encrypted with the password infected-test") {
  struct Row {
    std::string file;
    std::string member;
  };
  std::vector<Row> rows{
      {"rtfobj/issue_185.rtf.zip", "issue_185.rtf"},
      {"msodde/dde-test-from-office2016.doc.zip", "dde-test-from-office2016.doc"},
      {"msodde/dde-in-word2007.xml.zip", "dde-in-word2007.xml"},
  };
  const std::vector<std::string> pw{"infected", "infected-test"};
  for (const auto& r : rows) {
    INFO(r.file);
    std::string data = slurp(kOletools + r.file);
    if (data.empty()) {
      WARN("corpus file missing: " << kOletools + r.file);
      continue;
    }
    auto x = expand(data, pw);
    CHECK(x.password == "infected-test");
    REQUIRE(x.members.size() == 1);
    CHECK(x.members[0].path == r.member);
    CHECK(x.members[0].data.size() == x.members[0].declared_size);
    CHECK(expanded_symbols(x.hits) == std::vector<std::string>{"ATTACH_ARCHIVE_PASSWORD_IN_TEXT"});
  }
}

TEST_CASE("a zip whose password is in the mail text opens with the candidates from that text") {
  std::string raw = slurp(std::string(POSTERN_CORPUS_DIR) + "/attach/sa-olevbmacro/zippwmacro.eml");
  if (raw.empty()) {
    WARN("corpus file missing: zippwmacro.eml");
    return;
  }
  auto an = mime::analyze(raw);
  std::string text, zipped;
  for (size_t i = 0; i < an.leaves.size(); ++i) {
    const auto& p = *an.leaves[i].part;
    if (p.content_type == "text/plain") text += an.leaves[i].text;
    if (p.filename == "macro.zip") {
      mime::DecodeStats st;
      zipped = an.tree.decode(p, st);
    }
  }
  auto pw = attach::passwords_from_text(text, 10);
  CHECK(pw == std::vector<std::string>{"sa"});
  REQUIRE(attach::sniff(zipped) == Kind::Archive);
  auto x = expand(zipped, pw);
  CHECK(x.password == "sa");
  CHECK(expanded_symbols(x.hits) == std::vector<std::string>{"ATTACH_ARCHIVE_PASSWORD_IN_TEXT"});
  REQUIRE_FALSE(x.members.empty());
  // The member is a macro document: an Office zip or an OLE2 file.
  bool office = false;
  for (const auto& m : x.members)
    office |= attach::sniff(m.data) == Kind::Archive || m.data.starts_with("\xD0\xCF\x11\xE0");
  CHECK(office);
}

TEST_CASE("limits hit are bomb hits with the limit and the numbers, never a crash") {
  std::vector<Entry> many;
  for (int i = 0; i < 10000; ++i) many.push_back({"f" + std::to_string(i) + ".txt", "x"});
  const std::string many_zip = zip(many);
  struct Row {
    std::string name;
    std::string data;
    ArchiveLimits lim;
    std::string detail_has;
    size_t members_at_most;
  };
  ArchiveLimits small_member;
  small_member.max_member_bytes = 1000;
  ArchiveLimits small_total;
  small_total.max_expanded_bytes = 4000;
  ArchiveLimits ratio;
  ratio.ratio_min_bytes = 1 << 20;
  std::vector<Row> rows{
      {"10 000 entries", many_zip, {}, "more than 2000 entries", 2000},
      {"a member over max_member_bytes", zip({{"big.csv", kCsv}}), small_member,
       "big.csv: more than 1000 bytes expanded (max_member_bytes)", 1},
      {"members over max_expanded_bytes", zip({{"a.csv", kCsv}, {"b.csv", kCsv}}), small_total,
       "b.csv: more than 4000 bytes expanded from the message's archives", 2},
      {"a member compressed over max_ratio", zip({{"zeros.bin", "", 8 << 20}}), ratio,
       "over max_ratio 200", 1},
  };
  for (const auto& r : rows) {
    INFO(r.name);
    auto x = expand(r.data, {}, r.lim);
    REQUIRE(expanded_symbols(x.hits) == std::vector<std::string>{"ATTACH_ARCHIVE_BOMB"});
    CHECK(x.hits[0].detail.find(r.detail_has) != std::string::npos);
    CHECK(x.members.size() <= r.members_at_most);
    uint64_t total = 0;
    for (const auto& m : x.members) {
      CHECK(m.data.size() <= r.lim.max_member_bytes);
      total += m.data.size();
    }
    CHECK(total <= r.lim.max_expanded_bytes);
  }
}

TEST_CASE("large members of ordinary text are not bombs, whatever the format") {
  // Text of the kind mail carries (a ledger export) compresses about 5 to 10 times;
  // the ratio limit must leave it alone in every format, solid 7z included (LZMA, as
  // tar.xz: the second, near-identical member costs next to nothing there).
  std::string ledger;
  // 4 MiB: a second copy that costs one read-ahead (16 KiB) is over 200 times smaller.
  for (size_t i = 0; ledger.size() < (size_t{4} << 20); ++i) ledger += fmt_line(i);
  const std::vector<Entry> entries{{"ledger-2024.csv", ledger}, {"ledger-2025.csv", ledger + "x"}};
  struct Row {
    std::string name;
    std::string data;
  };
  std::vector<Row> rows{
      {"zip", zip(entries)},
      {"7z (solid)", build(Fmt::Zip7, entries)},
      {"tar.gz", build(Fmt::TarGz, entries)},
  };
  for (const auto& r : rows) {
    INFO(r.name << ", " << r.data.size() << " bytes");
    auto x = expand(r.data);
    CHECK(x.hits.empty());
    CHECK(files(x) == std::map<std::string, std::string>{{"ledger-2024.csv", ledger},
                                                         {"ledger-2025.csv", ledger + "x"}});
  }
}

TEST_CASE("a 1 GiB member of zeros stops at the member limit quickly, in bounded memory") {
  // 1 GiB of zeros deflates to about 1 MiB; expanding stops at 64 MiB (or earlier, at the ratio).
  const std::string& bomb = gib_of_zeros();
  CHECK(bomb.size() < (uint64_t{2} << 20));
  rusage before{};
  getrusage(RUSAGE_SELF, &before);
  attach::Expanded x;
  double secs = test::thread_cpu_seconds([&] { x = expand(bomb); });
  REQUIRE(expanded_symbols(x.hits) == std::vector<std::string>{"ATTACH_ARCHIVE_BOMB"});
  REQUIRE(x.members.size() == 1);
  CHECK(x.members[0].truncated);
  CHECK(x.members[0].declared_size == uint64_t{1} << 30);
  CHECK(x.members[0].data.size() <= ArchiveLimits{}.max_member_bytes);
  rusage after{};
  getrusage(RUSAGE_SELF, &after);
  WARN("1 GiB bomb (" << bomb.size() << " bytes) refused in " << secs << " s after "
                      << x.members[0].data.size() << " bytes; peak RSS " << after.ru_maxrss / 1024
                      << " MiB (" << before.ru_maxrss / 1024 << " MiB before)");
  CHECK(secs < test::kHangGuardSeconds);  // a hang guard: tests/bench measures the speed
  // With the ratio limit off it is the member limit that stops it, at 64 MiB.
  ArchiveLimits no_ratio;
  no_ratio.max_ratio = 1e12;
  attach::Expanded y;
  secs = test::thread_cpu_seconds([&] { y = expand(bomb, {}, no_ratio); });
  getrusage(RUSAGE_SELF, &after);
  REQUIRE(expanded_symbols(y.hits) == std::vector<std::string>{"ATTACH_ARCHIVE_BOMB"});
  CHECK(y.hits[0].detail.find("more than 67108864 bytes expanded (max_member_bytes)") !=
        std::string::npos);
  CHECK(y.members[0].data.size() == no_ratio.max_member_bytes);
  WARN("without the ratio limit: refused in " << secs << " s at 64 MiB; peak RSS "
                                              << after.ru_maxrss / 1024 << " MiB");
  CHECK(secs < test::kHangGuardSeconds);
  // The member buffer is at most max_member_bytes: the peak grows by about that, not 1 GiB.
  CHECK(after.ru_maxrss - before.ru_maxrss < 2 * 64 * 1024);
}

TEST_CASE("a spent CPU budget stops the expansion and says so") {
  const std::string& bomb = gib_of_zeros();
  ArchiveLimits no_ratio;
  no_ratio.max_ratio = 1e12;
  core::CpuBudget cpu(std::chrono::milliseconds(1));
  ArchiveBudget budget(no_ratio);
  auto x = attach::expand(bomb, no_ratio, budget, {}, &cpu);
  CHECK(x.out_of_time);
  CHECK(x.hits.empty());
  REQUIRE(x.members.size() == 1);
  CHECK(x.members[0].truncated);
  CHECK(x.members[0].data.size() < no_ratio.max_member_bytes);
}

TEST_CASE("nesting deeper than max_depth is a bomb hit, on one budget for all levels") {
  // 42.zip-like: each level holds four copies of the level below; 8 levels.
  std::string level = zip({{"0.txt", std::string(100000, 'z')}});
  for (int d = 1; d < 8; ++d) {
    std::vector<Entry> copies;
    for (int c = 0; c < 4; ++c)
      copies.push_back({std::to_string(d) + "-" + std::to_string(c) + ".zip", level});
    level = zip(copies);
  }
  ArchiveLimits lim;
  ArchiveBudget budget(lim);
  size_t members = 0;
  unsigned deepest = 0;
  uint64_t bytes = 0;
  std::vector<std::string> paths;
  auto hits = attach::expand_tree(
      level, lim, budget, {},
      [&](const std::string& path, const attach::Member& m, unsigned depth) {
        if (depth == 3 && paths.size() < 3) paths.push_back(path);
        ++members;
        deepest = std::max(deepest, depth);
        bytes += m.data.size();
      },
      nullptr, "42.zip");
  REQUIRE_FALSE(hits.empty());
  std::set<std::string> syms;
  for (const auto& h : hits) syms.insert(h.symbol);
  CHECK(syms == std::set<std::string>{"ATTACH_ARCHIVE_BOMB"});
  bool depth_hit = false;
  for (const auto& h : hits)
    depth_hit |= h.detail.find("nested 6 deep, over max_depth 5") != std::string::npos;
  CHECK(depth_hit);
  CHECK(deepest == 5);
  // Paths name the archives on the way down.
  REQUIRE_FALSE(paths.empty());
  CHECK(paths[0] == "7-0.zip/6-0.zip/5-0.zip");
  CHECK(members <= lim.max_entries);
  CHECK(bytes <= lim.max_expanded_bytes);
  // With a budget this small the entry limit is met before the depth limit.
  ArchiveLimits tight;
  tight.max_entries = 50;
  ArchiveBudget tb(tight);
  size_t seen = 0;
  auto th = attach::expand_tree(
      level, tight, tb, {}, [&](const std::string&, const attach::Member&, unsigned) { ++seen; });
  CHECK(seen == 50);
  bool entries_hit = false;
  for (const auto& h : th)
    entries_hit |= h.detail.find("more than 50 entries") != std::string::npos;
  CHECK(entries_hit);
}

TEST_CASE("members whose paths leave the archive are unsafe paths") {
  struct Row {
    std::string name;
    std::vector<Entry> entries;
    std::string detail_has;  // "": no hit
  };
  std::vector<Row> rows{
      {"plain relative paths", {{"a/b/c.txt", kText}, {"a/./d.txt", kText}}, ""},
      {"a .. that stays inside is still refused", {{"a/../b.txt", kText}}, ".. component"},
      {"zip slip", {{"../../etc/cron.d/x", kText}}, ".. component"},
      {"absolute", {{"/etc/passwd", kText}}, "absolute path"},
      {"windows drive", {{"C:\\Windows\\evil.dll", kText}}, "absolute path"},
      {"backslash dotdot", {{"a\\..\\..\\b.txt", kText}}, ".. component"},
      {"symlink out", {{"link", "", 0, false, "../../../home/u/.ssh"}}, "link out of the archive"},
      {"symlink absolute", {{"link", "", 0, false, "/etc/shadow"}}, "link to an absolute path"},
      {"symlink inside", {{"d/link", "", 0, false, "../a.txt"}, {"a.txt", kText}}, ""},
      {"overlong name", {{std::string(2000, 'n') + ".exe", kText}}, "name over 1024 bytes"},
      {"one path twice", {{"invoice.pdf", kText}, {"Invoice.PDF", kCsv}}, "the same path twice"},
  };
  for (const auto& r : rows) {
    INFO(r.name);
    auto x = expand(build(Fmt::TarGz, r.entries));
    if (r.detail_has.empty()) {
      CHECK(x.hits.empty());
      continue;
    }
    REQUIRE(expanded_symbols(x.hits) == std::vector<std::string>{"ATTACH_ARCHIVE_UNSAFE_PATH"});
    CHECK(x.hits[0].detail.find(r.detail_has) != std::string::npos);
    CHECK(x.hits[0].detail.size() <= 200);
    for (const auto& m : x.members) CHECK(m.path.size() <= 1024);
  }
}

TEST_CASE("member names are shown as UTF-8 with control characters escaped") {
  auto x = expand(
      build(Fmt::TarGz, {{"r\xC3\xA9sum\xC3\xA9\x1B[31m.pdf", kText}, {"bad\xFF\xFE.txt", kText}}));
  REQUIRE(x.members.size() == 2);
  CHECK(x.members[0].path == "r\xC3\xA9sum\xC3\xA9\\x1B[31m.pdf");
  CHECK(x.members[1].path == "bad\\xFF\\xFE.txt");
}

TEST_CASE("a broken archive keeps what was read and says it is corrupt") {
  std::string noise;  // incompressible, so that half the archive is half the member
  for (uint32_t v = 1; noise.size() < 200000;)
    noise += static_cast<char>((v = v * 1103515245 + 12345) >> 24);
  std::string z = build(Fmt::TarGz, {{"a.txt", kText}, {"b.bin", noise}});
  std::string cut = z.substr(0, z.size() / 2);
  auto x = expand(cut);
  CHECK(expanded_symbols(x.hits) == std::vector<std::string>{"ATTACH_ARCHIVE_CORRUPT"});
  REQUIRE_FALSE(x.members.empty());
  CHECK(x.members[0].path == "a.txt");
  CHECK(x.members[0].data == kText);
  // A zip whose central directory is garbage.
  std::string z2 = zip({{"a.txt", kText}});
  for (size_t i = z2.size() - 30; i < z2.size(); ++i) z2[i] = '\x55';
  auto y = expand(z2);
  CHECK(expanded_symbols(y.hits) == std::vector<std::string>{"ATTACH_ARCHIVE_CORRUPT"});
}

TEST_CASE("7z encryption is detected but not opened (libarchive does not decrypt 7z)") {
  // Written by 7-Zip itself (p7zip-full): libarchive cannot write encrypted 7z.
  if (std::system("command -v 7z >/dev/null 2>&1") != 0) {
    WARN("7z (p7zip-full) not installed: encrypted 7z not tested");
    return;
  }
  auto dir = std::filesystem::temp_directory_path() / ("postern_7z_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "invoice.txt") << kText;
  const std::string d = dir.string();
  REQUIRE(std::system(("cd " + d + " && 7z a -psecret data.7z invoice.txt >/dev/null && " +
                       "7z a -psecret -mhe=on hdr.7z invoice.txt >/dev/null")
                          .c_str()) == 0);
  struct Row {
    std::string file;
    std::string detail;
    size_t members;
  };
  std::vector<Row> rows{
      {"data.7z", "7z: 1 of 1 members encrypted (not decryptable here)", 1},
      {"hdr.7z", "7z: encrypted headers, members not listed", 0},
  };
  const std::vector<std::string> pw{"secret"};
  for (const auto& r : rows) {
    INFO(r.file);
    auto x = expand(slurp(d + "/" + r.file), pw);
    CHECK(x.kind == Kind::Archive);
    CHECK(x.encrypted);
    CHECK(x.password.empty());
    REQUIRE(expanded_symbols(x.hits) == std::vector<std::string>{"ATTACH_ENCRYPTED_ARCHIVE"});
    CHECK(x.hits[0].detail == r.detail);
    CHECK(x.members.size() == r.members);
    for (const auto& m : x.members) CHECK(m.data.empty());
  }
  std::filesystem::remove_all(dir);
}

TEST_CASE("password candidates are what a reader would type from the text") {
  struct Row {
    std::string text;
    std::vector<std::string> want;
  };
  std::vector<Row> rows{
      {"Password: sa\n", {"sa"}},
      {"The password is Inv2024! thanks", {"Inv2024!", "Inv2024"}},
      {"pass - 7781\n", {"7781"}},
      {"PW: abc123.", {"abc123.", "abc123"}},
      {"pwd=Xy9z", {"Xy9z"}},
      {"Passwort: Rechnung2024\nMit freundlichen Grüßen", {"Rechnung2024"}},
      {"Kennwort ist 4455", {"4455"}},
      {"Contraseña: factura99", {"factura99"}},
      {"La contraseña es \"Abc 123\"", {"Abc 123"}},
      {"Mot de passe : docs2024", {"docs2024"}},
      {"Senha: 1234 obrigado", {"1234"}},
      {"Пароль: 5566", {"5566"}},
      {"密码：8899", {"8899"}},
      {"Use the password \xE2\x80\x9Cq1w2e3\xE2\x80\x9D to open", {"q1w2e3"}},
      {"Here is the password\n\n  K9!mz\n", {}},  // a blank line ends the thought
      {"Here is the password\n  K9!mz\nregards", {"K9!mz"}},
      {"Password:\n'open sesame'\n", {"open sesame"}},
      {"the archive password is in the next mail", {"in"}},
      {"your password expired", {}},
      {"passport number: 123", {}},
      {"compass: north", {}},
      {"Password: a\npassword: a\nPW: b", {"a", "b"}},
      {"Password: " + std::string(100, 'x'), {}},
      {"no keyword here at all", {}},
  };
  for (const auto& r : rows) {
    INFO(r.text);
    CHECK(attach::passwords_from_text(r.text, 10) == r.want);
  }
  // Bounded: many candidates, at most max.
  std::string many;
  for (int i = 0; i < 1000; ++i) many += "password: p" + std::to_string(i) + "\n";
  CHECK(attach::passwords_from_text(many, 10).size() == 10);
}

TEST_CASE("password scanning is linear on hostile text") {
  std::string hostile;
  for (int i = 0; i < 200000; ++i) hostile += "password\n";
  hostile += std::string(2000000, 'p');
  std::vector<std::string> pw;
  double secs = test::thread_cpu_seconds([&] { pw = attach::passwords_from_text(hostile, 10); });
  CHECK(pw.size() <= 10);
  CHECK(secs < test::kHangGuardSeconds);  // quadratic would take hours at this size
}

TEST_CASE("expanding a typical zip: throughput") {
  std::string text;
  for (size_t i = 0; i < 400000; ++i)
    text += "line " + std::to_string(i * 7919 % 100003) + " of the ledger\n";
  std::vector<Entry> entries;
  for (int i = 0; i < 8; ++i) entries.push_back({"sheet" + std::to_string(i) + ".csv", text});
  const std::string z = zip(entries);
  auto t0 = std::chrono::steady_clock::now();
  auto x = expand(z);
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  REQUIRE(x.hits.empty());
  REQUIRE(x.members.size() == 8);
  double mb = static_cast<double>(text.size() * 8) / 1e6;
  WARN("zip deflate: " << mb << " MB expanded from " << z.size() / 1e6 << " MB in " << secs
                       << " s = " << mb / secs << " MB/s");
  CHECK(x.members[7].data == text);
}

TEST_CASE("the symbol table declares every symbol expand returns") {
  std::set<std::string> names;
  for (const auto& s : attach::archive_symbols()) {
    names.insert(std::string(s.name));
    CHECK(s.score >= 0);
    CHECK_FALSE(s.description.empty());
  }
  CHECK(names == std::set<std::string>{"ATTACH_ARCHIVE_BOMB", "ATTACH_ENCRYPTED_ARCHIVE",
                                       "ATTACH_ARCHIVE_PASSWORD_IN_TEXT", "ATTACH_ARCHIVE_CORRUPT",
                                       "ATTACH_ARCHIVE_UNSAFE_PATH"});
}
