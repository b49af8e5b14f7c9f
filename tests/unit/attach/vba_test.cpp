// VBA macros, Excel 4 macros and encryption in Office files: the oletools and
// SpamAssassin samples, and VBA projects written in the test.
#include <catch2/catch.hpp>

#include <algorithm>
#include <chrono>
#include <set>

#include "attach/office.hpp"
#include "attach/vba.hpp"
#include "attach/xlm.hpp"
#include "attach/zlib_inflate.hpp"
#include "office_fixtures.hpp"

using namespace postern::attach;
using namespace office_fixtures;

TEST_CASE("MS-OVBA decompression: the specification's example and broken containers") {
  // MS-OVBA 3.2.1: "abcdefghijklmnopqrstuv." with literal tokens only.
  const std::string spec(
      "\x01\x19\xB0\x00"
      "abcdefgh\x00"
      "ijklmnop\x00"
      "qrstuv.",
      29);
  CHECK(ovba_decompress(spec, 1 << 20) == "abcdefghijklmnopqrstuv.");
  // A copy token: "ab" then copy offset 2 length 6 -> "abababab".
  const std::string copy(
      "\x01\x04\xB0\x04"
      "ab\x03\x10",
      8);  // token 0x1003: offset 2, len 6
  CHECK(ovba_decompress(copy, 1 << 20) == "abababab");
  struct Bad {
    const char* what;
    std::string in;
  };
  const Bad bad[] = {
      {"no signature byte", std::string("\x02\x19\xB0\x00"
                                        "abc",
                                        7)},
      {"a bad chunk signature", std::string("\x01\x19\x80\x00"
                                            "abc",
                                            7)},
      {"a copy token before the chunk start", std::string("\x01\x03\xB0\x01\x00\x10", 6)},
      {"a truncated copy token", std::string("\x01\x03\xB0\x02"
                                             "a\x10",
                                             6)},
      {"a raw chunk shorter than 4096 bytes", std::string("\x01\xFF\x3F"
                                                          "abc",
                                                          6)},
  };
  for (const Bad& b : bad) {
    INFO(b.what);
    CHECK_FALSE(ovba_decompress(b.in, 1 << 20));
  }
  // Output is bounded: a container that expands past the limit is refused.
  std::string big = ovba_compress(std::string(100'000, 'x'));
  CHECK(ovba_decompress(big, 1 << 20)->size() == 100'000);
  CHECK_FALSE(ovba_decompress(big, 50'000));
}

TEST_CASE("Office samples: macros, Excel 4 macros and encryption are found") {
  struct Case {
    const char* file;
    std::set<std::string> want;
  };
  const std::set<std::string> none;
  const Case cases[] = {
      {"attach/oletools/msodde/harmless-clean.doc", none},
      {"attach/oletools/oleobj/embedded-simple-2007.doc", none},
      {"attach/oletools/oleobj/embedded-simple-2007.xls", none},
      {"attach/oletools/oleobj/embedded-simple-2007.ppt", none},
      {"attach/oletools/oleobj/sample_with_lnk_file.doc", none},
      {"attach/oletools/excel4-macros/excel4_sample_macro.xls",
       {"ATTACH_XLM_MACRO", "ATTACH_XLM_AUTOEXEC"}},
      {"attach/oletools/excel4-macros/excel4_sample_macro.xlt",
       {"ATTACH_XLM_MACRO", "ATTACH_XLM_AUTOEXEC"}},
      {"attach/oletools/excel4-macros/excel4_sample_macro_excel5_format.xls",
       {"ATTACH_XLM_MACRO", "ATTACH_XLM_AUTOEXEC"}},
      {"attach/oletools/encrypted/encrypted.doc", {"ATTACH_ENCRYPTED_OFFICE"}},
      {"attach/oletools/encrypted/encrypted.xls", {"ATTACH_ENCRYPTED_OFFICE"}},
      {"attach/oletools/encrypted/encrypted.ppt", {"ATTACH_ENCRYPTED_OFFICE"}},
      {"attach/oletools/encrypted/encrypted.docx", {"ATTACH_ENCRYPTED_OFFICE"}},
      {"attach/oletools/encrypted/encrypted.xlsm", {"ATTACH_ENCRYPTED_OFFICE"}},
      {"attach/oletools/encrypted/dde-test-encrypt-standardpassword.xls",
       {"ATTACH_ENCRYPTED_OFFICE"}},
      // PowerPoint 97-2003: the VBA project is a zlib-compressed storage in a record.
      {"attach/oletools/olevba/sample_with_vba.ppt", {"ATTACH_MACRO", "ATTACH_MACRO_EVENT"}},
      // VBA in .xls is stored outside the encrypted Workbook stream: still read.
      {"attach/oletools/encrypted/autostart-encrypt-standardpassword.xls",
       {"ATTACH_MACRO", "ATTACH_MACRO_AUTOEXEC", "ATTACH_ENCRYPTED_OFFICE"}},
  };
  for (const Case& c : cases) {
    INFO(c.file);
    auto data = read_file(corpus(c.file));
    REQUIRE(data);
    auto scan = scan_ole2(*data);
    CHECK(symbols(scan.hits) == c.want);
  }
  auto xls = read_file(corpus("attach/oletools/excel4-macros/excel4_sample_macro.xls"));
  auto hits = scan_ole2(*xls).hits;
  CHECK(detail(hits, "ATTACH_XLM_MACRO").find("'Macro1'") != std::string::npos);
  CHECK(detail(hits, "ATTACH_XLM_AUTOEXEC").find("Auto_Open") != std::string::npos);
  auto enc = read_file(corpus("attach/oletools/encrypted/autostart-encrypt-standardpassword.xls"));
  CHECK(detail(scan_ole2(*enc).hits, "ATTACH_MACRO_AUTOEXEC") ==
        "OLE2 _VBA_PROJECT_CUR/VBA: Auto_Open");
}

TEST_CASE("vbaProject.bin from OOXML attachments: the SpamAssassin and oleform samples") {
  struct Case {
    const char* source;  // an .eml (its zip attachment) or an OOXML file
    const char* member;
    std::set<std::string> want;
    size_t modules_with_code;
  };
  const Case cases[] = {
      {"attach/sa-olevbmacro/macro.eml", "xl/vbaProject.bin", {"ATTACH_MACRO"}, 1},
      {"attach/sa-olevbmacro/renamedmacro.eml", "xl/vbaProject.bin", {"ATTACH_MACRO"}, 1},
      {"attach/sa-olevbmacro/malicemacro.eml",
       "xl/vbaProject.bin",
       {"ATTACH_MACRO", "ATTACH_MACRO_AUTOEXEC"},
       2},
      {"attach/oletools/oleform/oleform-PR314.docm",
       "word/vbaProject.bin",
       {"ATTACH_MACRO", "ATTACH_MACRO_EVENT"},
       3},
  };
  for (const Case& c : cases) {
    INFO(c.source);
    std::string zip = corpus(c.source);
    std::string tmp;
    if (zip.ends_with(".eml")) {
      std::string att = eml_attachment(zip);
      REQUIRE(att.starts_with("PK"));
      zip = tmp = write_temp(att);
    }
    std::string bin = unzip_member(zip, c.member);
    if (!tmp.empty()) std::remove(tmp.c_str());
    REQUIRE(is_ole2(bin));
    auto scan = scan_vba_project(bin);
    CHECK(symbols(scan.hits) == c.want);
    CHECK(scan.modules.size() == c.modules_with_code);
    for (const VbaModule& m : scan.modules)
      CHECK(m.source.find("Attribute VB_Name") != std::string::npos);
  }
  // The macro-free workbook has no vbaProject.bin at all.
  std::string att = eml_attachment(corpus("attach/sa-olevbmacro/nomacro.eml"));
  std::string tmp = write_temp(att);
  CHECK(unzip_member(tmp, "xl/vbaProject.bin").empty());
  std::remove(tmp.c_str());
}

TEST_CASE("VBA keyword checks: what runs by itself and what it does") {
  struct Case {
    const char* source;
    std::set<std::string> want;
    const char* detail_has;  // in the strongest hit's detail
  };
  const Case cases[] = {
      {"Sub Hello()\r\n  MsgBox \"hi\"\r\nEnd Sub\r\n", {"ATTACH_MACRO"}, "1 module(s) with code"},
      {"Sub AutoOpen()\r\n  MsgBox 1\r\nEnd Sub\r\n",
       {"ATTACH_MACRO", "ATTACH_MACRO_AUTOEXEC"},
       "AutoOpen"},
      {"Private Sub Document_Open()\r\nEnd Sub\r\n",
       {"ATTACH_MACRO", "ATTACH_MACRO_AUTOEXEC"},
       "Document_Open"},
      {"Private Sub workbook_open()\r\nEnd Sub\r\n",
       {"ATTACH_MACRO", "ATTACH_MACRO_AUTOEXEC"},
       "Workbook_Open"},
      {"Private Sub InkPicture1_Painted()\r\nEnd Sub\r\n",
       {"ATTACH_MACRO", "ATTACH_MACRO_AUTOEXEC"},
       "InkPicture1_Painted"},
      {"Private Sub CommandButton1_Click()\r\nEnd Sub\r\n",
       {"ATTACH_MACRO", "ATTACH_MACRO_EVENT"},
       "CommandButton1_Click"},
      {"Sub AutoOpen()\r\n Set s = CreateObject(\"WScript.Shell\")\r\n s.Run \"powershell -e "
       "AAAA\"\r\nEnd Sub\r\n",
       {"ATTACH_MACRO", "ATTACH_MACRO_AUTOEXEC", "ATTACH_MACRO_SUSPICIOUS"},
       "CreateObject, WScript.Shell, PowerShell"},
      {"Private Declare PtrSafe Function URLDownloadToFileA Lib \"urlmon\" (ByVal a As Long) As "
       "Long\r\nPrivate Declare Function VirtualAlloc Lib \"kernel32\" () As Long\r\n",
       {"ATTACH_MACRO", "ATTACH_MACRO_SUSPICIOUS"},
       "URLDownloadToFile, VirtualAlloc, Lib \"kernel32\""},
      {"Sub X()\r\n s = Chr(104) & Chr(116) & Chr(116) & Chr(112) & Chr(58) & Chr(47) & Chr(47) "
       "& Chr(101) & Chr(118) & Chr(105) & Chr(108) & Chr(46) & Chr(99) & Chr(111) & Chr(109) "
       "& Chr(47) & Chr(120) & Chr(46) & Chr(101) & Chr(120) & Chr(101)\r\nEnd Sub\r\n",
       {"ATTACH_MACRO", "ATTACH_MACRO_SUSPICIOUS"},
       "Chr() chain (21 calls)"},
      // A module with only what Office writes in every module is no macro.
      {"Option Explicit\r\n", {}, ""},
      // Words inside longer identifiers do not count: "Shellfish", "MyAutoOpenHelper".
      {"Sub MyAutoOpenHelper()\r\n Shellfish = 1\r\nEnd Sub\r\n", {"ATTACH_MACRO"}, "1 module"},
  };
  for (const Case& c : cases) {
    INFO(c.source);
    auto scan = scan_vba_project(vba_project({{"Module1", c.source}}));
    CHECK(symbols(scan.hits) == c.want);
    if (c.want.empty()) continue;
    std::string strongest = c.want.contains("ATTACH_MACRO_SUSPICIOUS") ? "ATTACH_MACRO_SUSPICIOUS"
                            : c.want.contains("ATTACH_MACRO_AUTOEXEC") ? "ATTACH_MACRO_AUTOEXEC"
                            : c.want.contains("ATTACH_MACRO_EVENT")    ? "ATTACH_MACRO_EVENT"
                                                                       : "ATTACH_MACRO";
    CHECK(detail(scan.hits, strongest).find(c.detail_has) != std::string::npos);
  }
}

TEST_CASE("VBA projects within limits: many modules, big sources, broken modules") {
  std::vector<std::pair<std::string, std::string>> mods;
  for (int i = 0; i < 12; ++i) mods.push_back({"M" + std::to_string(i), "Sub A()\r\nEnd Sub\r\n"});
  OfficeLimits l;
  l.vba.max_modules = 10;
  auto scan = scan_vba_project(vba_project(mods), l);
  CHECK(symbols(scan.hits) == std::set<std::string>{"ATTACH_MACRO", "ATTACH_OFFICE_LIMIT"});
  CHECK(detail(scan.hits, "ATTACH_OFFICE_LIMIT").find("more than 10 modules") != std::string::npos);

  // A 200 KB module over a 100 KB source limit: the macro is still reported.
  l = {};
  l.vba.max_module_source = 100'000;
  scan = scan_vba_project(vba_project({{"Big", std::string(200'000, '\'') + "\r\n"}}), l);
  CHECK(symbols(scan.hits) == std::set<std::string>{"ATTACH_MACRO", "ATTACH_OFFICE_LIMIT"});

  // A module stream that is not compressed data: malformed, and still a macro.
  CfbBuilder b;
  int vba = b.storage("VBA");
  std::string dir_plain = le16(0x0019) + le32(2) + "M1" + le16(0x001A) + le32(2) + "M1" +
                          le16(0x0031) + le32(4) + le32(0) + le16(0x002B) + le32(0) + le16(0x0010) +
                          le32(0);
  b.stream("dir", ovba_compress(dir_plain), vba);
  b.stream("M1", "garbage, not a compressed container", vba);
  scan = scan_vba_project(b.build());
  CHECK(symbols(scan.hits) == std::set<std::string>{"ATTACH_MACRO", "ATTACH_OFFICE_MALFORMED"});
  CHECK(detail(scan.hits, "ATTACH_MACRO").find("1 unreadable") != std::string::npos);

  CHECK(symbols(scan_vba_project("PK\x03\x04 a zip, not OLE2").hits) ==
        std::set<std::string>{"ATTACH_OFFICE_MALFORMED"});
}

TEST_CASE("BIFF records: hidden macro sheets, Auto_Open names, cut records") {
  auto rec = [](uint16_t type, std::string data) {
    return le16(type) + le16(static_cast<uint16_t>(data.size())) + data;
  };
  auto bof = [&](uint16_t dt) {
    return rec(0x0809, le16(0x0600) + le16(dt) + std::string(12, '\0'));
  };
  auto sheet = [&](uint8_t state, uint8_t type, std::string name) {
    return rec(0x0085, le32(0) + std::string(1, static_cast<char>(state)) +
                           std::string(1, static_cast<char>(type)) +
                           std::string(1, static_cast<char>(name.size())) + '\0' + name);
  };
  auto name = [&](uint16_t flags, std::string n) {
    return rec(0x0018, le16(flags) + '\0' + std::string(1, static_cast<char>(n.size())) + le16(0) +
                           le16(0) + le16(0) + std::string(4, '\0') + '\0' + n);
  };
  const std::string eof = rec(0x000A, "");
  struct Case {
    const char* what;
    std::string stream;
    std::set<std::string> want;
  };
  const Case cases[] = {
      {"a plain workbook", bof(5) + sheet(0, 0, "Sheet1") + eof, {}},
      {"a visible macro sheet", bof(5) + sheet(0, 1, "Macro1") + eof, {"ATTACH_XLM_MACRO"}},
      {"a very hidden macro sheet",
       bof(5) + sheet(2, 1, "x") + eof,
       {"ATTACH_XLM_MACRO", "ATTACH_XLM_HIDDEN"}},
      {"a built-in Auto_Open name",
       bof(5) + sheet(1, 1, "m") + name(0x0020, "\x01") + eof,
       {"ATTACH_XLM_MACRO", "ATTACH_XLM_HIDDEN", "ATTACH_XLM_AUTOEXEC"}},
      {"a user name Excel runs too",
       bof(5) + name(0, "auto_open_x") + eof,
       {"ATTACH_XLM_AUTOEXEC"}},
      {"a macro sheet substream with no BOUNDSHEET",
       bof(5) + eof + bof(0x40) + eof,
       {"ATTACH_XLM_MACRO"}},
      {"FILEPASS: the rest is not read",
       bof(5) + rec(0x002F, std::string(6, '\0')) + sheet(0, 1, "m") + eof,
       {"ATTACH_ENCRYPTED_OFFICE"}},
      {"a record running past the stream",
       bof(5) + le16(0x0085) + le16(500) + "abc",
       {"ATTACH_OFFICE_MALFORMED"}},
      {"zero padding after the last record", bof(5) + eof + std::string(3, '\0'), {}},
  };
  for (const Case& c : cases) {
    INFO(c.what);
    CHECK(symbols(scan_biff(c.stream)) == c.want);
  }
  std::string many = bof(5);
  for (int i = 0; i < 1000; ++i) many += rec(0x0001, "");
  BiffLimits l;
  l.max_records = 100;
  CHECK(symbols(scan_biff(many, l)) == std::set<std::string>{"ATTACH_OFFICE_LIMIT"});
}

TEST_CASE("every symbol this piece returns is catalogued once with a description") {
  std::set<std::string> names;
  for (const auto& s : office_symbols()) {
    CHECK(s.name.starts_with("ATTACH_"));
    CHECK(!s.description.empty());
    CHECK(names.insert(std::string(s.name)).second);
  }
  for (const char* used :
       {"ATTACH_MACRO", "ATTACH_MACRO_AUTOEXEC", "ATTACH_MACRO_EVENT", "ATTACH_MACRO_SUSPICIOUS",
        "ATTACH_XLM_MACRO", "ATTACH_XLM_AUTOEXEC", "ATTACH_XLM_HIDDEN", "ATTACH_ENCRYPTED_OFFICE",
        "ATTACH_OFFICE_MALFORMED", "ATTACH_OFFICE_LIMIT", "ATTACH_RTF_OBJECT",
        "ATTACH_RTF_OBJECT_AUTOUPDATE", "ATTACH_RTF_EQUATION", "ATTACH_ONENOTE_EMBEDDED",
        "ATTACH_ONENOTE_EMBEDDED_EXECUTABLE"})
    CHECK(names.contains(used));
}

TEST_CASE("zlib inflation stops at its bound and refuses data that is not zlib") {
  // A 10 MB run of zeros compresses to ~10 KB: a small bomb, made with the zlib tool chain.
  std::string bomb =
      run("head -c 10000000 /dev/zero | python3 -c "
          "'import sys,zlib; sys.stdout.buffer.write(zlib.compress(sys.stdin.buffer.read()))'");
  REQUIRE(bomb.size() < 100'000);
  CHECK(zlib_inflate(bomb, 20'000'000)->size() == 10'000'000);
  auto capped = zlib_inflate(bomb, 1'000'000);
  REQUIRE_FALSE(capped);
  CHECK(capped.error() == "inflates past the limit");
  CHECK_FALSE(zlib_inflate("not zlib at all", 1000));
  // Cut short: refused, unless it gave exactly the size the container declared.
  std::string cut = bomb.substr(0, bomb.size() / 2);
  CHECK_FALSE(zlib_inflate(cut, 20'000'000));
}

TEST_CASE("a file with many VBA projects reads at most max_projects of them") {
  std::string dir = le16(0x0019) + le32(2) + "M1" + le16(0x001A) + le32(2) + "M1" + le16(0x0031) +
                    le32(4) + le32(0) + le16(0x002B) + le32(0) + le16(0x0010) + le32(0);
  CfbBuilder b;
  for (int i = 0; i < 40; ++i) {
    int outer = b.storage("P" + std::to_string(i));
    int vba = b.storage("VBA", outer);
    b.stream("dir", ovba_compress(dir), vba);
    b.stream("M1", ovba_compress("Sub AutoOpen()\r\nEnd Sub\r\n"), vba);
  }
  std::string file = b.build();
  auto f = Ole2File::open(file);
  REQUIRE(f);
  CHECK(f->find("P39/VBA/M1") != nullptr);
  auto projects = extract_vba(*f);
  CHECK(projects.size() == VbaLimits{}.max_projects + 1);
  CHECK(projects.back().limited);
  auto hits = scan_ole2(file).hits;
  CHECK(std::count_if(hits.begin(), hits.end(),
                      [](const Hit& h) { return h.symbol == "ATTACH_MACRO_AUTOEXEC"; }) == 16);
  CHECK(detail(hits, "ATTACH_OFFICE_LIMIT").find("more than 16 VBA projects") != std::string::npos);
}

TEST_CASE("details stay short whatever the names in the file") {
  std::string longname(300, 'A');
  auto scan = scan_vba_project(vba_project(
      {{"Module1", "Sub " + longname + "1_Layout()\r\nEnd Sub\r\nSub " + longname +
                       "2_Layout()\r\nEnd Sub\r\nSub " + longname + "3_Click()\r\nEnd Sub\r\n"}}));
  CHECK(symbols(scan.hits) ==
        std::set<std::string>{"ATTACH_MACRO", "ATTACH_MACRO_AUTOEXEC", "ATTACH_MACRO_EVENT"});
  for (const Hit& h : scan.hits) CHECK(h.detail.size() <= 200);
}

TEST_CASE("files embedded with the OLE Packager are passed on with their names") {
  struct Case {
    std::string file;
    const char* name;
    const char* starts;  // the embedded file's first bytes
    size_t size;
  };
  const Case cases[] = {
      {corpus("attach/oletools/oleobj/sample_with_calc_embedded.doc"), "calc.exe", "MZ", 31232},
      {corpus("attach/oletools/oleobj/sample_with_lnk_file.doc"), "calc.lnk", "L", 1220},
      // PowerPoint: inside a zlib-compressed storage of a record.
      {corpus("attach/oletools/oleobj/sample_with_lnk_file.ppt"), "calc.lnk", "L", 1220},
      {corpus("attach/oletools/oleobj/embedded-simple-2007.doc"), "simple-text-file.txt", "Th", 49},
      {"/usr/share/clamav-testfiles/clam.ole.doc", "Clam.exe", "MZ", 544},
  };
  for (const Case& c : cases) {
    INFO(c.file);
    auto data = read_file(c.file);
    if (!data && c.file.starts_with("/usr/share/clamav-testfiles")) {
      WARN("clamav-testfiles is not installed");
      continue;
    }
    REQUIRE(data);
    auto scan = scan_ole2(*data);
    REQUIRE(scan.embedded.size() == 1);
    const EmbeddedFile& e = scan.embedded[0];
    CHECK(e.name == c.name);
    CHECK(e.data.starts_with(c.starts));
    CHECK(e.data.size() == c.size);
    CHECK_FALSE(e.truncated);
    CHECK(e.where.ends_with("?Ole10Native"));
  }
  // Documents without packaged files have none.
  auto clean = read_file(corpus("attach/oletools/msodde/harmless-clean.doc"));
  CHECK(scan_ole2(*clean).embedded.empty());
}

TEST_CASE("PowerPoint records: storages found in containers, lying sizes are findings") {
  auto rec = [](uint16_t ver_instance, uint16_t type, std::string_view body) {
    return le16(ver_instance) + le16(type) + le32(static_cast<uint32_t>(body.size())) +
           std::string(body);
  };
  auto ppt = [](std::string document) {
    CfbBuilder b;
    b.stream("Current User", std::string(64, '\0'));
    b.stream("PowerPoint Document", std::move(document));
    return b.build();
  };
  const std::string vba =
      vba_project({{"Module1", "Sub Auto_Open()\r\nShell \"x\"\r\nEnd Sub\r\n"}});
  // An uncompressed ExOleObjStg (instance 0) inside a container record (version 0xF).
  std::string inner = rec(0x0000, 0x1011, vba);
  std::string doc = rec(0x000F, 0x03E8, rec(0x0000, 0x03E9, std::string(40, '\0')) + inner);
  struct Case {
    const char* what;
    std::string document;
    std::set<std::string> want;
  };
  const Case cases[] = {
      {"a VBA storage inside a container",
       doc,
       {"ATTACH_MACRO", "ATTACH_MACRO_AUTOEXEC", "ATTACH_MACRO_SUSPICIOUS"}},
      {"a compressed storage declaring 1 GiB",
       rec(0x0010, 0x1011, le32(1u << 30) + "\x78\x9c"),
       {"ATTACH_OFFICE_LIMIT"}},
      {"a compressed storage that is not zlib",
       rec(0x0010, 0x1011, le32(100) + "not zlib"),
       {"ATTACH_OFFICE_MALFORMED"}},
      {"a record running past the stream",
       rec(0x0000, 0x03E9, "abc") + le16(0) + le16(0x1011) + le32(1'000'000),
       {"ATTACH_OFFICE_MALFORMED"}},
  };
  for (const Case& c : cases) {
    INFO(c.what);
    CHECK(symbols(scan_ole2(ppt(c.document)).hits) == c.want);
  }
  OfficeLimits l;
  l.max_ppt_storages = 2;
  std::string three = inner + inner + inner;
  CHECK(symbols(scan_ole2(ppt(three), l).hits).contains("ATTACH_OFFICE_LIMIT"));
}
