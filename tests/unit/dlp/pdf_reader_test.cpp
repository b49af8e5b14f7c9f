// The PDF reader (tools/pdftext behind dlp::PdfReader): the text of each page, in
// order; readers kept and reused, never more than asked for, from many threads at
// once; a damaged PDF, text past max_out, and a reader that dies between requests
// (replaced) or cannot start.
#include "dlp/pdf_reader.hpp"

#include <catch2/catch.hpp>

#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "support/pdf.hpp"

using namespace postern;

namespace {

// The pids of this process' children: postern-pdftext readers that run (reader_children),
// or any child that ended and was never reaped (zombie_children: a reader discarded
// without its waitpid).
std::vector<pid_t> children(bool zombies) {
  std::vector<pid_t> out;
  for (const auto& e : std::filesystem::directory_iterator("/proc")) {
    std::ifstream stat(e.path() / "stat");
    std::string line;
    if (!std::getline(stat, line)) continue;
    const auto open = line.find('('), close = line.rfind(')');
    if (open == std::string::npos || close == std::string::npos) continue;
    const std::string comm = line.substr(open + 1, close - open - 1);
    std::istringstream rest(line.substr(close + 2));
    char state = 0;
    pid_t ppid = 0;
    rest >> state >> ppid;
    if (ppid != ::getpid()) continue;
    if (zombies ? state == 'Z' : (comm.starts_with("postern-pdftex") && state != 'Z'))
      out.push_back(std::stoi(e.path().filename().string()));
  }
  return out;
}
std::vector<pid_t> reader_children() {
  return children(false);
}
std::vector<pid_t> zombie_children() {
  return children(true);
}

constexpr std::chrono::milliseconds kWall{10000};

}  // namespace

TEST_CASE("the PDF reader gives the text of each page in order", "[dlp][pdf]") {
  dlp::PdfReader reader(dlp::PdfReaderOptions{.program = POSTERN_PDFTEXT_BIN});
  auto t =
      reader.read(test::pdf_pages({"first page 078-05-1121", "second page"}), 200, 1 << 20, kWall);
  REQUIRE(t);
  CHECK(t->text.find("first page 078-05-1121") != std::string::npos);
  CHECK(t->text.find("second page") > t->text.find("first page"));
  CHECK_FALSE(t->truncated);

  SECTION("pages past the page bound are not read") {
    auto one = reader.read(test::pdf_pages({"first page", "second page"}), 1, 1 << 20, kWall);
    REQUIRE(one);
    CHECK(one->text.find("first page") != std::string::npos);
    CHECK(one->text.find("second page") == std::string::npos);
  }
  SECTION("text past max_out is cut and said to be") {
    auto cut = reader.read(test::pdf_showing("0123456789abcdef"), 200, 8, kWall);
    REQUIRE(cut);
    CHECK(cut->text == "01234567");
    CHECK(cut->truncated);
  }
  SECTION("a cut never splits a UTF-8 character") {
    // \\351 is Oslash in the standard encoding: "a", then 2 bytes of UTF-8.
    auto whole = reader.read(test::pdf_showing("a\\351b"), 200, 1 << 20, kWall);
    REQUIRE(whole);
    CHECK(
        whole->text.starts_with("a\xC3\x98"
                                "b"));
    auto cut = reader.read(test::pdf_showing("a\\351b"), 200, 2, kWall);
    REQUIRE(cut);
    CHECK(cut->text == "a");
    CHECK(cut->truncated);
  }
  SECTION("bytes poppler cannot open are refused, and the reader serves on") {
    auto bad = reader.read("%PDF-1.4\n1 0 obj << /Type /Catalog >>\ngarbage", 200, 1 << 20, kWall);
    REQUIRE_FALSE(bad);
    CHECK(bad.error() == "poppler cannot open it");
    CHECK(reader.read(test::pdf_showing("after"), 200, 1 << 20, kWall));
    CHECK(reader.started() == 1);
  }
}

TEST_CASE("PDF readers are reused, at most `readers` at once, from many threads", "[dlp][pdf]") {
  dlp::PdfReader reader(dlp::PdfReaderOptions{.program = POSTERN_PDFTEXT_BIN, .readers = 2});
  std::atomic<int> right{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 6; ++t)
    threads.emplace_back([&, t] {
      for (int i = 0; i < 5; ++i) {
        const std::string line = "thread " + std::to_string(t) + " pdf " + std::to_string(i);
        auto r = reader.read(test::pdf_showing(line), 200, 1 << 20, kWall);
        if (r && r->text.find(line) != std::string::npos) ++right;
      }
    });
  for (auto& th : threads) th.join();
  CHECK(right == 30);
  CHECK(reader.started() <= 2);
  CHECK(reader_children().size() <= 2);
}

TEST_CASE("a PDF reader that dies between requests is replaced; one retired after max_requests",
          "[dlp][pdf]") {
  dlp::PdfReader reader(
      dlp::PdfReaderOptions{.program = POSTERN_PDFTEXT_BIN, .readers = 1, .max_requests = 3});
  REQUIRE(reader.read(test::pdf_showing("one"), 200, 1 << 20, kWall));
  const auto kids = reader_children();
  REQUIRE(kids.size() == 1);
  ::kill(kids[0], SIGKILL);
  for (int i = 0; i < 100 && !reader_children().empty(); ++i) ::usleep(10000);
  auto again = reader.read(test::pdf_showing("two"), 200, 1 << 20, kWall);
  REQUIRE(again);
  CHECK(again->text.find("two") != std::string::npos);
  CHECK(reader.started() == 2);
  // Its third PDF retires it: the next one starts a fresh reader.
  REQUIRE(reader.read(test::pdf_showing("three"), 200, 1 << 20, kWall));
  REQUIRE(reader.read(test::pdf_showing("four"), 200, 1 << 20, kWall));
  CHECK(reader.started() == 2);
  REQUIRE(reader.read(test::pdf_showing("five"), 200, 1 << 20, kWall));
  CHECK(reader.started() == 3);
  // The killed reader and the retired one were reaped, not left as zombies.
  CHECK(zombie_children().empty());
}

TEST_CASE("a PDF reader that cannot start, exits or hangs is an error, never a hang",
          "[dlp][pdf]") {
  const auto dir =
      std::filesystem::temp_directory_path() / ("pdf-reader-test-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const std::string hang = (dir / "hang.sh").string();
  { std::ofstream(hang) << "#!/bin/sh\nexec sleep 30\n"; }
  std::filesystem::permissions(hang, std::filesystem::perms::owner_all);
  struct Row {
    std::string program, error;
  };
  const std::vector<Row> rows = {
      {hang, "no answer before the deadline"},
      {"/bin/false", "the reader exited (1)"},
      {(dir / "missing").string(), "cannot start " + (dir / "missing").string() + ": No such file"},
  };
  for (const auto& r : rows) {
    INFO(r.program);
    dlp::PdfReader reader(dlp::PdfReaderOptions{.program = r.program});
    auto t = reader.read(test::pdf_showing("x"), 200, 1 << 20, std::chrono::milliseconds(300));
    REQUIRE_FALSE(t);
    CHECK(t.error().starts_with(r.error));
  }
  std::filesystem::remove_all(dir);
  CHECK(reader_children().empty());
  CHECK(zombie_children().empty());  // every failed reader was reaped
}
