// Archive expansion with libarchive (see archive.hpp): the reader behind its
// RAII handle, one pass over the entries with bounded member buffers, the
// password retries for encrypted zips, and the recursive walk.
#include "attach/archive.hpp"

#include <archive.h>
#include <archive_entry.h>
#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <memory>
#include <unordered_set>

#include "attach/text_scan.hpp"
#include "core/message.hpp"

namespace postern::attach {
namespace {

using core::iequals;

using core::Scope;
// Scores: a bomb or a path-traversal entry has no business in mail (a legitimate
// archive that big or with such paths is rare enough to hold for review); an
// encrypted archive is a common malware carrier but also ordinary business mail,
// and one whose password sits in the text is the classic lure (added on top of the
// macro or ClamAV findings its opened members then get); a corrupt archive is
// weak on its own: mail clients and old tools make broken ones.
constexpr std::array kSymbols{
    core::SymbolInfo{"ATTACH_ARCHIVE_BOMB", 5.0, Scope::Transaction,
                     "an archive over the entry, size, compression-ratio or nesting limits"},
    core::SymbolInfo{"ATTACH_ENCRYPTED_ARCHIVE", 3.0, Scope::Transaction,
                     "an archive with encrypted members that no password from the text opens"},
    core::SymbolInfo{"ATTACH_ARCHIVE_PASSWORD_IN_TEXT", 1.5, Scope::Transaction,
                     "an encrypted archive opened with a password written in the message"},
    core::SymbolInfo{"ATTACH_ARCHIVE_CORRUPT", 0.5, Scope::Transaction,
                     "an archive that could not be read to its end"},
    core::SymbolInfo{"ATTACH_ARCHIVE_UNSAFE_PATH", 4.0, Scope::Transaction,
                     "an archive member with an absolute path, a .. component, a link out of "
                     "the archive, an overlong name, or a path given twice"},
};

constexpr size_t kChunk = 64 * 1024;     // member read buffer
constexpr size_t kReadSize = 16 * 1024;  // bytes libarchive is handed per read callback
constexpr size_t kDetailName = 60;       // member names in details are cut here

struct ReadFree {
  void operator()(archive* a) const { archive_read_free(a); }
};
using Reader = std::unique_ptr<archive, ReadFree>;

bool starts(std::string_view d, size_t at, std::string_view magic) {
  return d.size() >= at + magic.size() && d.substr(at, magic.size()) == magic;
}

// A reader over `data` with the formats of this module; null when libarchive
// refuses to open it (the error is in `err`).
Reader open_reader(std::string_view data, Kind sniffed, const std::string* passphrase,
                   std::string& err) {
  Reader a(archive_read_new());
  if (!a) {
    err = "libarchive: out of memory";
    return a;
  }
  archive* r = a.get();
  archive_read_support_format_zip(r);
  archive_read_support_format_7zip(r);
  archive_read_support_format_rar(r);
  archive_read_support_format_rar5(r);
  archive_read_support_format_tar(r);
  archive_read_support_format_cab(r);
  archive_read_support_format_iso9660(r);
  archive_read_support_filter_gzip(r);
  archive_read_support_filter_bzip2(r);
  archive_read_support_filter_xz(r);
  // raw (one member: the stream itself) only for a bare gz/bz2/xz: on anything
  // else it would take any bytes at all for an "archive".
  if (sniffed == Kind::Compressed) archive_read_support_format_raw(r);
  if (passphrase) archive_read_add_passphrase(r, passphrase->c_str());
  if (archive_read_open_memory2(r, data.data(), data.size(), kReadSize) != ARCHIVE_OK) {
    const char* e = archive_error_string(r);
    err = e ? e : "cannot open";
    a.reset();
  }
  return a;
}

std::string format_name(archive* a) {
  std::string base;
  switch (archive_format(a) & ARCHIVE_FORMAT_BASE_MASK) {
    case ARCHIVE_FORMAT_ZIP:
      base = "zip";
      break;
    case ARCHIVE_FORMAT_7ZIP:
      base = "7z";
      break;
    case ARCHIVE_FORMAT_RAR:
      base = "rar";
      break;
    case ARCHIVE_FORMAT_RAR_V5:
      base = "rar5";
      break;
    case ARCHIVE_FORMAT_TAR:
      base = "tar";
      break;
    case ARCHIVE_FORMAT_CAB:
      base = "cab";
      break;
    case ARCHIVE_FORMAT_ISO9660:
      base = "iso9660";
      break;
    case ARCHIVE_FORMAT_RAW:
      break;
    default:
      base = "other";
      break;
  }
  std::string filter;
  switch (archive_filter_count(a) > 1 ? archive_filter_code(a, 0) : ARCHIVE_FILTER_NONE) {
    case ARCHIVE_FILTER_GZIP:
      filter = "gz";
      break;
    case ARCHIVE_FILTER_BZIP2:
      filter = "bz2";
      break;
    case ARCHIVE_FILTER_XZ:
      filter = "xz";
      break;
    default:
      break;
  }
  if (base.empty()) return filter.empty() ? "raw" : filter;
  return filter.empty() ? base : base + "." + filter;
}

// The member name a bare gz/bz2/xz stands for: the archive's name without its suffix.
std::string raw_member_name(std::string_view name) {
  static constexpr std::array<std::pair<std::string_view, std::string_view>, 7> kSuffixes{{
      {".tgz", ".tar"},
      {".tbz2", ".tar"},
      {".txz", ".tar"},
      {".gz", ""},
      {".bz2", ""},
      {".xz", ""},
      {".z", ""},
  }};
  auto slash = name.find_last_of("/\\");
  if (slash != std::string_view::npos) name.remove_prefix(slash + 1);
  for (auto [suffix, repl] : kSuffixes)
    if (name.size() > suffix.size() && iends_with(name, suffix))
      return std::string(name.substr(0, name.size() - suffix.size())) + std::string(repl);
  return name.empty() ? std::string("data") : std::string(name);
}

std::string short_name(std::string_view path) {
  return path.size() <= kDetailName ? std::string(path)
                                    : std::string(utf8_prefix(path, kDetailName)) + "...";
}

// Why a member path or link target is unsafe, or "" when it is not.
std::string_view path_problem(std::string_view path, std::string_view link, bool is_link) {
  auto absolute = [](std::string_view p) {
    return (!p.empty() && (p[0] == '/' || p[0] == '\\')) ||
           (p.size() >= 2 && p[1] == ':' && ((p[0] | 0x20) >= 'a' && (p[0] | 0x20) <= 'z'));
  };
  if (absolute(path)) return "absolute path";
  // Directory depth reached while walking the components; below zero is outside.
  long depth = 0;
  bool dotdot = false;
  auto walk = [&](std::string_view p, bool count_last) {
    size_t i = 0;
    while (i <= p.size()) {
      size_t j = p.find_first_of("/\\", i);
      if (j == std::string_view::npos) j = p.size();
      std::string_view c = p.substr(i, j - i);
      bool last = j == p.size();
      if (c == "..") {
        dotdot = true;
        if (--depth < 0) return false;
      } else if (!c.empty() && c != "." && (count_last || !last)) {
        ++depth;
      }
      i = j + 1;
    }
    return true;
  };
  walk(path, false);
  if (dotdot) return ".. component";
  if (!is_link || link.empty()) return "";
  if (absolute(link)) return "link to an absolute path";
  if (!walk(link, true)) return "link out of the archive";
  return "";
}

// A zip's end-of-central-directory record is in its last 64 KiB + 22 bytes; with
// none libarchive reads the members from the local headers, which other readers
// (the one the recipient uses) may see differently.
bool has_zip_end(std::string_view d) {
  size_t from = d.size() > 65557 ? d.size() - 65557 : 0;
  return d.find("PK\x05\x06", from) != std::string_view::npos;
}

enum class Read { Ok, Limit, Error, OutOfTime };

// Streams one member's data into m.data within the member and message limits
// and the ratio limit (`produced`: what this archive expanded before it). Produced bytes are
// charged to the budget even when the caller drops them (a wrong password's garbage), so retries
// cannot multiply it.
Read read_member(archive* a, Member& m, const ArchiveLimits& lim, ArchiveBudget& budget,
                 uint64_t& produced, core::CpuBudget* cpu, std::vector<Hit>& hits,
                 std::string& err) {
  std::array<char, kChunk> buf;
  uint64_t cap = std::min<uint64_t>(lim.max_member_bytes, budget.bytes_left);
  m.data.clear();
  // The declared size saves the copies of growing, but only within the cap; a
  // header that lied is given its memory back below.
  m.data.reserve(static_cast<size_t>(std::min(m.declared_size, cap)));
  auto fit = [&] {
    if (m.data.capacity() > 2 * m.data.size() + kChunk) m.data.shrink_to_fit();
  };
  for (;;) {
    if (cpu && cpu->tick()) {
      m.truncated = true;
      return Read::OutOfTime;
    }
    la_ssize_t n = archive_read_data(a, buf.data(), buf.size());
    if (n <= 0) fit();
    if (n == 0) return Read::Ok;
    if (n < 0) {
      const char* e = archive_error_string(a);
      err = e ? e : "read error";
      m.truncated = true;
      return Read::Error;
    }
    uint64_t room = cap - m.data.size();
    size_t take = static_cast<size_t>(std::min<uint64_t>(room, static_cast<uint64_t>(n)));
    m.data.append(buf.data(), take);
    budget.bytes_left -= take;
    if (take < static_cast<size_t>(n)) {
      m.truncated = true;
      bool member_limit = cap == lim.max_member_bytes;
      hits.push_back({"ATTACH_ARCHIVE_BOMB",
                      member_limit ? fmt::format("{}: more than {} bytes expanded "
                                                 "(max_member_bytes)",
                                                 short_name(m.path), lim.max_member_bytes)
                                   : fmt::format("{}: more than {} bytes expanded from the "
                                                 "message's archives (max_expanded_bytes)",
                                                 short_name(m.path), lim.max_expanded_bytes)});
      return Read::Limit;
    }
    produced += take;
    if (produced > lim.ratio_min_bytes) {
      // Judged over the archive so far, not per member: in a solid 7z or a tar.xz a
      // member like an earlier one honestly costs next to nothing. The compressed
      // side is libarchive's position in the input, one read-ahead in its favour.
      uint64_t consumed =
          static_cast<uint64_t>(std::max<int64_t>(0, archive_filter_bytes(a, -1))) + kReadSize;
      double ratio = static_cast<double>(produced) / static_cast<double>(consumed);
      if (ratio > lim.max_ratio) {
        m.truncated = true;
        hits.push_back({"ATTACH_ARCHIVE_BOMB",
                        fmt::format("{}: {} bytes expanded from at most {}, ratio {:.0f} over "
                                    "max_ratio {:.0f}",
                                    short_name(m.path), produced, consumed, ratio, lim.max_ratio)});
        return Read::Limit;
      }
    }
  }
}

// The entry's name as sanitized UTF-8.
std::string entry_name(const char* utf8, const char* mbs, size_t max, bool& cut) {
  const char* s = utf8 ? utf8 : mbs;
  return sanitize_name(s ? std::string_view(s) : std::string_view(), max, cut);
}

class Expander {
 public:
  Expander(std::string_view data, const ArchiveLimits& lim, ArchiveBudget& budget,
           core::CpuBudget* cpu)
      : data_(data), lim_(lim), budget_(budget), cpu_(cpu) {}

  Expanded run(std::span<const std::string> passwords, std::string_view name) {
    out_.kind = sniff(data_);
    if (out_.kind == Kind::None) return std::move(out_);
    first_pass(name);
    if (out_.format.rfind("zip", 0) == 0 && !has_zip_end(data_))
      corrupt("no end of central directory: members read from the local headers");
    if (encrypted_left() > 0) try_passwords(passwords);
    report_encrypted();
    report_unsafe();
    refine_kind();
    return std::move(out_);
  }

 private:
  void corrupt(std::string_view what) {
    if (corrupt_reported_) return;
    corrupt_reported_ = true;
    out_.hits.push_back(
        {"ATTACH_ARCHIVE_CORRUPT",
         fmt::format("{}: {} after {} entries", out_.format.empty() ? "archive" : out_.format,
                     utf8_prefix(what, 120), out_.members.size())});
  }

  // Fills a Member from the entry header (no data yet).
  Member header(archive_entry* e) {
    Member m;
    bool cut = false;
    m.path = entry_name(archive_entry_pathname_utf8(e), archive_entry_pathname(e),
                        lim_.max_name_bytes, cut);
    if (cut) long_names_.push_back(m.path);
    m.declared_size = archive_entry_size_is_set(e) && archive_entry_size(e) > 0
                          ? static_cast<uint64_t>(archive_entry_size(e))
                          : 0;
    m.is_dir = archive_entry_filetype(e) == AE_IFDIR;
    const char* hl = archive_entry_hardlink_utf8(e);
    if (!hl) hl = archive_entry_hardlink(e);
    const char* sl = archive_entry_filetype(e) == AE_IFLNK
                         ? (archive_entry_symlink_utf8(e) ? archive_entry_symlink_utf8(e)
                                                          : archive_entry_symlink(e))
                         : nullptr;
    if (hl || sl) {
      bool lcut = false;
      m.is_link = true;
      m.link_target = sanitize_name(hl ? hl : sl, lim_.max_name_bytes, lcut);
    }
    m.encrypted = archive_entry_is_data_encrypted(e) || archive_entry_is_metadata_encrypted(e);
    return m;
  }

  bool regular(archive_entry* e) { return archive_entry_filetype(e) == AE_IFREG; }

  void first_pass(std::string_view name) {
    std::string err;
    Reader r = open_reader(data_, out_.kind, nullptr, err);
    if (!r) {
      out_.format = "unknown";
      corrupt(err);
      return;
    }
    archive* a = r.get();
    for (;;) {
      if (cpu_ && cpu_->tick()) {
        out_.out_of_time = true;
        break;
      }
      archive_entry* e = nullptr;
      int rc = archive_read_next_header(a, &e);
      if (out_.format.empty() && rc != ARCHIVE_FATAL) out_.format = format_name(a);
      if (rc == ARCHIVE_EOF) break;
      if (rc < ARCHIVE_WARN) {
        const char* es = archive_error_string(a);
        std::string what = es ? es : "header error";
        if (out_.format.empty()) out_.format = format_name(a);
        if (archive_read_has_encrypted_entries(a) > 0 || what.find("ncrypt") != std::string::npos) {
          out_.encrypted = true;
          header_encrypted_ = true;
        } else {
          corrupt(what);
        }
        break;
      }
      if (budget_.entries_left == 0) {
        out_.hits.push_back({"ATTACH_ARCHIVE_BOMB",
                             fmt::format("{}: more than {} entries in the message's archives "
                                         "(max_entries)",
                                         out_.format, lim_.max_entries)});
        break;
      }
      --budget_.entries_left;
      Member m = header(e);
      raw_ = (archive_format(a) & ARCHIVE_FORMAT_BASE_MASK) == ARCHIVE_FORMAT_RAW;
      if (raw_) m.path = raw_member_name(name);
      if (m.encrypted) out_.encrypted = true;
      if (m.encrypted || !regular(e)) {
        out_.members.push_back(std::move(m));
        continue;
      }
      Read st = read_member(a, m, lim_, budget_, produced_, cpu_, out_.hits, err);
      out_.members.push_back(std::move(m));
      if (st == Read::Ok) continue;
      if (st == Read::Error) corrupt(err);
      if (st == Read::OutOfTime) out_.out_of_time = true;
      break;
    }
  }

  size_t encrypted_left() const {
    size_t n = 0;
    for (const auto& m : out_.members) n += m.encrypted && !m.is_dir && !m.is_link && !opened_;
    return n;
  }

  // Re-opens the archive with each password (zip only: libarchive decrypts
  // PKWARE and AES zip, not 7z or rar) until one reads the first encrypted member.
  void try_passwords(std::span<const std::string> passwords) {
    if (out_.format.rfind("zip", 0) != 0) return;
    size_t tries = std::min(passwords.size(), lim_.max_passwords);
    for (size_t t = 0; t < tries && !opened_ && !out_.out_of_time; ++t) {
      ++tried_;
      try_password(passwords[t]);
      if (opened_) out_.password = passwords[t];
    }
  }

  void try_password(const std::string& pw) {
    std::string err;
    Reader r = open_reader(data_, out_.kind, &pw, err);
    if (!r) return;
    archive* a = r.get();
    std::vector<Hit> hits;
    uint64_t produced = 0;  // this pass's own, for the ratio
    for (size_t i = 0; i < out_.members.size(); ++i) {
      archive_entry* e = nullptr;
      if (archive_read_next_header(a, &e) < ARCHIVE_WARN) break;
      Member& m = out_.members[i];
      if (!m.encrypted || !regular(e)) continue;
      Member trial = m;
      Read st = read_member(a, trial, lim_, budget_, produced, cpu_, hits, err);
      if (st == Read::Error && !opened_) return;  // the wrong password (or a broken first member)
      opened_ = true;
      m = std::move(trial);
      if (st == Read::Ok) continue;
      if (st == Read::Error) corrupt(err);
      if (st == Read::OutOfTime) out_.out_of_time = true;
      break;
    }
    if (!opened_) return;
    for (auto& h : hits) out_.hits.push_back(std::move(h));
    size_t n = 0;
    for (const auto& m : out_.members) n += m.encrypted;
    out_.hits.push_back({"ATTACH_ARCHIVE_PASSWORD_IN_TEXT",
                         fmt::format("{}: {} encrypted members opened with a password from the "
                                     "message text",
                                     out_.format, n)});
  }

  void report_encrypted() {
    if (opened_) return;
    if (header_encrypted_) {
      out_.hits.push_back({"ATTACH_ENCRYPTED_ARCHIVE",
                           fmt::format("{}: encrypted headers, members not listed", out_.format)});
      return;
    }
    size_t enc = 0, files = 0;
    for (const auto& m : out_.members) {
      enc += m.encrypted;
      files += !m.is_dir;
    }
    if (enc == 0) return;
    bool zip = out_.format.rfind("zip", 0) == 0;
    out_.hits.push_back({"ATTACH_ENCRYPTED_ARCHIVE",
                         zip ? fmt::format("{}: {} of {} members encrypted, {} password(s) tried",
                                           out_.format, enc, files, tried_)
                             : fmt::format("{}: {} of {} members encrypted (not decryptable here)",
                                           out_.format, enc, files)});
  }

  void report_unsafe() {
    size_t n = long_names_.size();
    std::string first, why;
    if (n > 0) {
      first = long_names_.front();
      why = fmt::format("name over {} bytes", lim_.max_name_bytes);
    }
    // Two files of one path (ASCII case folded, as Windows extracts them): which
    // one a reader shows or keeps depends on the reader.
    std::unordered_set<std::string> seen;
    for (const auto& m : out_.members) {
      std::string_view p = path_problem(m.path, m.link_target, m.is_link);
      if (p.empty() && !m.is_dir && !seen.insert(ascii_lower(m.path)).second)
        p = "the same path twice";
      if (p.empty()) continue;
      if (n++ == 0) {
        first = m.path;
        why = p;
      }
    }
    if (n == 0) return;
    out_.hits.push_back(
        {"ATTACH_ARCHIVE_UNSAFE_PATH", fmt::format("{}: {} unsafe member path(s), first {} ({})",
                                                   out_.format, n, short_name(first), why)});
  }

  // A gzip/bzip2/xz stream with a tar inside is an archive; Office, OpenDocument
  // and Java archives are zips told apart by their members.
  void refine_kind() {
    if (out_.kind == Kind::Compressed && !raw_) out_.kind = Kind::Archive;
    if (out_.format.rfind("zip", 0) != 0) return;
    bool odf = false, jar = false;
    for (const auto& m : out_.members) {
      if (iequals(m.path, "[Content_Types].xml")) {
        out_.kind = Kind::Ooxml;
        return;
      }
      if (m.path == "mimetype" && m.data.starts_with("application/vnd.oasis.opendocument."))
        odf = true;
      if (iequals(m.path, "META-INF/MANIFEST.MF")) jar = true;
    }
    if (odf)
      out_.kind = Kind::Odf;
    else if (jar)
      out_.kind = Kind::Jar;
  }

  std::string_view data_;
  const ArchiveLimits& lim_;
  ArchiveBudget& budget_;
  core::CpuBudget* cpu_;
  Expanded out_;
  std::vector<std::string> long_names_;
  bool corrupt_reported_ = false;
  bool header_encrypted_ = false;
  bool opened_ = false;
  bool raw_ = false;       // libarchive read a bare compressed stream as one member
  uint64_t produced_ = 0;  // bytes the first pass expanded, for the ratio
  size_t tried_ = 0;
};

void walk(std::string_view data, std::string_view name, const std::string& prefix, unsigned depth,
          const ArchiveLimits& lim, ArchiveBudget& budget, std::span<const std::string> passwords,
          const MemberVisitor& visit, core::CpuBudget* cpu, std::vector<Hit>& hits) {
  Expanded x = expand(data, lim, budget, passwords, cpu, name);
  for (auto& h : x.hits) {
    if (!prefix.empty()) h.detail = short_name(prefix) + ": " + h.detail;
    hits.push_back(std::move(h));
  }
  for (const auto& m : x.members) {
    std::string path = prefix.empty() ? m.path : prefix + "/" + m.path;
    if (visit) visit(path, m, depth);
    if (m.data.empty() || sniff(m.data) == Kind::None) continue;
    if (auto h = depth_hit(depth + 1, lim)) {
      h->detail = short_name(path) + ": " + h->detail;
      hits.push_back(std::move(*h));
      continue;
    }
    walk(m.data, m.path, path, depth + 1, lim, budget, passwords, visit, cpu, hits);
    if (cpu && cpu->exhausted()) return;
  }
}

}  // namespace

std::string_view to_string(Kind k) {
  switch (k) {
    case Kind::None:
      return "none";
    case Kind::Archive:
      return "archive";
    case Kind::Compressed:
      return "compressed";
    case Kind::Ooxml:
      return "ooxml";
    case Kind::Odf:
      return "odf";
    case Kind::Jar:
      return "jar";
  }
  return "none";
}

Kind sniff(std::string_view d) {
  if (starts(d, 0, "PK\x03\x04") || starts(d, 0, "PK\x05\x06") || starts(d, 0, "PK\x07\x08"))
    return Kind::Archive;
  if (starts(d, 0, "7z\xBC\xAF\x27\x1C")) return Kind::Archive;
  if (starts(d, 0, std::string_view("Rar!\x1A\x07\x00", 7)) ||
      starts(d, 0, std::string_view("Rar!\x1A\x07\x01\x00", 8)))
    return Kind::Archive;
  if (starts(d, 0, std::string_view("MSCF\0\0\0\0", 8))) return Kind::Archive;
  if (starts(d, 257, "ustar")) return Kind::Archive;  // POSIX and GNU tar; not v7 tar
  if (starts(d, 0x8001, "CD001") || starts(d, 0x8801, "CD001") || starts(d, 0x9001, "CD001"))
    return Kind::Archive;
  if (starts(d, 0, "\x1F\x8B\x08")) return Kind::Compressed;
  if (starts(d, 0, "BZh") && d.size() > 3 && d[3] >= '1' && d[3] <= '9') return Kind::Compressed;
  if (starts(d, 0,
             std::string_view("\xFD"
                              "7zXZ\0",
                              6)))
    return Kind::Compressed;
  return Kind::None;
}

Expanded expand(std::string_view data, const ArchiveLimits& limits, ArchiveBudget& budget,
                std::span<const std::string> passwords, core::CpuBudget* cpu,
                std::string_view name) {
  return Expander(data, limits, budget, cpu).run(passwords, name);
}

std::optional<Hit> depth_hit(unsigned depth, const ArchiveLimits& limits) {
  if (depth <= limits.max_depth) return std::nullopt;
  return Hit{"ATTACH_ARCHIVE_BOMB",
             fmt::format("archive nested {} deep, over max_depth {}", depth, limits.max_depth)};
}

std::vector<Hit> expand_tree(std::string_view data, const ArchiveLimits& limits,
                             ArchiveBudget& budget, std::span<const std::string> passwords,
                             const MemberVisitor& visit, core::CpuBudget* cpu,
                             std::string_view name) {
  std::vector<Hit> hits;
  if (auto h = depth_hit(1, limits)) {
    hits.push_back(std::move(*h));
    return hits;
  }
  walk(data, name, "", 1, limits, budget, passwords, visit, cpu, hits);
  return hits;
}

std::span<const core::SymbolInfo> archive_symbols() {
  return kSymbols;
}

}  // namespace postern::attach
