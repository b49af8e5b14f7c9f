// Ole2File: the compound file reader (MS-CFB 2.2 header, 2.3 FAT, 2.4 mini FAT,
// 2.5 DIFAT, 2.6 directory). See ole2.hpp for the contract.
#include "attach/ole2.hpp"

#include <cstring>
#include <limits>

#include "attach/le_bytes.hpp"

namespace postern::attach {
namespace {

using le::u16;
using le::u32;

constexpr uint32_t kEndOfChain = 0xFFFFFFFE;
constexpr uint32_t kFree = 0xFFFFFFFF;
constexpr uint32_t kNoStream = 0xFFFFFFFF;
constexpr uint32_t kMiniCutoff = 4096;
constexpr uint32_t kMiniSector = 64;
constexpr size_t kDirEntry = 128;
constexpr unsigned char kSignature[8] = {0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1};

void put_utf8(std::string& out, uint32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | cp >> 6);
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | cp >> 12);
    out += static_cast<char>(0x80 | (cp >> 6 & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | cp >> 18);
    out += static_cast<char>(0x80 | (cp >> 12 & 0x3F));
    out += static_cast<char>(0x80 | (cp >> 6 & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

}  // namespace

std::string_view to_string(Ole2Error e) {
  switch (e) {
    case Ole2Error::NotOle2:
      return "not a compound file";
    case Ole2Error::BadHeader:
      return "bad compound file header or directory";
    case Ole2Error::BadSector:
      return "sector number out of range in a chain";
    case Ole2Error::Cycle:
      return "sector chain cycle";
    case Ole2Error::Truncated:
      return "stream or file truncated";
    case Ole2Error::TooManyStreams:
      return "too many directory entries";
    case Ole2Error::TooDeep:
      return "storages nested too deep";
    case Ole2Error::StreamTooLarge:
      return "stream larger than the limit";
    case Ole2Error::TotalTooLarge:
      return "streams together larger than the limit";
    case Ole2Error::NotAStream:
      return "no such stream";
  }
  return "unknown";
}

bool is_limit(Ole2Error e) {
  return e == Ole2Error::TooManyStreams || e == Ole2Error::TooDeep ||
         e == Ole2Error::StreamTooLarge || e == Ole2Error::TotalTooLarge;
}

std::string utf16le_to_utf8(std::string_view b) {
  std::string out;
  out.reserve(b.size() / 2);
  for (size_t i = 0; i + 1 < b.size(); i += 2) {
    uint32_t c = u16(b, i);
    if (c >= 0xD800 && c <= 0xDBFF && i + 3 < b.size()) {
      uint32_t lo = u16(b, i + 2);
      if (lo >= 0xDC00 && lo <= 0xDFFF) {
        put_utf8(out, 0x10000 + ((c - 0xD800) << 10) + (lo - 0xDC00));
        i += 2;
        continue;
      }
    }
    put_utf8(out, c >= 0xD800 && c <= 0xDFFF ? 0xFFFD : c);
  }
  return out;
}

// Opens and indexes a compound file.
expected<Ole2File, Ole2Error> Ole2File::open(std::string_view data, const Ole2Limits& limits) {
  if (data.size() < 512 || std::memcmp(data.data(), kSignature, 8) != 0)
    return unexpected(Ole2Error::NotOle2);
  Ole2File f;
  f.data_ = data;
  f.limits_ = limits;
  if (auto err = f.load()) return unexpected(*err);
  return f;
}

// The bytes of sector n (fewer than a sector for a file cut inside its last sector).
std::string_view Ole2File::sector(uint32_t n) const {
  size_t at = (static_cast<size_t>(n) + 1) * sector_size_;
  if (at >= data_.size()) return {};
  return data_.substr(at, sector_size_);
}

std::optional<Ole2Error> Ole2File::read_chain(const std::vector<uint32_t>& fat, uint32_t start,
                                              size_t want, bool mini, std::string& out) {
  const size_t unit = mini ? kMiniSector : sector_size_;
  const size_t count = mini ? ministream_.size() / kMiniSector : sector_count_;
  std::vector<uint32_t>& stamp = mini ? ministamp_ : stamp_;
  if (stamp.size() < count) stamp.assign(count, 0);
  ++walk_;
  uint32_t cur = start;
  while (out.size() < want) {
    if (cur == kEndOfChain) {
      if (want == std::numeric_limits<size_t>::max()) return std::nullopt;
      return Ole2Error::Truncated;
    }
    if (cur >= count) return Ole2Error::BadSector;
    if (stamp[cur] == walk_) return Ole2Error::Cycle;
    stamp[cur] = walk_;
    std::string_view bytes =
        mini ? std::string_view(ministream_).substr(cur * unit, unit) : sector(cur);
    size_t need = want - out.size();
    if (bytes.size() < unit && bytes.size() < need) return Ole2Error::Truncated;
    out.append(bytes.substr(0, std::min(need, bytes.size())));
    if (cur >= fat.size()) return Ole2Error::BadSector;
    cur = fat[cur];
  }
  return std::nullopt;
}

std::optional<Ole2Error> Ole2File::load() {
  std::string_view h = data_.substr(0, 512);
  if (u16(h, 0x1C) != 0xFFFE) return Ole2Error::BadHeader;
  major_ = u16(h, 0x1A);
  uint16_t shift = u16(h, 0x1E);
  // Version 3 has 512-byte sectors, version 4 4096-byte ones; anything else is not read.
  if (!((major_ == 3 && shift == 9) || (major_ == 4 && shift == 12)) || u16(h, 0x20) != 6 ||
      u32(h, 0x38) != kMiniCutoff)
    return Ole2Error::BadHeader;
  sector_size_ = 1u << shift;
  if (data_.size() <= sector_size_) return Ole2Error::Truncated;
  sector_count_ =
      static_cast<uint32_t>((data_.size() - sector_size_ + sector_size_ - 1) / sector_size_);
  const uint32_t per = sector_size_ / 4;

  // DIFAT: the FAT's own sector numbers, 109 in the header, the rest in a chain.
  uint32_t num_fat = u32(h, 0x2C);
  if (num_fat == 0 || num_fat > sector_count_) return Ole2Error::BadHeader;
  std::vector<uint32_t> fat_sectors;
  fat_sectors.reserve(num_fat);
  for (uint32_t i = 0; i < 109 && fat_sectors.size() < num_fat; ++i)
    fat_sectors.push_back(u32(h, 0x4C + 4 * i));
  stamp_.assign(sector_count_, 0);
  ++walk_;
  uint32_t d = u32(h, 0x44);
  while (fat_sectors.size() < num_fat) {
    if (d == kEndOfChain || d == kFree) return Ole2Error::Truncated;
    if (d >= sector_count_) return Ole2Error::BadSector;
    if (stamp_[d] == walk_) return Ole2Error::Cycle;
    stamp_[d] = walk_;
    std::string_view s = sector(d);
    if (s.size() < sector_size_) return Ole2Error::Truncated;
    for (uint32_t i = 0; i + 1 < per && fat_sectors.size() < num_fat; ++i)
      fat_sectors.push_back(u32(s, 4 * i));
    d = u32(s, 4 * (per - 1));
  }
  fat_.assign(static_cast<size_t>(num_fat) * per, kFree);
  for (uint32_t i = 0; i < num_fat; ++i) {
    uint32_t fs = fat_sectors[i];
    if (fs >= sector_count_) return Ole2Error::BadSector;
    std::string_view s = sector(fs);
    for (uint32_t j = 0; j < per && 4 * j + 3 < s.size(); ++j)
      fat_[static_cast<size_t>(i) * per + j] = u32(s, 4 * j);
  }

  std::string dir;
  if (auto r = read_chain(fat_, u32(h, 0x30), std::numeric_limits<size_t>::max(), false, dir))
    return r;
  if (dir.size() < kDirEntry || u16(dir, 0x40) == 0 || static_cast<unsigned char>(dir[0x42]) != 5)
    return Ole2Error::BadHeader;

  // Root entry: the mini stream's container.
  uint64_t root_size = u32(dir, 0x78);
  if (major_ == 4) root_size |= static_cast<uint64_t>(u32(dir, 0x7C)) << 32;
  if (root_size > static_cast<uint64_t>(sector_count_) * sector_size_) return Ole2Error::Truncated;
  if (root_size > 0) {
    if (auto r = read_chain(fat_, u32(dir, 0x74), root_size, false, ministream_)) return r;
  }
  std::string minifat_bytes;
  uint32_t first_minifat = u32(h, 0x3C);
  if (first_minifat != kEndOfChain && first_minifat != kFree) {
    if (auto r = read_chain(fat_, first_minifat, std::numeric_limits<size_t>::max(), false,
                            minifat_bytes))
      return r;
  }
  minifat_.resize(minifat_bytes.size() / 4);
  for (size_t i = 0; i < minifat_.size(); ++i) minifat_[i] = u32(minifat_bytes, 4 * i);
  return walk_directory(dir);
}

// Walks the red-black sibling trees from the root, each entry at most once.
std::optional<Ole2Error> Ole2File::walk_directory(const std::string& dir) {
  const size_t n = dir.size() / kDirEntry;
  size_t in_use = 0;
  for (size_t i = 0; i < n; ++i)
    if (dir[i * kDirEntry + 0x42] != 0 && ++in_use > limits_.max_streams)
      return Ole2Error::TooManyStreams;

  auto make = [&](size_t i, uint32_t parent,
                  const std::string& parent_path) -> expected<Ole2Entry, Ole2Error> {
    std::string_view e = std::string_view(dir).substr(i * kDirEntry, kDirEntry);
    Ole2Entry out;
    uint8_t type = static_cast<uint8_t>(e[0x42]);
    if (type != 1 && type != 2 && type != 5) return unexpected(Ole2Error::BadHeader);
    if ((type == 5) != (i == 0)) return unexpected(Ole2Error::BadHeader);
    out.type = static_cast<Ole2Entry::Type>(type);
    uint16_t len = u16(e, 0x40);
    if (len > 64 || len % 2 != 0) return unexpected(Ole2Error::BadHeader);
    std::string_view raw = e.substr(0, len >= 2 ? len - 2 : 0);
    // A NUL inside the counted name ends it (as Windows reads it).
    for (size_t k = 0; k + 1 < raw.size(); k += 2)
      if (raw[k] == 0 && raw[k + 1] == 0) {
        raw = raw.substr(0, k);
        break;
      }
    out.name = utf16le_to_utf8(raw);
    out.path = i == 0                ? std::string()
               : parent_path.empty() ? out.name
                                     : parent_path + "/" + out.name;
    out.start = u32(e, 0x74);
    out.size = u32(e, 0x78);
    if (major_ == 4) out.size |= static_cast<uint64_t>(u32(e, 0x7C)) << 32;
    out.parent = parent;
    std::memcpy(out.clsid, e.data() + 0x50, 16);
    return out;
  };

  std::vector<bool> seen(n, false);
  auto root = make(0, 0, {});
  if (!root) return root.error();
  entries_.push_back(std::move(*root));
  seen[0] = true;
  struct Todo {
    uint32_t index;
    uint32_t parent;  // index in entries_
    uint32_t depth;   // storages above the entry (1: a child of the root)
  };
  std::vector<Todo> stack{{u32(dir, 0x4C), 0, 1}};
  while (!stack.empty()) {
    Todo t = stack.back();
    stack.pop_back();
    if (t.index == kNoStream) continue;
    if (t.index >= n) return Ole2Error::BadHeader;
    if (seen[t.index]) return Ole2Error::Cycle;
    // Paths grow with depth: a bound keeps their total size linear.
    if (t.depth > limits_.max_depth) return Ole2Error::TooDeep;
    seen[t.index] = true;
    auto e = make(t.index, t.parent, entries_[t.parent].path);
    if (!e) return e.error();
    std::string_view raw = std::string_view(dir).substr(t.index * kDirEntry, kDirEntry);
    bool storage = e->type == Ole2Entry::Type::Storage;
    entries_.push_back(std::move(*e));
    uint32_t self = static_cast<uint32_t>(entries_.size() - 1);
    stack.push_back({u32(raw, 0x44), t.parent, t.depth});
    stack.push_back({u32(raw, 0x48), t.parent, t.depth});
    if (storage) stack.push_back({u32(raw, 0x4C), self, t.depth + 1});
  }
  return std::nullopt;
}

const Ole2Entry* Ole2File::find(std::string_view path) const {
  for (const Ole2Entry& e : entries_)
    if (e.type != Ole2Entry::Type::Root && le::iequal(e.path, path)) return &e;
  return nullptr;
}

expected<std::string, Ole2Error> Ole2File::read(const Ole2Entry& e) {
  if (e.type != Ole2Entry::Type::Stream) return unexpected(Ole2Error::NotAStream);
  uint64_t size = major_ == 3 ? (e.size & 0xFFFFFFFFu) : e.size;
  if (size > limits_.max_stream_bytes) return unexpected(Ole2Error::StreamTooLarge);
  if (size > limits_.max_total - std::min(limits_.max_total, total_read_))
    return unexpected(Ole2Error::TotalTooLarge);
  bool mini = size < kMiniCutoff;
  // A size the file cannot hold fails before any allocation.
  uint64_t room = mini ? ministream_.size() : static_cast<uint64_t>(sector_count_) * sector_size_;
  if (size > room) return unexpected(Ole2Error::Truncated);
  std::string out;
  out.reserve(size);
  if (auto err = read_chain(mini ? minifat_ : fat_, e.start, size, mini, out))
    return unexpected(*err);
  total_read_ += out.size();
  return out;
}

expected<std::string, Ole2Error> Ole2File::read(std::string_view path) {
  const Ole2Entry* e = find(path);
  if (!e) return unexpected(Ole2Error::NotAStream);
  return read(*e);
}

}  // namespace postern::attach
