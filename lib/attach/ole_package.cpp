// OLE Packager native data. See ole_package.hpp for the contract.
#include "attach/ole_package.hpp"

#include <algorithm>
#include <cstdint>

#include "attach/le_bytes.hpp"

namespace postern::attach {
namespace {

constexpr size_t kMaxName = 260;

// A NUL-terminated string at pos; false when there is no NUL.
bool read_cstring(std::string_view d, size_t& pos, std::string& out) {
  size_t nul = d.find('\0', pos);
  if (nul == std::string_view::npos) return false;
  out = std::string(d.substr(pos, std::min(nul - pos, kMaxName)));
  pos = nul + 1;
  return true;
}

}  // namespace

std::optional<PackagedFile> parse_package(std::string_view native) {
  // Signature (2), label, source path, 4 bytes, temp path (u32 length + bytes), size, bytes.
  size_t p = 2;
  PackagedFile out;
  std::string source;
  if (native.size() < p || !read_cstring(native, p, out.name) || !read_cstring(native, p, source) ||
      p + 8 > native.size())
    return std::nullopt;
  p += 4;
  uint32_t temp_len = le::u32(native, p);
  p += 4;
  if (temp_len > native.size() - p || native.size() - p - temp_len < 4) return std::nullopt;
  p += temp_len;
  uint32_t size = le::u32(native, p);
  p += 4;
  out.truncated = size > native.size() - p;
  out.data = native.substr(p, std::min<size_t>(size, native.size() - p));
  return out;
}

}  // namespace postern::attach
