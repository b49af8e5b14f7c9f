// YARA rules: rule files written here (string, hex, filesize, meta scores, a broken
// file, a slow rule), the corpus fixtures, reload detection, and shared rules under
// many threads.
#include "attach/yara.hpp"
#include "support/files.hpp"

#include <catch2/catch.hpp>

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <set>
#include <string>
#include <thread>
#include <vector>

using namespace postern;
using attach::YaraRules;
namespace fs = std::filesystem;

namespace {

// A fresh directory for one test's rule files.
struct TempDir {
  fs::path path;
  explicit TempDir(const std::string& name) {
    path = fs::temp_directory_path() / ("postern-yara-" + name + "-" + std::to_string(::getpid()));
    fs::remove_all(path);
    fs::create_directories(path);
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
  void write(const std::string& file, const std::string& text) const {
    std::ofstream(path / file, std::ios::binary) << text;
  }
};

using postern::test::slurp;

const char* kRules = R"(
rule eicar_string {
  meta:
    description = "the EICAR test string"
  strings:
    $e = "EICAR-STANDARD-ANTIVIRUS-TEST-FILE"
  condition:
    $e
}
rule pdf_javascript_hex {
  strings:
    $h = { 2F 4A 61 76 61 53 63 72 69 70 74 }  // "/JavaScript"
  condition:
    $h
}
)";

const char* kMoreRules = R"(
rule small_pe {
  condition:
    uint16(0) == 0x5A4D and filesize < 100KB
}
rule graded_string {
  meta:
    score = "7.5"
    description = "a graded marker"
  strings:
    $s = "graded-marker"
  condition:
    $s
}
rule graded_int {
  meta:
    score = 2
  strings:
    $s = "graded-int"
  condition:
    $s
}
)";

const std::string kEicar = "X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*";

// The two rule files of these tests, compiled from a fresh directory.
struct Compiled {
  TempDir dir;
  std::shared_ptr<const YaraRules> rules;
  explicit Compiled(const std::string& name) : dir(name) {
    dir.write("a.yar", kRules);
    dir.write("b.yar", kMoreRules);
    auto r = YaraRules::compile_dir(dir.path);
    REQUIRE(r.has_value());
    rules = *r;
  }
};

std::set<std::string> yara_details(const std::vector<attach::Hit>& hits) {
  std::set<std::string> out;
  for (const auto& h : hits) out.insert(h.symbol + " " + h.detail);
  return out;
}

}  // namespace

TEST_CASE("YARA rules match by string, hex, filesize and carry their meta score") {
  TempDir dir("match");
  dir.write("a.yar", kRules);
  dir.write("b.yara", kMoreRules);
  dir.write("notes.txt", "not a rule file {");
  auto rules = YaraRules::compile_dir(dir.path);
  REQUIRE(rules.has_value());
  const auto& r = **rules;
  CHECK(r.rule_count() == 5);
  CHECK(r.files().size() == 2);

  struct Row {
    std::string name;
    std::string data;
    std::set<std::string> want;
  };
  const std::string mz = std::string("MZ\x90\0", 4) + std::string(1000, 'A');
  const std::vector<Row> rows = {
      {"EICAR", kEicar, {"ATTACH_YARA a.yar:eicar_string (the EICAR test string)"}},
      {"hex", "1 0 obj << /S /JavaScript >>", {"ATTACH_YARA a.yar:pdf_javascript_hex"}},
      {"small PE", mz, {"ATTACH_YARA b.yara:small_pe"}},
      {"a PE over the size condition", mz + std::string(200 * 1024, 'A'), {}},
      {"graded", "xx graded-marker xx", {"ATTACH_YARA b.yara:graded_string (a graded marker)"}},
      {"nothing", "hello world", {}},
  };
  for (const auto& row : rows) {
    INFO(row.name);
    CHECK(yara_details(r.scan(row.data, 5)) == row.want);
  }
  const auto graded = r.scan("graded-marker graded-int", 5);
  REQUIRE(graded.size() == 2);
  for (const auto& h : graded)
    CHECK(h.score == (h.detail.find("int") != std::string::npos ? 2.0 : 7.5));
  const auto plain = r.scan(kEicar, 5);
  REQUIRE(plain.size() == 1);
  CHECK(std::isnan(plain[0].score));  // the catalogued score
}

TEST_CASE("a broken rule file refuses the whole set and is named file:line") {
  TempDir dir("broken");
  dir.write("a.yar", kRules);
  dir.write("bad.yar",
            "rule ok { condition: true }\n\nrule bad { strings: $a = \"x\" condition: $b }\n");
  dir.write("worse.yar", "rule { condition: true }\n");
  const auto rules = YaraRules::compile_dir(dir.path);
  REQUIRE(!rules.has_value());
  std::vector<std::string> errs;
  for (const auto& e : rules.error()) errs.push_back(e.to_string());
  REQUIRE(errs.size() >= 2);
  CHECK_THAT(errs[0], Catch::StartsWith((dir.path / "bad.yar").string() + ":3: "));
  CHECK_THAT(errs.back(), Catch::StartsWith((dir.path / "worse.yar").string() + ":1: "));

  TempDir floats("float");
  floats.write("f.yar", "rule f {\n meta:\n  score = 7.5\n condition: true }\n");
  const auto f = YaraRules::compile_dir(floats.path);
  // YARA 4.2 has no float metas: the admin writes score = "7.5" (see yara.hpp).
  REQUIRE(!f.has_value());
  CHECK_THAT(f.error().front().to_string(), Catch::Contains("f.yar:3: "));

  TempDir empty("empty");
  CHECK(!YaraRules::compile_dir(empty.path).has_value());
  CHECK(!YaraRules::compile_dir(empty.path / "missing").has_value());
}

TEST_CASE("a change of the rule files is seen") {
  TempDir dir("reload");
  dir.write("a.yar", kRules);
  auto rules = YaraRules::compile_dir(dir.path);
  REQUIRE(rules.has_value());
  CHECK(!(*rules)->changed());
  dir.write("readme.txt", "x");
  CHECK(!(*rules)->changed());
  dir.write("b.yar", kMoreRules);
  CHECK((*rules)->changed());
  fs::remove(dir.path / "b.yar");
  CHECK(!(*rules)->changed());
  dir.write("a.yar", std::string(kRules) + "\n// edited\n");
  CHECK((*rules)->changed());
}

TEST_CASE("only the first max_scan_bytes of a file are scanned") {
  TempDir dir("limit");
  dir.write("a.yar", kRules);
  attach::YaraLimits lim;
  lim.max_scan_bytes = 1024;
  auto rules = YaraRules::compile_dir(dir.path, lim);
  REQUIRE(rules.has_value());
  CHECK(yara_details((*rules)->scan(kEicar, 5)).size() == 1);
  const auto hits = (*rules)->scan(std::string(2048, ' ') + kEicar, 5);
  REQUIRE(hits.size() == 1);
  CHECK(hits[0].symbol == "ATTACH_YARA_LIMIT");
}

TEST_CASE("a scan that runs too long is a timeout hit") {
  TempDir dir("slow");
  dir.write("slow.yar",
            "rule slow { condition: for all i in (0..filesize - 1) : ( for all j in "
            "(0..filesize - 1) : ( uint8(i) != uint8(j) or i == j or true ) ) }\n");
  auto rules = YaraRules::compile_dir(dir.path);
  REQUIRE(rules.has_value());
  const auto t0 = std::chrono::steady_clock::now();
  const auto hits = (*rules)->scan(std::string(1u << 20, 'a'), 1);
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  REQUIRE(!hits.empty());
  CHECK(hits.back().symbol == "ATTACH_YARA_TIMEOUT");
  CHECK(s < 5);
}

TEST_CASE("shared rules scan from many threads at once") {
  const Compiled c("threads");
  const std::shared_ptr<const YaraRules> shared = c.rules;
  const std::string hit = "padding " + kEicar + " graded-marker";
  const std::string miss(4096, 'z');
  for (const int threads : {8, 40}) {  // 40: more than YR_MAX_THREADS, so some wait
    const int per = threads == 8 ? 1000 : 100;
    std::atomic<int> wrong{0}, done{0};
    std::vector<std::thread> ts;
    for (int t = 0; t < threads; ++t)
      ts.emplace_back([&, t] {
        for (int i = 0; i < per; ++i) {
          const bool want = (i + t) % 2 == 0;
          const auto hits = shared->scan(want ? hit : miss, 10);
          if (hits.size() != (want ? 2u : 0u)) ++wrong;
          ++done;
        }
      });
    for (auto& th : ts) th.join();
    CHECK(done == threads * per);
    CHECK(wrong == 0);
  }
}

TEST_CASE("YARA over the corpus fixtures") {
  const Compiled c("corpus");
  const auto& rules = c.rules;
  const fs::path pdfs = fs::path(POSTERN_CORPUS_DIR) / "attach/pdf";
  if (!fs::exists(pdfs)) {
    WARN("no corpus at " << pdfs);
    return;
  }
  size_t js = 0, files = 0, bytes = 0;
  double secs = 0;
  for (const auto& sub : {"attach/pdf", "attach/oletools", "attach/sa-olevbmacro"})
    for (const auto& e : fs::recursive_directory_iterator(fs::path(POSTERN_CORPUS_DIR) / sub)) {
      if (!e.is_regular_file()) continue;
      const std::string data = slurp(e.path());
      const auto t0 = std::chrono::steady_clock::now();
      const auto hits = rules->scan(data, 10);
      secs += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      ++files;
      bytes += data.size();
      for (const auto& h : hits) js += h.detail.find("pdf_javascript_hex") != std::string::npos;
    }
  CHECK(js >= 9);  // every payload PDF but the PDF.js font one names /JavaScript
  WARN("YARA: " << files << " files, " << bytes << " bytes in " << secs * 1000 << " ms ("
                << bytes / 1e6 / secs << " MB/s)");
  const std::string clam = slurp("/usr/share/clamav-testfiles/clam.exe");
  if (!clam.empty())
    CHECK(yara_details(rules->scan(clam, 5)) ==
          std::set<std::string>{"ATTACH_YARA b.yar:small_pe"});
}
