// Office compound files: VBA, Excel 4 macros, encryption; and the symbol
// catalogue of the Office/RTF/OneNote checks. See office.hpp for the contract.
#include "attach/office.hpp"

#include <fmt/format.h>

#include <array>
#include <cstring>

#include "attach/le_bytes.hpp"
#include "attach/ole_package.hpp"
#include "attach/zlib_inflate.hpp"

namespace postern::attach {
namespace {

using core::Scope;
// Scores: a VBA project alone is common in business spreadsheets (3); one that
// runs by itself on open is what every macro dropper needs (5 more: with the
// project, the tag threshold on its own); the download/execute/API keywords are
// the payload (6 more): together 14, below reject (15) alone but over it with any
// other signal. Excel 4 macro sheets have
// been legacy since 1993 and today are near-only malware (4), and so on.
constexpr std::array kSymbols{
    core::SymbolInfo{"ATTACH_MACRO", 3.0, Scope::Transaction,
                     "an Office file with a VBA project holding code"},
    core::SymbolInfo{"ATTACH_MACRO_AUTOEXEC", 5.0, Scope::Transaction,
                     "a VBA macro that runs by itself when the document opens or closes "
                     "(AutoOpen, Document_Open, Workbook_Open, an ActiveX Layout/Painted event)"},
    core::SymbolInfo{"ATTACH_MACRO_EVENT", 1.0, Scope::Transaction,
                     "a VBA macro on a control event the user must trigger (a click, a change)"},
    core::SymbolInfo{
        "ATTACH_MACRO_SUSPICIOUS", 6.0, Scope::Transaction,
        "VBA code that runs programs, downloads, calls Windows APIs or hides "
        "strings (Shell, CreateObject, URLDownloadToFile, Lib \"kernel32\", Chr chains)"},
    core::SymbolInfo{"ATTACH_XLM_MACRO", 4.0, Scope::Transaction,
                     "an Excel workbook with an Excel 4 (XLM) macro sheet"},
    core::SymbolInfo{"ATTACH_XLM_AUTOEXEC", 5.0, Scope::Transaction,
                     "an Excel workbook with an Auto_Open/Auto_Close name: its XLM macro runs "
                     "when the workbook opens"},
    // Hiding a macro sheet has no use but keeping the user from seeing it.
    core::SymbolInfo{"ATTACH_XLM_HIDDEN", 3.0, Scope::Transaction,
                     "an Excel 4 macro sheet that is hidden or very hidden"},
    // Encryption hides the content from every scanner; also used by real businesses.
    core::SymbolInfo{"ATTACH_ENCRYPTED_OFFICE", 4.0, Scope::Transaction,
                     "a password-encrypted Office document: no scanner can see its macros"},
    core::SymbolInfo{"ATTACH_OFFICE_MALFORMED", 2.0, Scope::Transaction,
                     "an Office, RTF or OneNote file whose structure is broken: it could not be "
                     "checked in full"},
    core::SymbolInfo{"ATTACH_OFFICE_LIMIT", 1.0, Scope::Transaction,
                     "an Office, RTF or OneNote file larger than the scan limits: it was checked "
                     "only in part"},
    core::SymbolInfo{"ATTACH_RTF_OBJECT", 2.0, Scope::Transaction,
                     "an RTF document with an embedded OLE object or file (Package)"},
    // \objupdate loads the object when the document opens, without a click.
    core::SymbolInfo{"ATTACH_RTF_OBJECT_AUTOUPDATE", 5.0, Scope::Transaction,
                     "an RTF object with \\objupdate: Word loads it on open"},
    // Equation Editor was removed from Office in 2018 (CVE-2017-11882, CVE-2018-0802):
    // such an object in mail is an exploit attempt.
    core::SymbolInfo{"ATTACH_RTF_EQUATION", 8.0, Scope::Transaction,
                     "an RTF object of the Equation Editor class (Equation.3): the "
                     "CVE-2017-11882 exploit lure"},
    // Pictures are stored as embedded files too: the count alone is a weak signal.
    core::SymbolInfo{"ATTACH_ONENOTE_EMBEDDED", 1.0, Scope::Transaction,
                     "a OneNote file with embedded files"},
    core::SymbolInfo{"ATTACH_ONENOTE_EMBEDDED_EXECUTABLE", 8.0, Scope::Transaction,
                     "a OneNote file embedding a program, script, shortcut or HTA (the 2023 "
                     "OneNote lure)"},
};

constexpr unsigned char kSignature[8] = {0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1};

Hit unreadable(std::string_view what, Ole2Error e) {
  return {is_limit(e) ? "ATTACH_OFFICE_LIMIT" : "ATTACH_OFFICE_MALFORMED",
          fmt::format("{}: {}", what, to_string(e))};
}

void add_vba(Ole2File& file, const OfficeLimits& limits, std::string_view container,
             OfficeScan& out) {
  auto projects = extract_vba(file, limits.vba);
  auto hits = check_vba(projects, container);
  out.hits.insert(out.hits.end(), hits.begin(), hits.end());
  for (VbaProject& p : projects)
    for (VbaModule& m : p.modules)
      if (m.error.empty() && has_code(m.source)) out.modules.push_back(std::move(m));
}

// The Packager files of a compound file ("\1Ole10Native": a 4-byte size, then native data).
void add_embedded(Ole2File& file, const OfficeLimits& limits, std::string_view container,
                  OfficeScan& out) {
  for (const Ole2Entry& e : file.entries()) {
    if (e.type != Ole2Entry::Type::Stream || e.name != "\x01Ole10Native") continue;
    if (out.embedded.size() >= limits.max_embedded) {
      out.hits.push_back(
          {"ATTACH_OFFICE_LIMIT", fmt::format("more than {} embedded files", limits.max_embedded)});
      return;
    }
    auto s = file.read(e);
    if (!s) {
      out.hits.push_back(unreadable(fmt::format("{} {}", container, e.path), s.error()));
      continue;
    }
    if (s->size() < 4) continue;
    std::string_view native =
        std::string_view(*s).substr(4, std::min<size_t>(le::u32(*s, 0), s->size() - 4));
    auto pkg = parse_package(native);
    if (!pkg) continue;
    std::string where = fmt::format("{} {}", container, e.path);
    for (char& c : where)
      if (static_cast<unsigned char>(c) < 0x20) c = '?';  // the \1 of "\1Ole10Native"
    out.embedded.push_back({std::move(where), pkg->name, std::string(pkg->data), pkg->truncated});
  }
}

// The compound files in ExOleObjStg records ([MS-PPT] 2.10.34) of a PowerPoint
// Document stream: the VBA project and embedded objects. Container records
// (recVer 0xF) are entered, atoms skipped, each record once.
void scan_ppt(std::string_view s, const OfficeLimits& limits, OfficeScan& out) {
  size_t pos = 0, records = 0, storages = 0;
  while (pos + 8 <= s.size()) {
    if (++records > limits.max_ppt_records) {
      out.hits.push_back({"ATTACH_OFFICE_LIMIT",
                          fmt::format("PowerPoint: more than {} records", limits.max_ppt_records)});
      return;
    }
    uint16_t ver_instance = le::u16(s, pos), type = le::u16(s, pos + 2);
    uint32_t len = le::u32(s, pos + 4);
    pos += 8;
    if ((ver_instance & 0xF) == 0xF) continue;  // a container: its children follow
    if (len > s.size() - pos) {
      out.hits.push_back({"ATTACH_OFFICE_MALFORMED",
                          fmt::format("PowerPoint: record 0x{:04X} runs past the stream", type)});
      return;
    }
    std::string_view body = s.substr(pos, len);
    pos += len;
    if (type != 0x1011) continue;
    if (++storages > limits.max_ppt_storages) {
      out.hits.push_back(
          {"ATTACH_OFFICE_LIMIT",
           fmt::format("PowerPoint: more than {} embedded storages", limits.max_ppt_storages)});
      return;
    }
    std::string inflated;
    if ((ver_instance >> 4) == 1) {  // compressed: decompressed size, then zlib data
      if (body.size() < 4) continue;
      uint32_t declared = le::u32(body, 0);
      if (declared > limits.ole2.max_stream_bytes) {
        out.hits.push_back({"ATTACH_OFFICE_LIMIT",
                            fmt::format("PowerPoint embedded storage of {} bytes", declared)});
        continue;
      }
      auto z = zlib_inflate(body.substr(4), declared, declared);
      if (!z) {
        bool limit = z.error().find("limit") != std::string::npos;
        out.hits.push_back({limit ? "ATTACH_OFFICE_LIMIT" : "ATTACH_OFFICE_MALFORMED",
                            fmt::format("PowerPoint embedded storage: {}", z.error())});
        continue;
      }
      inflated = std::move(*z);
      body = inflated;
    }
    if (!is_ole2(body)) continue;
    auto inner = Ole2File::open(body, limits.ole2);
    if (!inner) {
      out.hits.push_back(unreadable("PowerPoint embedded storage", inner.error()));
      continue;
    }
    add_vba(*inner, limits, "PowerPoint storage", out);
    add_embedded(*inner, limits, "PowerPoint storage", out);
  }
}

OfficeScan scan(std::string_view data, const OfficeLimits& limits, std::string_view container) {
  OfficeScan out;
  if (!is_ole2(data)) return out;
  auto file = Ole2File::open(data, limits.ole2);
  if (!file) {
    out.hits.push_back(unreadable(container, file.error()));
    return out;
  }
  add_vba(*file, limits, container, out);
  add_embedded(*file, limits, container, out);

  for (const Ole2Entry& e : file->entries()) {
    if (e.type != Ole2Entry::Type::Stream || e.parent != 0) continue;
    if (e.path == "EncryptedPackage") {
      out.hits.push_back({"ATTACH_ENCRYPTED_OFFICE",
                          "encrypted OOXML document (EncryptedPackage): its content cannot be "
                          "checked"});
    } else if (e.path == "EncryptedSummary") {
      out.hits.push_back({"ATTACH_ENCRYPTED_OFFICE",
                          "encrypted PowerPoint presentation: its content cannot be checked"});
    } else if (e.path == "WordDocument") {
      auto s = file->read(e);
      if (!s) {
        out.hits.push_back(unreadable("WordDocument", s.error()));
      } else if (s->size() >= 12 && static_cast<unsigned char>((*s)[0]) == 0xEC &&
                 static_cast<unsigned char>((*s)[1]) == 0xA5 && ((*s)[11] & 0x01)) {
        out.hits.push_back({"ATTACH_ENCRYPTED_OFFICE",
                            "encrypted Word document (FIB fEncrypted): its macros cannot be "
                            "checked"});
      }
    } else if (e.path == "PowerPoint Document" && !file->find("EncryptedSummary")) {
      auto s = file->read(e);
      if (!s) {
        out.hits.push_back(unreadable(e.path, s.error()));
        continue;
      }
      scan_ppt(*s, limits, out);
    } else if (e.path == "Workbook" || e.path == "Book") {
      auto s = file->read(e);
      if (!s) {
        out.hits.push_back(unreadable(e.path, s.error()));
        continue;
      }
      auto biff = scan_biff(*s, limits.biff);
      out.hits.insert(out.hits.end(), biff.begin(), biff.end());
    }
  }
  return out;
}

}  // namespace

bool is_ole2(std::string_view data) {
  return data.size() >= 8 && std::memcmp(data.data(), kSignature, 8) == 0;
}

OfficeScan scan_ole2(std::string_view data, const OfficeLimits& limits) {
  return scan(data, limits, "OLE2");
}

OfficeScan scan_vba_project(std::string_view bin, const OfficeLimits& limits) {
  if (!is_ole2(bin))
    return {{{"ATTACH_OFFICE_MALFORMED", "vbaProject.bin is not a compound file"}}, {}, {}};
  return scan(bin, limits, "vbaProject.bin");
}

std::span<const core::SymbolInfo> office_symbols() {
  return kSymbols;
}

}  // namespace postern::attach
