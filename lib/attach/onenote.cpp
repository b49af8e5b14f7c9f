// OneNote embedded files ([MS-ONESTORE] 2.6.13 FileDataStoreObject). See
// onenote.hpp for the contract.
#include "attach/onenote.hpp"

#include <fmt/format.h>

#include <array>
#include <cstring>
#include <string>

#include "attach/le_bytes.hpp"

namespace postern::attach {
namespace {

// The GUIDs as stored (the first three fields little-endian).
constexpr std::string_view kFileSignature{
    "\xE4\x52\x5C\x7B\x8C\xD8\xA7\x4D\xAE\xB1\x53\x78\xD0\x29\x96\xD3", 16};
constexpr std::string_view kFileDataStore{
    "\xE7\x16\xE3\xBD\x65\x26\x11\x45\xA4\xC4\x8D\x4D\x0B\x7A\x9E\xAC", 16};
constexpr size_t kHeader = 16 + 8 + 4 + 8;  // guidHeader, cbLength, unused, reserved

using le::u64;

bool starts(std::string_view d, std::string_view magic) {
  return d.starts_with(magic);
}

}  // namespace

bool is_onenote(std::string_view data) {
  return data.starts_with(kFileSignature);
}

std::string_view sniff_payload(std::string_view d, bool* executable) {
  auto result = [&](std::string_view kind, bool exe) {
    if (executable) *executable = exe;
    return kind;
  };
  if (starts(d, "MZ")) return result("PE executable", true);
  if (starts(d, std::string_view("\x4C\x00\x00\x00\x01\x14\x02\x00", 8)))
    return result("Windows shortcut (LNK)", true);
  if (starts(d, "ITSF")) return result("CHM help", true);
  if (starts(d,
             "\x7F"
             "ELF"))
    return result("ELF executable", true);
  if (starts(d, "\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1")) return result("OLE2 document", false);
  if (starts(d, "PK\x03\x04")) return result("ZIP archive", false);
  if (starts(d, "%PDF")) return result("PDF", false);
  if (starts(d, "\x89PNG") || starts(d, "\xFF\xD8\xFF") || starts(d, "GIF8") || starts(d, "BM") ||
      starts(d, std::string_view("\x01\x00\x00\x00", 4)) || starts(d, "\xD7\xCD\xC6\x9A") ||
      starts(d, "II*") || starts(d, "MM\x00*"))
    return result("image", false);
  // Text: the first 1 KiB, lower case, after a UTF-8 BOM and leading blanks.
  std::string head;
  std::string_view t = d.substr(0, 1024);
  if (t.starts_with("\xEF\xBB\xBF")) t.remove_prefix(3);
  for (char c : t) {
    if (c == '\0') return result("data", false);
    head += (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c;
  }
  size_t b = head.find_first_not_of(" \t\r\n");
  std::string_view s =
      b == std::string::npos ? std::string_view() : std::string_view(head).substr(b);
  auto has = [&](std::string_view n) { return s.find(n) != std::string_view::npos; };
  if (has("<hta:") || has("<script")) return result("HTA/HTML with script", true);
  if (has("<job") || has("<package")) return result("Windows Script File", true);
  if (s.starts_with("@echo") || has("cmd /c") || has("cmd.exe"))
    return result("batch script", true);
  if (has("powershell") || has("invoke-expression") || has("iex("))
    return result("PowerShell script", true);
  if (has("wscript") || has("createobject") || has("activexobject"))
    return result("VBScript/JScript", true);
  return result("data", false);
}

OneNoteScan scan_onenote(std::string_view d, const OneNoteLimits& limits) {
  OneNoteScan out;
  if (!is_onenote(d)) return out;
  std::vector<std::string> kinds;
  size_t executables = 0;
  std::string exe_kinds;
  bool truncated = false;
  size_t pos = kFileSignature.size();
  while ((pos = d.find(kFileDataStore, pos)) != std::string_view::npos) {
    ++out.count;
    if (pos + kHeader > d.size()) {
      truncated = true;
      break;
    }
    uint64_t len = u64(d, pos + 16);
    size_t at = pos + kHeader;
    size_t room = d.size() - at;
    OneNotePayload p;
    p.offset = at;
    p.truncated = len > room;
    size_t take = static_cast<size_t>(std::min<uint64_t>(len, room));
    p.data = d.substr(at, std::min(take, limits.max_payload_bytes));
    truncated = truncated || p.truncated;
    if (out.payloads.size() < limits.max_payloads) {  // past the limit: counted only
      p.kind = sniff_payload(p.data, &p.executable);
      if (p.executable && ++executables <= 3)
        exe_kinds += fmt::format("{}{} at offset {}", executables > 1 ? ", " : "", p.kind, at);
      out.payloads.push_back(p);
    }
    // The next block starts after this one's bytes; a block cut by the file's end
    // may hide others in its claimed length, so the search goes on right after its header.
    pos = p.truncated ? at : at + take;
  }
  if (out.count == 0) return out;
  std::string summary;
  size_t shown = 0;
  for (const OneNotePayload& p : out.payloads) {
    if (summary.find(p.kind) != std::string::npos) continue;
    if (shown++ == 4) break;
    summary += fmt::format("{}{}", summary.empty() ? "" : ", ", p.kind);
  }
  out.hits.push_back(
      {"ATTACH_ONENOTE_EMBEDDED", fmt::format("{} embedded file(s): {}", out.count, summary)});
  if (executables > 0)
    out.hits.push_back({"ATTACH_ONENOTE_EMBEDDED_EXECUTABLE",
                        fmt::format("{}{}", exe_kinds, executables > 3 ? ", ..." : "")});
  if (truncated)
    out.hits.push_back(
        {"ATTACH_OFFICE_MALFORMED", "OneNote: an embedded file runs past the end of the file"});
  if (out.count > out.payloads.size())
    out.hits.push_back(
        {"ATTACH_OFFICE_LIMIT",
         fmt::format("OneNote: {} embedded files, {} passed on", out.count, out.payloads.size())});
  return out;
}

}  // namespace postern::attach
