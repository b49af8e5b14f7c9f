// VBA projects: MS-OVBA 2.4.1 decompression, 2.3.4.2 dir stream records, module
// sources, and the keyword checks. See vba.hpp for the contract.
#include "attach/vba.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <unordered_map>

#include "attach/le_bytes.hpp"

namespace postern::attach {
namespace {

using le::u16;
using le::u32;

std::string lower(std::string_view s) {
  return le::ascii_lower(s);
}

bool ends_with(std::string_view s, std::string_view suffix) {
  return s.size() > suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

// Reads the module records of a decompressed dir stream (MS-OVBA 2.3.4.2).
void read_dir(std::string_view dir, const VbaLimits& limits, VbaProject& project,
              std::vector<uint32_t>& offsets) {
  size_t pos = 0;
  VbaModule cur;
  uint32_t offset = 0;
  bool in_module = false;
  while (pos + 6 <= dir.size()) {
    uint16_t id = u16(dir, pos);
    uint32_t size = u32(dir, pos + 2);
    pos += 6;
    if (id == 0x0009) {  // PROJECTVERSION: Size is 4 but 6 bytes follow
      pos += 6;
      continue;
    }
    if (size > dir.size() - pos) {
      project.error = fmt::format("dir record 0x{:04X} runs past the stream", id);
      return;
    }
    std::string_view rec = dir.substr(pos, size);
    pos += size;
    switch (id) {
      case 0x0019:  // MODULENAME: a new module begins
        if (project.modules.size() >= limits.max_modules) {
          project.limited = true;
          project.error = fmt::format("more than {} modules", limits.max_modules);
          return;
        }
        cur = VbaModule{};
        cur.name = std::string(rec);
        offset = 0;
        in_module = true;
        break;
      case 0x0047:  // MODULENAMEUNICODE
        if (in_module) cur.name = utf16le_to_utf8(rec);
        break;
      case 0x001A:  // MODULESTREAMNAME
        if (in_module) cur.stream = std::string(rec);
        break;
      case 0x0032:  // MODULESTREAMNAME's Unicode form
        if (in_module && !rec.empty()) cur.stream = utf16le_to_utf8(rec);
        break;
      case 0x0031:  // MODULEOFFSET
        if (in_module && rec.size() >= 4) offset = u32(rec, 0);
        break;
      case 0x002B:  // module terminator
        if (in_module) {
          project.modules.push_back(std::move(cur));
          offsets.push_back(offset);
          in_module = false;
        }
        break;
      case 0x0010:  // dir terminator
        return;
      default:
        break;
    }
  }
  if (in_module) {  // a module without its terminator still counts
    project.modules.push_back(std::move(cur));
    offsets.push_back(offset);
  }
}

struct Keyword {
  std::string_view shown;
  enum Kind { Autoexec, Suspicious } kind;
};

// Procedure names Office runs by itself when a document opens or closes, and
// ActiveX events that fire without a user's action (Layout, Painted, Resize:
// the ones droppers use). Tokens are compared lower case.
const std::unordered_map<std::string_view, Keyword>& keywords() {
  static const std::unordered_map<std::string_view, Keyword> k = {
      {"autoopen", {"AutoOpen", Keyword::Autoexec}},
      {"auto_open", {"Auto_Open", Keyword::Autoexec}},
      {"autoexec", {"AutoExec", Keyword::Autoexec}},
      {"autoclose", {"AutoClose", Keyword::Autoexec}},
      {"auto_close", {"Auto_Close", Keyword::Autoexec}},
      {"autonew", {"AutoNew", Keyword::Autoexec}},
      {"autoexit", {"AutoExit", Keyword::Autoexec}},
      {"document_open", {"Document_Open", Keyword::Autoexec}},
      {"document_close", {"Document_Close", Keyword::Autoexec}},
      {"document_new", {"Document_New", Keyword::Autoexec}},
      {"document_beforeclose", {"Document_BeforeClose", Keyword::Autoexec}},
      {"documentopen", {"DocumentOpen", Keyword::Autoexec}},
      {"documentbeforeclose", {"DocumentBeforeClose", Keyword::Autoexec}},
      {"newdocument", {"NewDocument", Keyword::Autoexec}},
      {"workbook_open", {"Workbook_Open", Keyword::Autoexec}},
      {"workbook_activate", {"Workbook_Activate", Keyword::Autoexec}},
      {"workbook_close", {"Workbook_Close", Keyword::Autoexec}},
      {"workbook_beforeclose", {"Workbook_BeforeClose", Keyword::Autoexec}},
      {"workbook_deactivate", {"Workbook_Deactivate", Keyword::Autoexec}},
      {"shell", {"Shell", Keyword::Suspicious}},
      {"wscript", {"WScript.Shell", Keyword::Suspicious}},
      {"createobject", {"CreateObject", Keyword::Suspicious}},
      {"getobject", {"GetObject", Keyword::Suspicious}},
      {"urldownloadtofile", {"URLDownloadToFile", Keyword::Suspicious}},
      {"urldownloadtofilea", {"URLDownloadToFile", Keyword::Suspicious}},
      {"environ", {"Environ", Keyword::Suspicious}},
      {"callbyname", {"CallByName", Keyword::Suspicious}},
      {"kernel32", {"Lib \"kernel32\"", Keyword::Suspicious}},
      {"powershell", {"PowerShell", Keyword::Suspicious}},
      {"shellexecute", {"ShellExecute", Keyword::Suspicious}},
      {"shellexecutea", {"ShellExecute", Keyword::Suspicious}},
      {"winexec", {"WinExec", Keyword::Suspicious}},
      {"virtualalloc", {"VirtualAlloc", Keyword::Suspicious}},
      {"virtualallocex", {"VirtualAlloc", Keyword::Suspicious}},
      {"rtlmovememory", {"RtlMoveMemory", Keyword::Suspicious}},
      {"createthread", {"CreateThread", Keyword::Suspicious}},
      {"createremotethread", {"CreateThread", Keyword::Suspicious}},
      {"xmlhttp", {"XMLHTTP", Keyword::Suspicious}},
      {"serverxmlhttp", {"XMLHTTP", Keyword::Suspicious}},
      {"winhttprequest", {"WinHttpRequest", Keyword::Suspicious}},
      {"adodb", {"ADODB.Stream", Keyword::Suspicious}},
      {"savetofile", {"SaveToFile", Keyword::Suspicious}},
      {"executeexcel4macro", {"ExecuteExcel4Macro", Keyword::Suspicious}},
      {"mshta", {"mshta", Keyword::Suspicious}},
      {"certutil", {"certutil", Keyword::Suspicious}},
      {"bitsadmin", {"bitsadmin", Keyword::Suspicious}},
      {"regsvr32", {"regsvr32", Keyword::Suspicious}},
      {"rundll32", {"rundll32", Keyword::Suspicious}},
      {"strreverse", {"StrReverse", Keyword::Suspicious}},
      {"macscript", {"MacScript", Keyword::Suspicious}},
  };
  return k;
}

// ActiveX events that run with no click (droppers name InkPicture1_Painted,
// Frame1_Layout); and events that need the user to act.
constexpr std::array kSilentEvents{std::string_view("_layout"), std::string_view("_painted"),
                                   std::string_view("_resize"), std::string_view("_gotfocus")};
constexpr std::array kUserEvents{std::string_view("_click"),    std::string_view("_dblclick"),
                                 std::string_view("_change"),   std::string_view("_mousemove"),
                                 std::string_view("_keypress"), std::string_view("_lostfocus")};

// A Chr()/ChrW() call count at which the source is building strings character by character.
constexpr size_t kChrChain = 20;

// Adds a name once; names are cut at 48 bytes so that a detail stays short.
void add_unique(std::vector<std::string>& v, std::string_view s) {
  s = s.substr(0, 48);
  if (std::find(v.begin(), v.end(), s) == v.end()) v.emplace_back(s);
}

std::string join3(const std::vector<std::string>& v) {
  std::string out;
  for (size_t i = 0; i < v.size() && i < 3; ++i) out += (i ? ", " : "") + v[i];
  if (v.size() > 3) out += fmt::format(" (+{} more)", v.size() - 3);
  return out;
}

}  // namespace

expected<std::string, std::string> ovba_decompress(std::string_view in, size_t max_out) {
  if (in.empty() || in[0] != 1) return unexpected("no CompressedContainer signature");
  std::string out;
  size_t pos = 1;
  while (pos < in.size()) {
    if (pos + 2 > in.size()) return unexpected("truncated chunk header");
    uint16_t header = u16(in, pos);
    if ((header >> 12 & 7) != 3) return unexpected("bad chunk signature");
    size_t chunk_end = std::min(pos + (header & 0x0FFF) + 3, in.size());
    pos += 2;
    const size_t start = out.size();
    if (!(header & 0x8000)) {  // a raw chunk: 4096 bytes as they are
      if (pos + 4096 > in.size()) return unexpected("truncated raw chunk");
      if (out.size() + 4096 > max_out) return unexpected("decompressed size over the limit");
      out.append(in.substr(pos, 4096));
      pos += 4096;
      continue;
    }
    while (pos < chunk_end) {
      unsigned flags = static_cast<unsigned char>(in[pos++]);
      for (int bit = 0; bit < 8 && pos < chunk_end; ++bit) {
        if (!(flags >> bit & 1)) {
          out += in[pos++];
        } else {
          if (pos + 2 > chunk_end) return unexpected("truncated copy token");
          uint16_t token = u16(in, pos);
          pos += 2;
          size_t diff = out.size() - start;
          unsigned bits = 4;
          while ((size_t{1} << bits) < diff) ++bits;
          size_t offset = (token >> (16 - bits)) + 1;
          size_t length = (token & (0xFFFFu >> bits)) + 3;
          if (offset > diff) return unexpected("copy token before the chunk");
          if (diff + length > 4096) return unexpected("chunk longer than 4096 bytes");
          if (out.size() + length > max_out) return unexpected("decompressed size over the limit");
          for (size_t i = 0; i < length; ++i) out += out[out.size() - offset];
        }
        if (out.size() - start > 4096) return unexpected("chunk longer than 4096 bytes");
        if (out.size() > max_out) return unexpected("decompressed size over the limit");
      }
    }
    pos = chunk_end;
  }
  return out;
}

std::vector<VbaProject> extract_vba(Ole2File& file, const VbaLimits& limits) {
  std::vector<VbaProject> projects;
  size_t total = 0;
  const auto& entries = file.entries();
  for (const Ole2Entry& e : entries) {
    if (e.type != Ole2Entry::Type::Stream || lower(e.name) != "dir") continue;
    const Ole2Entry& parent = entries[e.parent];
    if (parent.type != Ole2Entry::Type::Storage || lower(parent.name) != "vba") continue;
    VbaProject p;
    p.storage = parent.path;
    if (projects.size() >= limits.max_projects) {
      p.error = fmt::format("more than {} VBA projects", limits.max_projects);
      p.limited = true;
      projects.push_back(std::move(p));
      break;
    }
    auto raw = file.read(e);
    if (!raw) {
      p.error = fmt::format("dir: {}", to_string(raw.error()));
      p.limited = is_limit(raw.error());
      projects.push_back(std::move(p));
      continue;
    }
    // dir streams count against the total too: many projects cannot multiply the work.
    auto dir = ovba_decompress(
        *raw, std::min(limits.max_module_source,
                       limits.max_source_total - std::min(limits.max_source_total, total)));
    if (!dir) {
      p.error = fmt::format("dir: {}", dir.error());
      p.limited = dir.error().find("limit") != std::string::npos;
      projects.push_back(std::move(p));
      continue;
    }
    total += dir->size();
    std::vector<uint32_t> offsets;
    read_dir(*dir, limits, p, offsets);
    for (size_t i = 0; i < p.modules.size(); ++i) {
      VbaModule& m = p.modules[i];
      auto stream = file.read(p.storage + "/" + m.stream);
      if (!stream) {
        m.error = std::string(to_string(stream.error()));
        p.limited = p.limited || is_limit(stream.error());
        continue;
      }
      if (offsets[i] > stream->size()) {
        m.error = "source offset past the stream";
        continue;
      }
      size_t room = limits.max_source_total - std::min(limits.max_source_total, total);
      auto src = ovba_decompress(std::string_view(*stream).substr(offsets[i]),
                                 std::min(limits.max_module_source, room));
      if (!src) {
        m.error = src.error();
        if (src.error().find("limit") != std::string::npos) p.limited = true;
        continue;
      }
      total += src->size();
      m.source = std::move(*src);
    }
    projects.push_back(std::move(p));
  }
  return projects;
}

bool has_code(std::string_view s) {
  size_t pos = 0;
  while (pos < s.size()) {
    size_t end = s.find_first_of("\r\n", pos);
    if (end == std::string_view::npos) end = s.size();
    std::string_view line = s.substr(pos, end - pos);
    size_t b = line.find_first_not_of(" \t");
    // "Attribute VB_Name = ..." and "Option Explicit" are in every module Office writes.
    if (b != std::string_view::npos) {
      std::string start = lower(line.substr(b, 10));
      if (start != "attribute " && start.substr(0, 7) != "option ") return true;
    }
    pos = end + 1;
  }
  return false;
}

std::vector<Hit> check_vba(const std::vector<VbaProject>& projects, std::string_view container) {
  std::vector<Hit> hits;
  for (const VbaProject& p : projects) {
    size_t with_code = 0, unreadable = 0;
    std::vector<std::string> autoexec, events, suspicious;
    size_t chr = 0;
    for (const VbaModule& m : p.modules) {
      if (!m.error.empty()) {
        ++unreadable;
        continue;
      }
      if (!has_code(m.source)) continue;
      ++with_code;
      // One pass over identifier tokens ([A-Za-z0-9_]+), compared lower case.
      const std::string src = lower(m.source);
      size_t i = 0;
      while (i < src.size()) {
        auto word = [](char c) {
          return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
        };
        if (!word(src[i])) {
          ++i;
          continue;
        }
        size_t j = i;
        while (j < src.size() && word(src[j])) ++j;
        std::string_view tok = std::string_view(src).substr(i, j - i);
        std::string_view shown = std::string_view(m.source).substr(i, j - i);
        i = j;
        if (tok == "chr" || tok == "chrw" || tok == "chrb") {
          ++chr;
          continue;
        }
        if (tok == "wscript" && src.compare(i, 6, ".shell") == 0) i += 6;  // one keyword
        if (auto it = keywords().find(tok); it != keywords().end()) {
          add_unique(it->second.kind == Keyword::Autoexec ? autoexec : suspicious,
                     it->second.shown);
          continue;
        }
        if (tok.find('_') == std::string_view::npos) continue;
        for (std::string_view ev : kSilentEvents)
          if (ends_with(tok, ev)) add_unique(autoexec, shown);
        for (std::string_view ev : kUserEvents)
          if (ends_with(tok, ev)) add_unique(events, shown);
      }
    }
    if (chr >= kChrChain) add_unique(suspicious, fmt::format("Chr() chain ({} calls)", chr));
    std::string where =
        p.storage.empty() ? std::string(container) : fmt::format("{} {}", container, p.storage);
    // A project whose dir or modules cannot be read still claims macros: it counts.
    if (with_code > 0 || unreadable > 0 || !p.error.empty())
      hits.push_back({"ATTACH_MACRO",
                      fmt::format("VBA project in {}: {} module(s) with code of {}{}", where,
                                  with_code, p.modules.size(),
                                  unreadable ? fmt::format(", {} unreadable", unreadable) : "")});
    if (!autoexec.empty())
      hits.push_back({"ATTACH_MACRO_AUTOEXEC", fmt::format("{}: {}", where, join3(autoexec))});
    if (!events.empty())
      hits.push_back({"ATTACH_MACRO_EVENT", fmt::format("{}: {}", where, join3(events))});
    if (!suspicious.empty())
      hits.push_back({"ATTACH_MACRO_SUSPICIOUS", fmt::format("{}: {}", where, join3(suspicious))});
    if (!p.error.empty() || unreadable > 0)
      hits.push_back({p.limited ? "ATTACH_OFFICE_LIMIT" : "ATTACH_OFFICE_MALFORMED",
                      fmt::format("VBA project in {}: {}", where,
                                  p.error.empty() ? "a module source cannot be read" : p.error)});
  }
  return hits;
}

}  // namespace postern::attach
