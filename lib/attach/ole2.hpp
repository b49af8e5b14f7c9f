// Ole2File: a reader of compound files (MS-CFB, "OLE2": .doc, .xls, .ppt, .msg,
// vbaProject.bin, .msi) over bytes in memory.
//
// Contract: `Ole2File::open(data, limits)` checks the header (signature, byte
// order, 512- or 4096-byte sectors, 64-byte mini sectors), loads the DIFAT
// (header and extension sectors), the FAT, the mini FAT and the directory, and
// walks the directory tree from the root (each entry at most once), giving each
// reached entry its path ("Macros/VBA/dir"); entries the tree does not reach
// are not listed (Office does not see them either). `read(entry)` returns a
// stream's bytes, from the mini stream when it is smaller than the cutoff.
// `data` must outlive the Ole2File. Every sector chain is checked: a sector
// number out of range, a free or special sector inside a chain, a chain that
// comes back on itself (cycle) or ends before the stream's size is an error,
// never a wrong read. Costs are linear in the file: the directory walk and
// every chain walk touch each sector at most once; Ole2Limits bound the entry
// count, the storage nesting, one stream's size and the bytes all reads
// together may return.
// Errors are returned (Ole2Error), never thrown. Not thread-safe (read()
// counts the bytes read against max_total); open one per thread.
#pragma once

#include "core/expected.hpp"

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace postern::attach {

struct Ole2Limits {
  size_t max_streams = 10'000;          // directory entries in use (storages and streams)
  size_t max_stream_bytes = 64u << 20;  // one stream
  size_t max_total = 256u << 20;        // all read() calls on one file together
  size_t max_depth = 32;                // storages nested in storages
};

enum class Ole2Error {
  NotOle2,         // no compound file signature
  BadHeader,       // a header field out of its allowed values
  BadSector,       // a sector number out of range or a special value inside a chain
  Cycle,           // a sector chain that visits a sector twice
  Truncated,       // a chain or the file ends before the size it claims
  TooManyStreams,  // more directory entries in use than max_streams
  TooDeep,         // storages nested deeper than max_depth
  StreamTooLarge,  // a stream larger than max_stream_bytes
  TotalTooLarge,   // reads together passed max_total
  NotAStream,      // read() of a storage
};

std::string_view to_string(Ole2Error e);
// UTF-16LE bytes as UTF-8 (an unpaired surrogate becomes U+FFFD; an odd last byte is dropped).
std::string utf16le_to_utf8(std::string_view bytes);
// True for the errors that are a limit of ours rather than a broken file.
bool is_limit(Ole2Error e);

struct Ole2Entry {
  enum class Type : uint8_t { Empty = 0, Storage = 1, Stream = 2, Root = 5 };
  std::string name;  // UTF-8 (from UTF-16LE, at most 31 code units)
  std::string path;  // names from below the root joined by '/'; "" for the root
  Type type = Type::Empty;
  uint32_t start = 0;   // first sector (mini sector for small streams)
  uint64_t size = 0;    // bytes
  uint32_t parent = 0;  // index in entries() of the storage holding it (root: itself)
  uint8_t clsid[16]{};
};

class Ole2File {
 public:
  static expected<Ole2File, Ole2Error> open(std::string_view data, const Ole2Limits& limits = {});

  // The entries the directory tree reaches, root first, parents before children.
  const std::vector<Ole2Entry>& entries() const { return entries_; }
  // The entry at `path` ("Macros/VBA/dir"), names compared ignoring ASCII case; nullptr if none.
  const Ole2Entry* find(std::string_view path) const;
  // A stream's bytes.
  expected<std::string, Ole2Error> read(const Ole2Entry& e);
  // read(find(path)), with NotAStream when there is no such stream.
  expected<std::string, Ole2Error> read(std::string_view path);
  uint32_t sector_size() const { return sector_size_; }

 private:
  Ole2File() = default;
  // The private steps return the error that stopped them, nullopt when they finished.
  std::optional<Ole2Error> load();
  std::optional<Ole2Error> walk_directory(const std::string& dir);
  // Follows the chain from `start` in `fat` over `count` sectors of `unit` bytes
  // taken from `get`, appending at most `want` bytes to `out` (want = SIZE_MAX:
  // to the end of the chain).
  std::optional<Ole2Error> read_chain(const std::vector<uint32_t>& fat, uint32_t start, size_t want,
                                      bool mini, std::string& out);
  std::string_view sector(uint32_t n) const;

  std::string_view data_;
  Ole2Limits limits_;
  uint32_t sector_size_ = 512;
  uint32_t sector_count_ = 0;
  uint32_t major_ = 3;
  std::vector<uint32_t> fat_, minifat_;
  std::string ministream_;
  std::vector<Ole2Entry> entries_;
  // Chain walks stamp each sector with the walk's number: a repeat within a walk is a cycle.
  std::vector<uint32_t> stamp_, ministamp_;
  uint32_t walk_ = 0;
  size_t total_read_ = 0;
};

}  // namespace postern::attach
