// OOXML checks: active content in the members of an Office Open XML container
// (docx, docm, dotm, xlsx, xlsm, xlsb, pptx, pptm, ...), given as (name, bytes)
// pairs, e.g. the members attach::expand() read from a Kind::Ooxml zip.
//
// Contract: `check_ooxml(parts)` reports (per member, except the macro sheets and
// ActiveX controls: one hit per container with their count and the first):
//   ATTACH_MACRO            a VBA project (vbaProject.bin) and where it is; the
//                           VBA analyzer of lib/attach scores what it does
//   ATTACH_XLM_MACRO        Excel 4 macro sheets (xl/macrosheets/)
//   ATTACH_REMOTE_TEMPLATE  an external attachedTemplate, frame or subDocument
//                           relationship (remote template injection), with its target
//   ATTACH_OLE_LINK         an external oleObject relationship, with its target
//   ATTACH_DDE              a DDE/DDEAUTO field code in a Word part (w:instrText,
//                           also split across runs, and w:fldSimple w:instr), or a
//                           ddeLink in an Excel external link
//   ATTACH_OLE_EMBEDDED     an embedded OLE object or ActiveX control (the member)
//   ATTACH_OOXML_OBFUSCATED a numeric character reference in a relationship's
//                           Type or TargetMode or in a field code's keyword: no
//                           Office writer puts them there, evasion does
// Part names are compared as Office does: ASCII case-insensitively. The XML is
// read by a linear scan of its text (no XML parser): element and attribute names
// are matched by local name whatever their prefix, attribute values and field
// code text are entity-decoded before they are matched. At most
// `max_xml_bytes` of each member are read and at most `max_hits` hits returned
// (a cut is said in the last hit's detail). Pure function: thread-safe, never
// throws on hostile input, linear in the bytes read.
#pragma once

#include <cstddef>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "attach/archive.hpp"
#include "attach/hit.hpp"
#include "core/symbols.hpp"

namespace postern::attach {

struct OoxmlPart {
  std::string_view name;  // the member path inside the container, e.g. "word/document.xml"
  std::string_view data;
};

struct OoxmlLimits {
  size_t max_xml_bytes = size_t{16} << 20;  // of each XML member, read from its start
  size_t max_hits = 32;                     // per container
  size_t max_target = 120;                  // bytes of a relationship target in a detail
  size_t max_field_code = 4096;             // bytes of one field code kept for matching
};

std::vector<Hit> check_ooxml(std::span<const OoxmlPart> parts, const OoxmlLimits& limits = {});

// The same over the members of an expanded container (directories and links skipped).
std::vector<Hit> check_ooxml(std::span<const Member> members, const OoxmlLimits& limits = {});

// The targets of the container's external relationships (TargetMode="External":
// hyperlinks, and the templates and objects the checks report), entity-decoded,
// in member order, at most `max` (each cut at max_target * 16 bytes). Linear.
std::vector<std::string> ooxml_links(std::span<const Member> members, size_t max = 100,
                                     const OoxmlLimits& limits = {});

// The symbols of the OOXML checks.
std::span<const core::SymbolInfo> ooxml_symbols();

}  // namespace postern::attach
