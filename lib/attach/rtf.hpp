// RTF embedded objects: \object groups, their \objdata, \objclass, \objupdate.
//
// Contract: `is_rtf(data)` is what Word checks ("{\rt" at the start); the attach
// stage calls `scan_rtf(data, limits)` for such files (whatever their name). It reads the document
// once, byte by byte, keeping a group stack (groups deeper than max_depth share the state of the
// deepest kept one). Control words are read as Word reads them (letters, an
// optional signed number, one optional space); "\binN" skips N raw bytes, which
// inside \objdata are object bytes. The hex of an \objdata group is collected
// from the group and every group nested in it, ignoring whitespace, control
// words and other bytes (the obfuscations RTF droppers use). Each \objdata, with
// or without an enclosing \object, is an object; its OLE1 header
// (ObjectHeader: version, format, class name, native data) is read, and for a
// "Package" object the embedded file's name and bytes. The class is taken from
// \objclass, from the OLE1 class name and, when the native data is a compound
// file, from its root CLSID: an object counts as Equation Editor if any one of
// them says so (the strictest reading wins). Hits: ATTACH_RTF_OBJECT (count and
// classes), ATTACH_RTF_OBJECT_AUTOUPDATE, ATTACH_RTF_EQUATION, and
// ATTACH_OFFICE_LIMIT when a limit cut the reading. Pure function, linear in
// the input, memory bounded by max_objects * max_object_bytes, never throws.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "attach/hit.hpp"

namespace postern::attach {

struct RtfLimits {
  size_t max_depth = 1'024;             // group nesting kept on the stack
  size_t max_objects = 64;              // objects decoded; more are counted only
  size_t max_object_bytes = 32u << 20;  // decoded bytes of one object
};

struct RtfObject {
  std::string objclass;      // from \objclass ("" if none)
  std::string ole_class;     // from the OLE1 header of \objdata ("" if unreadable)
  bool autoupdate = false;   // \objupdate
  bool equation = false;     // Equation Editor by any of the three readings
  bool truncated = false;    // \objdata larger than max_object_bytes
  std::string data;          // the decoded \objdata bytes
  std::string native;        // the OLE1 native data (for a Package: the embedded file)
  std::string package_name;  // a Package object's file name
};

struct RtfScan {
  std::vector<Hit> hits;
  std::vector<RtfObject> objects;
  size_t object_count = 0;  // all \objdata groups, also those past max_objects
};

bool is_rtf(std::string_view data);
RtfScan scan_rtf(std::string_view data, const RtfLimits& limits = {});

}  // namespace postern::attach
