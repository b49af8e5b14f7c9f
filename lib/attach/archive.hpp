// Archive expansion: one level of an archive's members, read from memory with
// libarchive (zip, 7z, rar v4/v5, tar and tar.gz/bz2/xz, cab, iso9660, and
// single gz/bz2/xz files as one member named after the archive without its suffix).
//
// Contract: `sniff(data)` says by magic bytes (never by name) what container the
// bytes are; every zip counts as an archive, Office Open XML, OpenDocument and
// Java archives included (they are zips whose members the Office checks need);
// `expand()` then tells which one it is from the member names (`Expanded::kind`).
// `expand(data, limits, budget, passwords)` reads the members of one level:
// regular files get their bytes, streamed through bounded buffers (the declared
// size is never trusted); directories and links are listed with no data.
// Recursion is the caller's: for a member that `sniff()`s as an archive, call
// `depth_hit(depth + 1, limits)` first and expand only if it returns nothing, or
// let `expand_tree()` do that walk. One ArchiveBudget is shared by every level of
// one message, so a nested bomb cannot multiply the per-message limits.
// A limit that is reached is an ATTACH_ARCHIVE_BOMB hit and ends the expansion of
// that archive (what was read stays, the member cut short is `truncated`); a
// libarchive error mid-way is ATTACH_ARCHIVE_CORRUPT and keeps what was read, and
// so is a zip with no end-of-central-directory record (read from its local
// headers, which other readers may see differently). With a CPU budget the
// expansion stops once it is spent (`out_of_time`, no hit: the caller says it).
// Encrypted zip members are opened with the given passwords (each try re-opens
// the archive, at most `max_passwords` tries); 7z and rar encryption is only
// detected. Memory is bounded by the limits; time is linear in the bytes produced.
// Pure functions: thread-safe, never throw on hostile input (std::bad_alloc aside).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "attach/hit.hpp"
#include "core/cpu_budget.hpp"
#include "core/symbols.hpp"

namespace postern::attach {

enum class Kind {
  None,        // not a container this module reads
  Archive,     // zip (not an Office/ODF/Java one), 7z, rar, tar, cab, iso9660
  Compressed,  // a single gz, bz2 or xz stream (tar.gz and friends become Archive)
  Ooxml,       // a zip with [Content_Types].xml: docx, docm, xlsx, xlsm, xlsb, pptx, ...
  Odf,         // a zip whose "mimetype" member is application/vnd.oasis.opendocument.*
  Jar,         // a zip with META-INF/MANIFEST.MF (Java archive, also APK-like)
};

std::string_view to_string(Kind k);

// What the magic bytes say: None, Archive (any zip, 7z, rar, tar, cab, iso) or
// Compressed (gz, bz2, xz). Office zips are Archive here; expand() refines them.
Kind sniff(std::string_view data);
inline bool is_archive(std::string_view data) {
  return sniff(data) != Kind::None;
}

struct ArchiveLimits {
  size_t max_entries = 2000;                          // entries of all archives of one message
  uint64_t max_member_bytes = uint64_t{64} << 20;     // one member's expanded bytes
  uint64_t max_expanded_bytes = uint64_t{256} << 20;  // all members of one message
  // Expanded / compressed bytes of one archive, judged once it has expanded
  // ratio_min_bytes: over the archive, not per member (a solid 7z's second copy of
  // a file costs nothing and is no bomb).
  double max_ratio = 200;
  uint64_t ratio_min_bytes = uint64_t{1} << 20;
  unsigned max_depth = 5;        // archive in archive in ...: the caller's
  size_t max_passwords = 10;     // passwords tried per archive
  size_t max_name_bytes = 1024;  // a member path longer than this is cut
};

// What is left of the per-message totals; one per message, shared by all levels.
struct ArchiveBudget {
  size_t entries_left;
  uint64_t bytes_left;
  explicit ArchiveBudget(const ArchiveLimits& l)
      : entries_left(l.max_entries), bytes_left(l.max_expanded_bytes) {}
};

struct Member {
  // Inside the archive, UTF-8 (bytes that are not are written \xNN), no NUL,
  // control characters escaped as \xNN, at most max_name_bytes.
  std::string path;
  std::string data;            // regular files: the expanded bytes (maybe cut short)
  uint64_t declared_size = 0;  // what the header says (0 if it says nothing)
  std::string link_target;     // symlinks and hard links, sanitized like path
  bool encrypted = false;      // data encrypted: `data` is empty unless a password opened it
  bool truncated = false;      // data cut at a limit, a read error or the CPU budget
  bool is_dir = false;
  bool is_link = false;  // a symbolic or hard link
};

struct Expanded {
  Kind kind = Kind::None;
  std::string format;  // "zip", "7z", "rar", "rar5", "tar", "tar.gz", "gz", "cab", "iso9660", ...
  std::vector<Member> members;
  std::vector<Hit> hits;
  bool encrypted = false;    // some member (or the header) is encrypted
  std::string password;      // the one that opened the encrypted members, if any
  bool out_of_time = false;  // the CPU budget ran out: members after that are missing
};

// Expands one level of `data`. `passwords`: candidates from the mail's visible
// text (passwords_from_text): one that opens the archive is
// ATTACH_ARCHIVE_PASSWORD_IN_TEXT. A `data` that sniffs as None gives kind None,
// no members and no hits. `name`: the file name of the archive, if known; a bare
// gz/bz2/xz's one member is called after it without its suffix ("data" without it).
Expanded expand(std::string_view data, const ArchiveLimits& limits, ArchiveBudget& budget,
                std::span<const std::string> passwords, core::CpuBudget* cpu = nullptr,
                std::string_view name = {});

// The ATTACH_ARCHIVE_BOMB hit for an archive at `depth` (the message's own
// attachment is depth 1) when that is deeper than limits.max_depth.
std::optional<Hit> depth_hit(unsigned depth, const ArchiveLimits& limits);

// Depth-first walk: expands `data` and every member that sniffs as an archive,
// down to max_depth levels, all on one budget. `visit(path, member, depth)` sees
// every member ("outer.zip" members have depth 1; path is "inner.zip/file" for
// a member of a nested one). Returns the hits of every level, each detail
// prefixed with the path of the archive it is about (nothing for the top).
using MemberVisitor =
    std::function<void(const std::string& path, const Member& member, unsigned depth)>;
std::vector<Hit> expand_tree(std::string_view data, const ArchiveLimits& limits,
                             ArchiveBudget& budget, std::span<const std::string> passwords,
                             const MemberVisitor& visit, core::CpuBudget* cpu = nullptr,
                             std::string_view name = {});

// The password candidates a human would type from the mail's visible text:
// the token after "password:", "pass -", "PW:", "Passwort:", "contraseña:",
// "mot de passe :", "пароль:", "密码：" and the like, a quoted token right after
// such a word, or a token alone on the line after a line ending in one. In
// order of appearance, deduplicated (a token ending in . , ; ! or ) also
// gives the token without it), at most `max`. Linear in the text.
std::vector<std::string> passwords_from_text(std::string_view text, size_t max);

// The symbols of archive expansion (ATTACH_ARCHIVE_*, ATTACH_ENCRYPTED_ARCHIVE).
std::span<const core::SymbolInfo> archive_symbols();

}  // namespace postern::attach
