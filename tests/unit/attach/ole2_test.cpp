// The compound file reader: real Office files, both sector sizes, and hostile
// files (chain cycles, sectors past the end, huge directories, limits).
#include <catch2/catch.hpp>

#include <functional>
#include <optional>

#include "attach/office.hpp"
#include "attach/ole2.hpp"
#include "office_fixtures.hpp"
#include "support/cpu_time.hpp"

using namespace postern::attach;
using namespace office_fixtures;

TEST_CASE("the compound files of the oletools corpus open and every stream reads back") {
  struct Case {
    const char* file;
    const char* stream;  // one stream the file must have
  };
  const Case cases[] = {
      {"attach/oletools/msodde/harmless-clean.doc", "WordDocument"},
      {"attach/oletools/oleobj/embedded-simple-2007.doc", "WordDocument"},
      {"attach/oletools/oleobj/embedded-unicode.doc", "1Table"},
      {"attach/oletools/oleobj/embedded-simple-2007.xls", "Workbook"},
      {"attach/oletools/oleobj/embedded-simple-2007.ppt", "PowerPoint Document"},
      {"attach/oletools/oleobj/sample_with_calc_embedded.doc", "WordDocument"},
      {"attach/oletools/olevba/sample_with_vba.ppt", "Current User"},
      {"attach/oletools/excel4-macros/excel4_sample_macro_excel5_format.xls", "Book"},
      {"attach/oletools/encrypted/encrypted.docx", "EncryptedPackage"},
      {"attach/oletools/encrypted/autostart-encrypt-standardpassword.xls",
       "_VBA_PROJECT_CUR/VBA/dir"},
  };
  for (const Case& c : cases) {
    INFO(c.file);
    auto data = read_file(corpus(c.file));
    REQUIRE(data);
    auto f = Ole2File::open(*data);
    REQUIRE(f);
    REQUIRE(f->find(c.stream) != nullptr);
    size_t streams = 0, bytes = 0;
    for (const Ole2Entry& e : f->entries()) {
      if (e.type != Ole2Entry::Type::Stream) continue;
      auto s = f->read(e);
      INFO(e.path);
      REQUIRE(s);
      CHECK(s->size() == e.size);
      ++streams;
      bytes += s->size();
    }
    CHECK(streams >= 3);
    CHECK(bytes < data->size());
  }
}

TEST_CASE("ClamAV's OLE2 test document: the embedded object's storage path is read") {
  auto data = read_file("/usr/share/clamav-testfiles/clam.ole.doc");
  if (!data) {
    WARN("clamav-testfiles is not installed");
    return;
  }
  auto f = Ole2File::open(*data);
  REQUIRE(f);
  // Names are compared ignoring case, paths joined with '/'.
  const Ole2Entry* native = nullptr;
  for (const Ole2Entry& e : f->entries())
    if (e.name == "\x01Ole10Native") native = &e;
  REQUIRE(native != nullptr);
  CHECK(native->path.starts_with("ObjectPool/_"));
  CHECK(f->find("wordDOCUMENT") != nullptr);
}

TEST_CASE("512- and 4096-byte sectors read the same streams") {
  for (uint32_t sector : {512u, 4096u}) {
    INFO(sector);
    CfbBuilder b;
    b.sector_size = sector;
    std::string big(10000, 'x'), small = "a small stream in the mini stream";
    for (size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>('a' + i % 26);
    b.stream("Big", big);
    b.stream("Small", small);
    int st = b.storage("Store");
    b.stream("Inner", std::string(5000, 'q'), st);
    std::string file = b.build();
    auto f = Ole2File::open(file);
    REQUIRE(f);
    CHECK(f->sector_size() == sector);
    CHECK(f->read("Big") == big);
    CHECK(f->read("Small") == small);
    CHECK(f->read("Store/Inner") == std::string(5000, 'q'));
    CHECK(f->read("Store").error() == Ole2Error::NotAStream);
    CHECK(f->read("Missing").error() == Ole2Error::NotAStream);
  }
}

TEST_CASE("hostile compound files give a clean error, never a wrong read") {
  CfbBuilder b;
  b.stream("Big", std::string(10000, 'b'));
  const std::string good = b.build();
  REQUIRE(Ole2File::open(good));
  // The stream "Big" occupies the sectors after the FAT, directory, mini FAT, mini stream.
  const uint32_t first = [&] {
    auto f = Ole2File::open(good);
    return f->find("Big")->start;
  }();

  struct Case {
    const char* what;
    std::function<void(std::string&)> mutate;
    Ole2Error want;
    bool at_open;
  };
  const Case cases[] = {
      {"a chain that comes back on itself",
       [&](std::string& s) { put32(s, fat_entry_offset(b, first + 2), first); }, Ole2Error::Cycle,
       false},
      {"a chain pointing past the end of the file",
       [&](std::string& s) { put32(s, fat_entry_offset(b, first + 1), 0x00FFFFFF); },
       Ole2Error::BadSector, false},
      {"a free sector inside a chain",
       [&](std::string& s) { put32(s, fat_entry_offset(b, first + 1), 0xFFFFFFFF); },
       Ole2Error::BadSector, false},
      {"a chain ending before the stream's size",
       [&](std::string& s) { put32(s, fat_entry_offset(b, first + 3), 0xFFFFFFFE); },
       Ole2Error::Truncated, false},
      {"a directory chain cycle",
       [&](std::string& s) { put32(s, fat_entry_offset(b, b.dir_start), b.dir_start); },
       Ole2Error::Cycle, true},
      {"a FAT sector number past the end", [&](std::string& s) { put32(s, 0x4C, 0x7FFFFFF0); },
       Ole2Error::BadSector, true},
      {"more FAT sectors than the file has", [&](std::string& s) { put32(s, 0x2C, 0x40000000); },
       Ole2Error::BadHeader, true},
      {"an unknown sector size", [&](std::string& s) { put16(s, 0x1E, 16); }, Ole2Error::BadHeader,
       true},
      {"a root entry of the wrong type",
       [&](std::string& s) { s[(b.dir_start + 1) * 512 + 0x42] = 2; }, Ole2Error::BadHeader, true},
      {"an entry that is its own sibling (directory cycle)",
       [&](std::string& s) { put32(s, (b.dir_start + 1) * 512 + 128 + 0x48, 1); }, Ole2Error::Cycle,
       true},
  };
  for (const Case& c : cases) {
    INFO(c.what);
    std::string bad = good;
    c.mutate(bad);
    auto f = Ole2File::open(bad);
    if (c.at_open) {
      REQUIRE_FALSE(f);
      CHECK(f.error() == c.want);
      continue;
    }
    REQUIRE(f);
    auto s = f->read("Big");
    REQUIRE_FALSE(s);
    CHECK(s.error() == c.want);
  }
  CHECK(Ole2File::open("not a compound file at all").error() == Ole2Error::NotOle2);
  CHECK(Ole2File::open(good.substr(0, 400)).error() == Ole2Error::NotOle2);
  CHECK_FALSE(Ole2File::open(good.substr(0, 520)));
}

TEST_CASE("a stream size larger than the file fails before any allocation") {
  CfbBuilder b;
  b.stream("Big", std::string(10000, 'b'));
  std::string s = b.build();
  // The directory entry of "Big" (entry 1): size 0xFFFFFF00.
  put32(s, (b.dir_start + 1) * 512 + 128 + 0x78, 0xFFFFFF00);
  Ole2Limits unlimited;
  unlimited.max_stream_bytes = unlimited.max_total = SIZE_MAX;
  auto f = Ole2File::open(s, unlimited);
  REQUIRE(f);
  CHECK(f->read("Big").error() == Ole2Error::Truncated);
  auto g = Ole2File::open(s);
  CHECK(g->read("Big").error() == Ole2Error::StreamTooLarge);
}

TEST_CASE("the stream, total and directory limits are findings of their own") {
  CfbBuilder b;
  for (int i = 0; i < 20; ++i) b.stream("S" + std::to_string(i), std::string(5000, 'z'));
  std::string s = b.build();
  Ole2Limits l;
  l.max_stream_bytes = 4999;
  CHECK(Ole2File::open(s, l)->read("S0").error() == Ole2Error::StreamTooLarge);
  l = {};
  l.max_total = 50'000;
  auto f = Ole2File::open(s, l);
  int read = 0;
  for (int i = 0; i < 20; ++i)
    if (f->read("S" + std::to_string(i))) ++read;
  CHECK(read == 10);
  l = {};
  l.max_streams = 10;
  CHECK(Ole2File::open(s, l).error() == Ole2Error::TooManyStreams);
  CHECK(is_limit(Ole2Error::TooManyStreams));
  CHECK_FALSE(is_limit(Ole2Error::Cycle));

  // A 30 001-entry directory passes the default 10 000 and is refused quickly.
  CfbBuilder many;
  for (int i = 0; i < 30'000; ++i) many.stream("s" + std::to_string(i), "x");
  std::string big = many.build();
  std::optional<decltype(Ole2File::open(big))> r;
  CHECK(postern::test::thread_cpu_seconds([&] { r.emplace(Ole2File::open(big)); }) <
        postern::test::kHangGuardSeconds);
  REQUIRE_FALSE(*r);
  CHECK(r->error() == Ole2Error::TooManyStreams);
  auto hits = scan_ole2(big).hits;
  REQUIRE(hits.size() == 1);
  CHECK(hits[0].symbol == "ATTACH_OFFICE_LIMIT");
}

TEST_CASE("a broken compound file is a finding, not silence") {
  CfbBuilder b;
  b.stream("WordDocument", std::string(5000, 'w'));
  std::string s = b.build();
  put32(s, 0x30, 0x00FFFFFF);  // directory start past the end
  auto hits = scan_ole2(s).hits;
  REQUIRE(hits.size() == 1);
  CHECK(hits[0].symbol == "ATTACH_OFFICE_MALFORMED");
  CHECK(hits[0].detail.find("sector") != std::string::npos);
  CHECK(scan_ole2("plain text").hits.empty());
}

TEST_CASE("storages nested deeper than max_depth are refused, not walked") {
  CfbBuilder b;
  int parent = -1;
  for (int i = 0; i < 40; ++i) parent = b.storage("S" + std::to_string(i), parent);
  b.stream("Deep", std::string(100, 'd'), parent);
  std::string s = b.build();
  auto f = Ole2File::open(s);
  REQUIRE_FALSE(f);
  CHECK(f.error() == Ole2Error::TooDeep);
  CHECK(is_limit(Ole2Error::TooDeep));
  Ole2Limits l;
  l.max_depth = 41;
  auto g = Ole2File::open(s, l);
  REQUIRE(g);
  CHECK(g->find("S0/S1/S2/S3/S4/S5/S6/S7/S8/S9/S10/S11/S12/S13/S14/S15/S16/S17/S18/S19/S20/S21/"
                "S22/S23/S24/S25/S26/S27/S28/S29/S30/S31/S32/S33/S34/S35/S36/S37/S38/S39/Deep") !=
        nullptr);
}
