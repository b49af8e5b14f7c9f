// RTF embedded objects and their OLE1 headers ([MS-OLEDS] 2.2.4 ObjectHeader,
// 2.2.5 EmbeddedObject). See rtf.hpp for the contract.
#include "attach/rtf.hpp"

#include <fmt/format.h>

#include <cstdint>
#include <cstring>

#include "attach/le_bytes.hpp"
#include "attach/ole2.hpp"
#include "attach/ole_package.hpp"

namespace postern::attach {
namespace {

constexpr size_t kMaxClassName = 128;

struct Frame {
  int object = -1;  // index in objects (or -2: an object past max_objects)
  bool objdata = false;
  bool objclass = false;
};

bool is_letter(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
bool is_digit(char c) {
  return c >= '0' && c <= '9';
}
int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

using le::istarts;
using le::u32;

// A length-prefixed ANSI string (the length counts the NUL); false when it runs past.
bool read_lp_string(std::string_view d, size_t& pos, std::string& out) {
  if (pos + 4 > d.size()) return false;
  uint32_t len = u32(d, pos);
  pos += 4;
  if (len > d.size() - pos) return false;
  std::string_view s = d.substr(pos, len);
  pos += len;
  if (size_t nul = s.find('\0'); nul != std::string_view::npos) s = s.substr(0, nul);
  out = std::string(s.substr(0, kMaxClassName));
  return true;
}

// Equation Editor 3.0's CLSID {0002CE02-0000-0000-C000-000000000046} as stored.
constexpr unsigned char kEquationClsid[16] = {0x02, 0xCE, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00,
                                              0xC0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x46};

// Reads the OLE1 ObjectHeader and native data of a decoded object.
void read_ole1(RtfObject& o) {
  std::string_view d = o.data;
  size_t pos = 8;  // OLEVersion, FormatID
  if (d.size() < pos || !read_lp_string(d, pos, o.ole_class)) return;
  std::string topic, item;
  if (!read_lp_string(d, pos, topic) || !read_lp_string(d, pos, item)) return;
  if (u32(d, 4) != 2 || pos + 4 > d.size()) return;  // 2: embedded (1: linked, no native data)
  uint32_t native_size = u32(d, pos);
  pos += 4;
  std::string_view native = d.substr(pos, std::min<size_t>(native_size, d.size() - pos));
  o.native = std::string(native);
  if (o.ole_class == "Package") {
    if (auto pkg = parse_package(native)) {
      o.package_name = pkg->name;
      o.native = std::string(pkg->data);
    }
  }
}

void classify(RtfObject& o) {
  o.equation = istarts(o.objclass, "equation") || istarts(o.ole_class, "equation");
  if (!o.equation && o.native.size() >= 512) {
    auto f = Ole2File::open(o.native, {});
    if (f && !f->entries().empty()) {
      o.equation = std::memcmp(f->entries()[0].clsid, kEquationClsid, 16) == 0 ||
                   f->find("Equation Native") != nullptr;
    }
  }
}

std::string describe(const RtfObject& o) {
  std::string cls = !o.ole_class.empty()  ? o.ole_class
                    : !o.objclass.empty() ? o.objclass
                                          : std::string("unknown class");
  cls = cls.substr(0, 48);
  for (char& c : cls)
    if (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) >= 0x7F) c = '?';
  if (!o.package_name.empty()) {
    std::string name = o.package_name.substr(0, 48);
    for (char& c : name)
      if (static_cast<unsigned char>(c) < 0x20) c = '?';
    return fmt::format("{} '{}'", cls, name);
  }
  return cls;
}

}  // namespace

bool is_rtf(std::string_view data) {
  return data.starts_with("{\\rt");
}

RtfScan scan_rtf(std::string_view d, const RtfLimits& limits) {
  RtfScan out;
  std::vector<Frame> stack{Frame{}};
  size_t depth = 0;  // true nesting; the stack holds at most max_depth + 1 frames
  bool depth_hit = false, bytes_hit = false;
  int nibble = -1;  // a pending high hex digit of the object being decoded

  auto top = [&]() -> Frame& { return stack.back(); };
  auto new_object = [&]() {
    ++out.object_count;
    nibble = -1;
    if (out.objects.size() >= limits.max_objects) return -2;
    out.objects.emplace_back();
    return static_cast<int>(out.objects.size() - 1);
  };
  auto append = [&](char byte) {
    int obj = top().object;
    if (obj < 0) return;
    RtfObject& o = out.objects[obj];
    if (o.data.size() >= limits.max_object_bytes) {
      o.truncated = bytes_hit = true;
      return;
    }
    o.data += byte;
  };

  size_t i = 0;
  while (i < d.size()) {
    char c = d[i];
    if (c == '{') {
      ++depth;
      if (depth <= limits.max_depth)
        stack.push_back(top());
      else
        depth_hit = true;
      ++i;
    } else if (c == '}') {
      if (depth > 0) {  // an unbalanced '}' is ignored, as Word does
        if (stack.size() == depth + 1) stack.pop_back();
        --depth;
      }
      ++i;
    } else if (c == '\\') {
      ++i;
      if (i >= d.size()) break;
      if (d[i] == '\'') {  // \'hh: a character; part of a class name, never object data
        Frame& f = top();
        if (f.objclass && f.object >= 0 && i + 2 < d.size() && hex_value(d[i + 1]) >= 0 &&
            hex_value(d[i + 2]) >= 0) {
          std::string& cls = out.objects[f.object].objclass;
          if (cls.size() < kMaxClassName)
            cls += static_cast<char>(hex_value(d[i + 1]) << 4 | hex_value(d[i + 2]));
        }
        i = std::min(d.size(), i + 3);
        continue;
      }
      if (!is_letter(d[i])) {  // a control symbol: \*, \\, \{, \}, ...
        ++i;
        continue;
      }
      size_t w = i;
      while (i < d.size() && is_letter(d[i])) ++i;
      std::string_view word = d.substr(w, i - w);
      bool neg = false;
      if (i < d.size() && d[i] == '-') {
        neg = true;
        ++i;
      }
      uint64_t param = 0;
      bool has_param = false;
      while (i < d.size() && is_digit(d[i])) {
        if (param < (uint64_t{1} << 40)) param = param * 10 + static_cast<uint64_t>(d[i] - '0');
        has_param = true;
        ++i;
      }
      if (i < d.size() && d[i] == ' ') ++i;
      if (word == "bin") {
        size_t n =
            has_param && !neg ? static_cast<size_t>(std::min<uint64_t>(param, d.size() - i)) : 0;
        if (top().objdata) {
          nibble = -1;
          for (size_t k = 0; k < n; ++k) append(d[i + k]);
        }
        i += n;
      } else if (word == "object") {
        top().object = new_object();
        top().objdata = top().objclass = false;
      } else if (word == "objupdate") {
        if (top().object == -1) top().object = new_object();
        if (top().object >= 0) out.objects[top().object].autoupdate = true;
      } else if (word == "objclass") {
        top().objclass = true;
      } else if (word == "objdata") {
        // An \objdata outside \object, or a second one in it, is an object of its own.
        if (top().object == -1 || (top().object >= 0 && !out.objects[top().object].data.empty()))
          top().object = new_object();
        top().objdata = true;
        nibble = -1;
      }
    } else {
      Frame& f = top();
      if (f.objdata) {
        int v = hex_value(c);
        if (v >= 0) {
          if (nibble < 0) {
            nibble = v;
          } else {
            append(static_cast<char>(nibble << 4 | v));
            nibble = -1;
          }
        }
      } else if (f.objclass && f.object >= 0) {
        std::string& cls = out.objects[f.object].objclass;
        if (cls.size() < kMaxClassName && c != '\r' && c != '\n' && c != ';') cls += c;
      }
      ++i;
    }
  }

  std::string classes;
  size_t shown = 0;
  for (RtfObject& o : out.objects) {
    while (!o.objclass.empty() && o.objclass.front() == ' ') o.objclass.erase(0, 1);
    while (!o.objclass.empty() && o.objclass.back() == ' ') o.objclass.pop_back();
    read_ole1(o);
    classify(o);
    if (shown < 3) classes += (shown++ ? ", " : "") + describe(o);
    if (o.autoupdate)
      out.hits.push_back(
          {"ATTACH_RTF_OBJECT_AUTOUPDATE", fmt::format("\\objupdate on object {}", describe(o))});
    if (o.equation)
      out.hits.push_back(
          {"ATTACH_RTF_EQUATION", fmt::format("Equation Editor object ({})", describe(o))});
  }
  if (out.object_count > 0)
    out.hits.insert(out.hits.begin(), {"ATTACH_RTF_OBJECT",
                                       fmt::format("{} embedded object(s): {}{}", out.object_count,
                                                   classes.empty() ? "not decoded" : classes,
                                                   out.object_count > shown ? ", ..." : "")});
  if (depth_hit)
    out.hits.push_back(
        {"ATTACH_OFFICE_LIMIT", fmt::format("RTF groups nested deeper than {}", limits.max_depth)});
  if (bytes_hit || out.object_count > out.objects.size())
    out.hits.push_back({"ATTACH_OFFICE_LIMIT",
                        fmt::format("RTF objects over the limits ({} objects, {} bytes each)",
                                    limits.max_objects, limits.max_object_bytes)});
  return out;
}

}  // namespace postern::attach
