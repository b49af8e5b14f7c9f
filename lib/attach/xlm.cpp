// Excel 4 macros in BIFF5/BIFF8 record streams ([MS-XLS] 2.4: BOF, BoundSheet8,
// Lbl, FilePass). See xlm.hpp for the contract.
#include "attach/xlm.hpp"

#include <fmt/format.h>

#include <cstdint>
#include <string>

#include "attach/le_bytes.hpp"

namespace postern::attach {
namespace {

using le::istarts;
using le::u16;

constexpr uint16_t kBof = 0x0809, kEof = 0x000A, kBoundSheet = 0x0085, kName = 0x0018,
                   kFilePass = 0x002F;

// A short string stored as bytes (BIFF5, or BIFF8 with fHighByte 0) or UTF-16LE.
std::string short_string(std::string_view d, size_t at, size_t cch, bool biff8) {
  bool wide = false;
  if (biff8) {
    if (at >= d.size()) return {};
    wide = d[at] & 1;
    ++at;
  }
  if (at >= d.size()) return {};
  std::string out;
  for (size_t i = 0; i < cch && i < 48; ++i) {  // shown in details: 48 characters at most
    size_t p = at + (wide ? 2 * i : i);
    if (p + (wide ? 1 : 0) >= d.size()) break;
    unsigned c = static_cast<unsigned char>(d[p]);
    if (wide && d[p + 1] != 0) c = '?';  // names are shown, not matched, beyond ASCII
    out += c >= 0x20 && c < 0x7F ? static_cast<char>(c) : '?';
  }
  return out;
}

}  // namespace

std::vector<Hit> scan_biff(std::string_view d, const BiffLimits& limits) {
  std::vector<Hit> hits;
  bool biff8 = true, in_globals = false, globals_done = false;
  std::vector<std::string> sheets, hidden, autoexec;
  size_t macro_bofs = 0, records = 0;
  size_t pos = 0;
  while (pos + 4 <= d.size()) {
    if (++records > limits.max_records) {
      hits.push_back({"ATTACH_OFFICE_LIMIT",
                      fmt::format("workbook: more than {} records", limits.max_records)});
      break;
    }
    uint16_t type = u16(d, pos), len = u16(d, pos + 2);
    if (pos + 4 + len > d.size()) {
      // Zero padding after the last record is common; anything else is broken.
      if (type != 0 || len != 0)
        hits.push_back({"ATTACH_OFFICE_MALFORMED",
                        fmt::format("workbook: record 0x{:04X} runs past the stream", type)});
      break;
    }
    std::string_view r = d.substr(pos + 4, len);
    pos += 4 + static_cast<size_t>(len);
    if (type == kBof && r.size() >= 4) {
      uint16_t vers = u16(r, 0), dt = u16(r, 2);
      if (!globals_done && dt == 0x0005) {
        in_globals = true;
        biff8 = vers >= 0x0600;
      }
      if (dt == 0x0040) ++macro_bofs;
    } else if (type == kEof) {
      if (in_globals) globals_done = true;
      in_globals = false;
    } else if (type == kFilePass && in_globals) {
      hits.push_back({"ATTACH_ENCRYPTED_OFFICE",
                      "encrypted Excel workbook (FILEPASS): its macros cannot be checked"});
      break;
    } else if (type == kBoundSheet && in_globals && r.size() >= 7) {
      unsigned state = static_cast<unsigned char>(r[4]) & 3;
      unsigned dt = static_cast<unsigned char>(r[5]);
      if (dt != 1) continue;
      std::string name = short_string(r, 7, static_cast<unsigned char>(r[6]), biff8);
      sheets.push_back(name);
      if (state == 1) hidden.push_back(fmt::format("'{}' hidden", name));
      if (state == 2) hidden.push_back(fmt::format("'{}' very hidden", name));
    } else if (type == kName && in_globals && r.size() >= 15) {
      uint16_t flags = u16(r, 0);
      size_t cch = static_cast<unsigned char>(r[3]);
      size_t at = 14;
      if (flags & 0x0020) {  // built-in name: one character, its code
        size_t p = biff8 ? at + 1 : at;
        if (p < r.size()) {
          unsigned code = static_cast<unsigned char>(r[p]);
          if (code == 1) autoexec.push_back("Auto_Open");
          if (code == 2) autoexec.push_back("Auto_Close");
        }
      } else {
        std::string name = short_string(r, at, cch, biff8);
        if (istarts(name, "auto_open") || istarts(name, "auto_close")) autoexec.push_back(name);
      }
    }
  }
  if (!sheets.empty() || macro_bofs > 0) {
    std::string names;
    for (size_t i = 0; i < sheets.size() && i < 3; ++i)
      names += fmt::format("{}'{}'", i ? ", " : "", sheets[i]);
    hits.push_back({"ATTACH_XLM_MACRO",
                    fmt::format("Excel 4 macro sheet(s): {}", names.empty() ? "unnamed" : names)});
  }
  if (!hidden.empty()) {
    std::string s;
    for (size_t i = 0; i < hidden.size() && i < 3; ++i) s += (i ? ", " : "") + hidden[i];
    hits.push_back({"ATTACH_XLM_HIDDEN", fmt::format("macro sheet {}", s)});
  }
  if (!autoexec.empty())
    hits.push_back({"ATTACH_XLM_AUTOEXEC",
                    fmt::format("defined name {} runs a macro by itself", autoexec.front())});
  return hits;
}

}  // namespace postern::attach
