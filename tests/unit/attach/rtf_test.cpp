// RTF embedded objects: the oletools and ClamAV samples, obfuscated object data
// written in the test, and hostile nesting and sizes.
#include <catch2/catch.hpp>

#include <chrono>
#include <set>

#include "attach/rtf.hpp"
#include "office_fixtures.hpp"
#include "support/files.hpp"

using namespace postern::attach;
using namespace office_fixtures;

namespace {

using postern::test::hex;

std::string lp(std::string_view s) {
  if (s.empty()) return le32(0);
  return le32(static_cast<uint32_t>(s.size() + 1)) + std::string(s) + '\0';
}

// An OLE1 embedded object ([MS-OLEDS] 2.2.5): header, class name, native data.
std::string ole1(std::string_view cls, std::string_view native) {
  return le32(0x0501) + le32(2) + lp(cls) + lp("") + lp("") +
         le32(static_cast<uint32_t>(native.size())) + std::string(native);
}

// Packager native data holding one file.
std::string package(std::string_view name, std::string_view bytes) {
  return le16(2) + std::string(name) + '\0' + "C:\\tmp\\" + std::string(name) + '\0' + le16(0) +
         le16(3) + lp("C:\\tmp\\x") + le32(static_cast<uint32_t>(bytes.size())) +
         std::string(bytes);
}

}  // namespace

TEST_CASE("RTF objects: classes, auto-update, Equation Editor, packages, obfuscation") {
  const std::string word = ole1("Word.Document.8", "native");
  const std::string eq = ole1("Equation.3", std::string(64, '\x1c'));
  std::string eq_hex = hex(eq);
  // Hex broken by blanks, line ends, ignorable groups and control words, as droppers do.
  std::string obfuscated;
  for (size_t i = 0; i < eq_hex.size(); ++i) {
    obfuscated += eq_hex[i];
    if (i % 7 == 3) obfuscated += " \r\n";
    if (i % 11 == 5) obfuscated += "{\\*\\xyz}";
    if (i % 13 == 9) obfuscated += "\\par ";
  }
  CfbBuilder eqole;
  eqole.stream("Equation Native", std::string(200, '\x01'));
  struct Case {
    const char* what;
    std::string rtf;
    std::set<std::string> want;
    const char* detail_has;  // in the ATTACH_RTF_OBJECT detail
  };
  const Case cases[] = {
      {"text only", "{\\rtf1\\ansi Hello {\\b world}\\par}", {}, ""},
      {"an embedded Word document",
       "{\\rtf1{\\object\\objemb{\\*\\objclass Word.Document.8}{\\*\\objdata " + hex(word) + "}}}",
       {"ATTACH_RTF_OBJECT"},
       "1 embedded object(s): Word.Document.8"},
      {"Equation.3 with \\objupdate",
       "{\\rtf1{\\object\\objemb\\objupdate{\\*\\objclass Equation.3}{\\*\\objdata " + hex(eq) +
           "}}}",
       {"ATTACH_RTF_OBJECT", "ATTACH_RTF_OBJECT_AUTOUPDATE", "ATTACH_RTF_EQUATION"},
       "Equation.3"},
      {"a lying \\objclass: the OLE1 class name says Equation",
       "{\\rtf1{\\object\\objemb{\\*\\objclass Word.Document.8}{\\*\\objdata " + hex(eq) + "}}}",
       {"ATTACH_RTF_OBJECT", "ATTACH_RTF_EQUATION"},
       "Equation.3"},
      {"obfuscated hex (blanks, groups, control words inside)",
       "{\\rtf1{\\object\\objemb{\\*\\objdata " + obfuscated + "}}}",
       {"ATTACH_RTF_OBJECT", "ATTACH_RTF_EQUATION"},
       "Equation.3"},
      {"object bytes given raw with \\bin",
       "{\\rtf1{\\object{\\*\\objdata " + hex(eq.substr(0, 5)) + "\\bin" +
           std::to_string(eq.size() - 5) + " " + eq.substr(5) + "}}}",
       {"ATTACH_RTF_OBJECT", "ATTACH_RTF_EQUATION"},
       "Equation.3"},
      {"an Equation Editor compound file inside an object of another class",
       "{\\rtf1{\\object{\\*\\objdata " + hex(ole1("Word.Picture.8", eqole.build())) + "}}}",
       {"ATTACH_RTF_OBJECT", "ATTACH_RTF_EQUATION"},
       "Word.Picture.8"},
      {"a Package holding a program",
       "{\\rtf1{\\object\\objemb{\\*\\objdata " +
           hex(ole1("Package", package("invoice.exe", "MZ\x90\x00 program"))) + "}}}",
       {"ATTACH_RTF_OBJECT"},
       "Package 'invoice.exe'"},
      {"\\objdata outside any \\object",
       "{\\rtf1{\\*\\objdata " + hex(word) + "}}",
       {"ATTACH_RTF_OBJECT"},
       "Word.Document.8"},
      {"a class name written with \\'hh escapes",
       "{\\rtf1{\\object\\objupdate{\\*\\objclass \\'45quation.3}}}",
       {"ATTACH_RTF_OBJECT", "ATTACH_RTF_OBJECT_AUTOUPDATE", "ATTACH_RTF_EQUATION"},
       "Equation.3"},
      {"\\bin bytes are skipped outside objects, never read as RTF",
       "{\\rtf1 \\bin9 {\\object}}",
       {},
       ""},
      {"unbalanced closing braces are ignored",
       "{\\rtf1}}}}{\\object{\\*\\objdata " + hex(word) + "}}",
       {"ATTACH_RTF_OBJECT"},
       "Word.Document.8"},
  };
  for (const Case& c : cases) {
    INFO(c.what);
    auto scan = scan_rtf(c.rtf);
    CHECK(symbols(scan.hits) == c.want);
    if (!c.want.empty()) {
      REQUIRE(scan.hits[0].symbol == "ATTACH_RTF_OBJECT");
      CHECK(scan.hits[0].detail.find(c.detail_has) != std::string::npos);
    }
  }
  auto pkg = scan_rtf("{\\rtf1{\\object{\\*\\objdata " +
                      hex(ole1("Package", package("a.hta", "<hta:application>"))) + "}}}");
  REQUIRE(pkg.objects.size() == 1);
  CHECK(pkg.objects[0].package_name == "a.hta");
  CHECK(pkg.objects[0].native == "<hta:application>");
}

TEST_CASE("RTF samples: oletools' exploit lures and ClamAV's embedded program") {
  struct Case {
    std::string file;
    std::string zip_password;  // the oletools archives use "infected-test"
    std::set<std::string> want;
  };
  const Case cases[] = {
      {corpus("attach/oletools/rtfobj/issue_251.rtf"),
       "",
       {"ATTACH_RTF_OBJECT", "ATTACH_RTF_OBJECT_AUTOUPDATE", "ATTACH_RTF_EQUATION"}},
      {corpus("attach/oletools/rtfobj/issue_185.rtf.zip"),
       "infected-test",
       {"ATTACH_RTF_OBJECT", "ATTACH_RTF_OBJECT_AUTOUPDATE"}},
      {corpus("attach/oletools/msodde/RTF-Spec-1.7.rtf"), "", {}},
      {"/usr/share/clamav-testfiles/clam.exe.rtf", "", {"ATTACH_RTF_OBJECT"}},
  };
  for (const Case& c : cases) {
    INFO(c.file);
    std::string data;
    if (c.zip_password.empty()) {
      auto f = read_file(c.file);
      if (!f && c.file.starts_with("/usr/share/clamav-testfiles")) {
        WARN("clamav-testfiles is not installed");
        continue;
      }
      REQUIRE(f);
      data = *f;
    } else {
      data = unzip_member(c.file, "issue_185.rtf", c.zip_password);
    }
    REQUIRE(is_rtf(data));
    auto t0 = std::chrono::steady_clock::now();
    auto scan = scan_rtf(data);
    auto ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0)
            .count();
    CHECK(symbols(scan.hits) == c.want);
    CHECK(ms < 500);
  }
  if (auto clam = read_file("/usr/share/clamav-testfiles/clam.exe.rtf")) {
    auto scan = scan_rtf(*clam);
    REQUIRE(scan.objects.size() == 1);
    CHECK(scan.objects[0].package_name == "Clam.exe");
    CHECK(scan.objects[0].native.starts_with("MZ"));
  }
}

TEST_CASE("hostile RTF: deep nesting, many objects, huge objects stay bounded") {
  std::string deep = "{\\rtf1" + std::string(200'000, '{') + "\\object{\\*\\objclass Equation.3}" +
                     std::string(200'000, '}') + "}";
  auto t0 = std::chrono::steady_clock::now();
  auto scan = scan_rtf(deep);
  auto ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0)
          .count();
  // The deepest kept group is shared by those below it: the object is still seen.
  CHECK(symbols(scan.hits) ==
        std::set<std::string>{"ATTACH_RTF_OBJECT", "ATTACH_RTF_EQUATION", "ATTACH_OFFICE_LIMIT"});
  CHECK(ms < 500);

  std::string many = "{\\rtf1";
  for (int i = 0; i < 1000; ++i) many += "{\\object{\\*\\objdata 0102}}";
  scan = scan_rtf(many + "}");
  CHECK(scan.object_count == 1000);
  CHECK(scan.objects.size() == RtfLimits{}.max_objects);
  CHECK(symbols(scan.hits) == std::set<std::string>{"ATTACH_RTF_OBJECT", "ATTACH_OFFICE_LIMIT"});
  CHECK(scan.hits[0].detail.starts_with("1000 embedded object(s)"));

  RtfLimits l;
  l.max_object_bytes = 1000;
  scan = scan_rtf("{\\rtf1{\\object{\\*\\objdata " + std::string(10'000, 'a') + "}}}", l);
  REQUIRE(scan.objects.size() == 1);
  CHECK(scan.objects[0].data.size() == 1000);
  CHECK(scan.objects[0].truncated);
  CHECK(symbols(scan.hits).contains("ATTACH_OFFICE_LIMIT"));

  // A \bin length past the end of the input is cut there.
  scan = scan_rtf("{\\rtf1{\\object{\\*\\objdata \\bin999999999999 abc");
  REQUIRE(scan.objects.size() == 1);
  CHECK(scan.objects[0].data == "abc");
}

TEST_CASE("RTF details stay short whatever the class and file names") {
  std::string cls(500, 'C');
  std::string rtf = "{\\rtf1";
  for (int i = 0; i < 3; ++i)
    rtf += "{\\object\\objupdate{\\*\\objclass " + cls + "}{\\*\\objdata " +
           hex(ole1("Package", package(std::string(300, 'n') + ".exe", "MZ"))) + "}}";
  auto scan = scan_rtf(rtf + "}");
  REQUIRE(scan.hits.size() == 4);
  for (const Hit& h : scan.hits) CHECK(h.detail.size() <= 200);
}
