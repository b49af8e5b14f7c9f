// Fixtures for the Office/RTF/OneNote tests: corpus files, zip members (with the
// Info-ZIP `unzip` tool), e-mail attachments, a compound file writer and an
// MS-OVBA container writer (raw and literal chunks: valid per MS-OVBA 2.4.1).
#pragma once

#include <unistd.h>
#include <cstdint>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "attach/hit.hpp"

namespace office_fixtures {

// The symbols of a scan's hits, and the detail of the first hit of a symbol.
inline std::set<std::string> symbols(const std::vector<postern::attach::Hit>& hits) {
  std::set<std::string> out;
  for (const auto& h : hits) out.insert(h.symbol);
  return out;
}
inline std::string detail(const std::vector<postern::attach::Hit>& hits, std::string_view symbol) {
  for (const auto& h : hits)
    if (h.symbol == symbol) return h.detail;
  return {};
}

inline std::string corpus(std::string_view rel) {
  return std::string(POSTERN_CORPUS_DIR) + "/" + std::string(rel);
}

inline std::optional<std::string> read_file(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) return std::nullopt;
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

// Runs a shell command and returns its standard output ("" when it fails).
inline std::string run(const std::string& cmd) {
  std::string out;
  FILE* p = popen(cmd.c_str(), "r");
  if (!p) return out;
  char buf[65536];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  pclose(p);
  return out;
}

inline std::string write_temp(std::string_view bytes) {
  char name[] = "/tmp/postern_office_XXXXXX";
  int fd = mkstemp(name);
  if (fd >= 0) close(fd);
  std::ofstream(name, std::ios::binary)
      .write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  return name;
}

// One member of a zip file (password given to unzip -P when not empty).
inline std::string unzip_member(const std::string& zip, const std::string& member,
                                const std::string& password = {}) {
  std::string pw = password.empty() ? "" : "-P '" + password + "' ";
  return run("unzip -p " + pw + "'" + zip + "' '" + member + "' 2>/dev/null");
}

inline std::string base64_decode(std::string_view in) {
  auto val = [](char c) -> int {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
  };
  std::string out;
  uint32_t acc = 0;
  int bits = 0;
  for (char c : in) {
    int v = val(c);
    if (v < 0) continue;
    acc = acc << 6 | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>(acc >> bits & 0xFF);
    }
  }
  return out;
}

// The first base64 part with a filename in a message (the SpamAssassin samples).
inline std::string eml_attachment(const std::string& path) {
  auto msg = read_file(path);
  if (!msg) return {};
  size_t at = msg->find("filename=");
  if (at == std::string::npos) return {};
  size_t body = msg->find("\n\n", at);
  size_t crlf = msg->find("\r\n\r\n", at);
  if (crlf != std::string::npos && (body == std::string::npos || crlf < body)) body = crlf;
  if (body == std::string::npos) return {};
  size_t end = msg->find("\n--", body);
  return base64_decode(std::string_view(*msg).substr(body, end - body));
}

inline void put16(std::string& s, size_t at, uint16_t v) {
  s[at] = static_cast<char>(v & 0xFF);
  s[at + 1] = static_cast<char>(v >> 8);
}
inline void put32(std::string& s, size_t at, uint32_t v) {
  put16(s, at, static_cast<uint16_t>(v & 0xFFFF));
  put16(s, at + 2, static_cast<uint16_t>(v >> 16));
}
inline std::string le32(uint32_t v) {
  std::string s(4, '\0');
  put32(s, 0, v);
  return s;
}
inline std::string le16(uint16_t v) {
  std::string s(2, '\0');
  put16(s, 0, v);
  return s;
}

// An MS-OVBA CompressedContainer: full 4096-byte pieces as raw chunks, the rest
// as one compressed chunk of literal tokens only.
inline std::string ovba_compress(std::string_view in) {
  std::string out(1, '\x01');
  while (in.size() >= 4096) {
    out += le16(0x3000 | 0x0FFF);
    out += in.substr(0, 4096);
    in.remove_prefix(4096);
  }
  if (in.empty()) return out;
  std::string chunk;
  for (size_t i = 0; i < in.size(); i += 8) {
    chunk += '\0';
    chunk += in.substr(i, 8);
  }
  out += le16(static_cast<uint16_t>(0xB000 | (chunk.size() + 2 - 3)));
  return out + chunk;
}

// A compound file writer: storages and streams under the root (one level of
// storages is enough for VBA), streams under 4096 bytes in the mini stream.
struct CfbBuilder {
  struct Entry {
    std::string name;
    int type;    // 1 storage, 2 stream
    int parent;  // index in entries, -1: root
    std::string data;
  };
  uint32_t sector_size = 512;
  std::vector<Entry> entries;
  std::vector<uint32_t> fat;  // after build(): the FAT as written
  uint32_t dir_start = 0;

  int storage(const std::string& name, int parent = -1) {
    entries.push_back({name, 1, parent, {}});
    return static_cast<int>(entries.size() - 1);
  }
  void stream(const std::string& name, std::string data, int parent = -1) {
    entries.push_back({name, 2, parent, std::move(data)});
  }

  std::string build() {
    const uint32_t S = sector_size, per = S / 4;
    constexpr uint32_t kEnd = 0xFFFFFFFE, kFree = 0xFFFFFFFF, kNone = 0xFFFFFFFF;
    // Mini stream and its FAT.
    std::string mini;
    std::vector<uint32_t> minifat, starts(entries.size(), kEnd);
    for (size_t i = 0; i < entries.size(); ++i) {
      Entry& e = entries[i];
      if (e.type != 2 || e.data.size() >= 4096 || e.data.empty()) continue;
      uint32_t first = static_cast<uint32_t>(mini.size() / 64);
      uint32_t n = static_cast<uint32_t>((e.data.size() + 63) / 64);
      for (uint32_t k = 0; k < n; ++k) minifat.push_back(k + 1 < n ? first + k + 1 : kEnd);
      mini += e.data;
      mini.resize((mini.size() + 63) / 64 * 64, '\0');
      starts[i] = first;
    }
    // Sector plan: dir, minifat, ministream, big streams; FAT sectors first.
    auto count = [&](size_t bytes) { return static_cast<uint32_t>((bytes + S - 1) / S); };
    uint32_t dir_n = count((entries.size() + 1) * 128);
    uint32_t minifat_n = count(minifat.size() * 4), mini_n = count(mini.size());
    uint32_t data_n = 0;
    for (auto& e : entries)
      if (e.type == 2 && e.data.size() >= 4096) data_n += count(e.data.size());
    uint32_t fat_n = 1;
    while (fat_n * per < fat_n + dir_n + minifat_n + mini_n + data_n) ++fat_n;
    uint32_t total = fat_n + dir_n + minifat_n + mini_n + data_n;
    fat.assign(fat_n * per, kFree);
    for (uint32_t i = 0; i < fat_n; ++i) fat[i] = 0xFFFFFFFD;
    uint32_t next = fat_n;
    auto chain = [&](uint32_t n) {
      uint32_t first = n ? next : kEnd;
      for (uint32_t k = 0; k < n; ++k) fat[next + k] = k + 1 < n ? next + k + 1 : kEnd;
      next += n;
      return first;
    };
    dir_start = chain(dir_n);
    uint32_t minifat_start = chain(minifat_n);
    uint32_t mini_start = chain(mini_n);
    std::string body(static_cast<size_t>(total) * S, '\0');
    auto place = [&](uint32_t first, std::string_view bytes) {
      // A chain's sectors are consecutive. Copy in place: with clang, libstdc++'s
      // string::replace moved the whole tail per sector (minutes for 30 000 streams).
      std::copy(bytes.begin(), bytes.end(), body.begin() + static_cast<ptrdiff_t>(first) * S);
    };
    for (size_t i = 0; i < entries.size(); ++i) {
      Entry& e = entries[i];
      if (e.type == 2 && e.data.size() >= 4096) {
        starts[i] = chain(count(e.data.size()));
        place(starts[i], e.data);
      }
    }
    std::string mf;
    for (uint32_t v : minifat) mf += le32(v);
    if (minifat_n) place(minifat_start, mf);
    if (mini_n) place(mini_start, mini);
    // Directory: root is entry 0, entry i of `entries` is i + 1; siblings chained right.
    std::string dir(static_cast<size_t>(dir_n) * S, '\0');
    for (size_t k = (entries.size() + 1) * 128; k < dir.size(); k += 128) {
      put32(dir, k + 0x44, kNone);
      put32(dir, k + 0x48, kNone);
      put32(dir, k + 0x4C, kNone);
    }
    auto first_child = [&](int parent) -> uint32_t {
      for (size_t i = 0; i < entries.size(); ++i)
        if (entries[i].parent == parent) return static_cast<uint32_t>(i + 1);
      return kNone;
    };
    auto write = [&](size_t slot, const std::string& name, int type, uint32_t right, uint32_t child,
                     uint32_t start, uint64_t size) {
      size_t at = slot * 128;
      for (size_t k = 0; k < name.size() && k < 31; ++k) dir[at + 2 * k] = name[k];
      put16(dir, at + 0x40, static_cast<uint16_t>(2 * (std::min<size_t>(name.size(), 31) + 1)));
      dir[at + 0x42] = static_cast<char>(type);
      dir[at + 0x43] = 1;
      put32(dir, at + 0x44, kNone);
      put32(dir, at + 0x48, right);
      put32(dir, at + 0x4C, child);
      put32(dir, at + 0x74, start);
      put32(dir, at + 0x78, static_cast<uint32_t>(size));
    };
    write(0, "Root Entry", 5, kNone, first_child(-1), mini_n ? mini_start : kEnd, mini.size());
    for (size_t i = 0; i < entries.size(); ++i) {
      Entry& e = entries[i];
      uint32_t right = kNone;
      for (size_t j = i + 1; j < entries.size(); ++j)
        if (entries[j].parent == e.parent) {
          right = static_cast<uint32_t>(j + 1);
          break;
        }
      write(i + 1, e.name, e.type, right, e.type == 1 ? first_child(static_cast<int>(i)) : kNone,
            e.type == 2 ? starts[i] : 0, e.data.size());
    }
    place(dir_start, dir);
    std::string fatbytes;
    for (uint32_t v : fat) fatbytes += le32(v);
    place(0, fatbytes);
    // Header.
    std::string h(S, '\0');
    const unsigned char sig[8] = {0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1};
    for (int k = 0; k < 8; ++k) h[k] = static_cast<char>(sig[k]);
    put16(h, 0x18, 0x3E);
    put16(h, 0x1A, S == 512 ? 3 : 4);
    put16(h, 0x1C, 0xFFFE);
    put16(h, 0x1E, S == 512 ? 9 : 12);
    put16(h, 0x20, 6);
    put32(h, 0x28, S == 512 ? 0 : dir_n);
    put32(h, 0x2C, fat_n);
    put32(h, 0x30, dir_start);
    put32(h, 0x38, 4096);
    put32(h, 0x3C, minifat_n ? minifat_start : kEnd);
    put32(h, 0x40, minifat_n);
    put32(h, 0x44, kEnd);
    put32(h, 0x48, 0);
    for (uint32_t k = 0; k < 109; ++k) put32(h, 0x4C + 4 * k, k < fat_n ? k : kFree);
    return h + body;
  }
};

// The offset in a built file of FAT entry n (the FAT starts at sector 0).
inline size_t fat_entry_offset(const CfbBuilder& b, uint32_t n) {
  return b.sector_size + static_cast<size_t>(n) * 4;
}

// A vbaProject.bin with one module per {name, source}: PROJECT, VBA/dir and the modules.
inline std::string vba_project(const std::vector<std::pair<std::string, std::string>>& modules) {
  auto rec = [](uint16_t id, std::string_view data) {
    return le16(id) + le32(static_cast<uint32_t>(data.size())) + std::string(data);
  };
  auto utf16 = [](std::string_view s) {
    std::string o;
    for (char c : s) {
      o += c;
      o += '\0';
    }
    return o;
  };
  std::string dir = rec(0x0001, le32(1)) + rec(0x0002, le32(0x409)) + rec(0x0003, le16(1252)) +
                    rec(0x0004, "VBAProject") + le16(0x0009) + le32(4) + le32(0x5A) + le16(0x11) +
                    rec(0x000F, le16(static_cast<uint16_t>(modules.size()))) +
                    rec(0x0013, le16(0xFFFF));
  for (auto& [name, src] : modules)
    dir += rec(0x0019, name) + rec(0x0047, utf16(name)) + rec(0x001A, name) +
           rec(0x0032, utf16(name)) + rec(0x001C, "") + rec(0x0048, "") + rec(0x0031, le32(0)) +
           rec(0x001E, le32(0)) + rec(0x002C, le16(0xFFFF)) + rec(0x0021, "") + rec(0x002B, "");
  dir += rec(0x0010, "");
  CfbBuilder b;
  b.stream("PROJECT", "ID=\"{00000000-0000-0000-0000-000000000000}\"\r\n");
  int vba = b.storage("VBA");
  b.stream("dir", ovba_compress(dir), vba);
  b.stream("_VBA_PROJECT", std::string("\xCC\x61\xFF\xFF\x00\x00\x00", 7), vba);
  for (auto& [name, src] : modules)
    b.stream(name, ovba_compress("Attribute VB_Name = \"" + name + "\"\r\n" + src), vba);
  return b.build();
}

}  // namespace office_fixtures
