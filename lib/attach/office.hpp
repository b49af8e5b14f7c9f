// Office documents in compound files: VBA macros, Excel 4 macros, encryption.
//
// Contract: `scan_ole2(data)` reads a compound file (.doc .xls .ppt .msg .msi,
// any OLE2) and returns Hits: its VBA projects (vba.hpp), the Excel 4 macros
// and FILEPASS of its "Workbook"/"Book" stream (xlm.hpp), and encryption
// (an "EncryptedPackage" stream: encrypted OOXML; "EncryptedSummary": encrypted
// PowerPoint; the FIB fEncrypted bit of "WordDocument"). PowerPoint 97-2003
// keeps its VBA project (and embedded objects) as compound files inside
// ExOleObjStg records of the "PowerPoint Document" stream, zlib-compressed or
// not: each is inflated (bounded by ole2.max_stream_bytes) and read for VBA.
// Files embedded with the OLE Packager (in .doc ObjectPools, in PowerPoint
// storages) are returned in `embedded` with their names.
// `scan_vba_project(bin)` does the same for an OOXML vbaProject.bin member (an OLE2 itself, found
// in the zip by the archive reader). A file that is not a compound file gives no Hits; one with the
// OLE2 signature that cannot be read gives ATTACH_OFFICE_MALFORMED, one that passes a limit
// ATTACH_OFFICE_LIMIT: a file only partly read may hide macros, so both are findings. `modules`
// holds the decompressed VBA sources with code (for the URL and content checks). Pure functions,
// thread-safe, linear in the input within OfficeLimits, never throw. `office_symbols()` is the
// catalogue of every ATTACH_* symbol of this piece (OLE2/VBA/XLM here, and rtf.hpp, onenote.hpp).
#pragma once

#include <cstddef>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "attach/hit.hpp"
#include "attach/ole2.hpp"
#include "attach/vba.hpp"
#include "attach/xlm.hpp"
#include "core/symbols.hpp"

namespace postern::attach {

struct OfficeLimits {
  Ole2Limits ole2;
  VbaLimits vba;
  BiffLimits biff;
  size_t max_ppt_records = 2'000'000;  // records walked in "PowerPoint Document"
  size_t max_ppt_storages = 64;        // ExOleObjStg storages (VBA, embedded objects) opened
  size_t max_embedded = 64;            // packaged files passed on in OfficeScan::embedded
};

// A file embedded with the OLE Packager ("\1Ole10Native" streams), for the
// attach stage to pass through the other checks.
struct EmbeddedFile {
  std::string where;  // container and stream path ("OLE2 ObjectPool/_1279313719/?Ole10Native")
  std::string name;   // the name Office shows
  std::string data;
  bool truncated = false;
};

struct OfficeScan {
  std::vector<Hit> hits;
  std::vector<VbaModule> modules;      // modules with code, source decompressed
  std::vector<EmbeddedFile> embedded;  // at most OfficeLimits::max_embedded
};

bool is_ole2(std::string_view data);

OfficeScan scan_ole2(std::string_view data, const OfficeLimits& limits = {});
OfficeScan scan_vba_project(std::string_view vba_project_bin, const OfficeLimits& limits = {});

std::span<const core::SymbolInfo> office_symbols();

}  // namespace postern::attach
