// Archives written in memory with libarchive's writer, for tests that need a zip,
// 7z, tar.gz/bz2/xz, bare gz or iso9660 of their own (documents too: a docx is a
// zip of XML parts). Catch2 REQUIREs that each libarchive call succeeds.
#pragma once

#include <archive.h>
#include <archive_entry.h>

#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace postern::test {

// An entry to write: a file with `data` (or `zeros` zero bytes), a directory or a symlink.
struct Entry {
  std::string path;
  std::string data = "";
  uint64_t zeros = 0;
  bool dir = false;
  std::string symlink = "";
};

struct WriteFree {
  void operator()(archive* a) const { archive_write_free(a); }
};

inline la_ssize_t append_cb(archive*, void* out, const void* buf, size_t n) {
  static_cast<std::string*>(out)->append(static_cast<const char*>(buf), n);
  return static_cast<la_ssize_t>(n);
}

enum class Fmt { Zip, Zip7, TarGz, TarBz2, TarXz, Gz, Iso };

// The archive of `entries` in `fmt`, built in memory with libarchive's writer.
inline std::string build(Fmt fmt, const std::vector<Entry>& entries, const char* options = nullptr,
                         const char* passphrase = nullptr) {
  std::unique_ptr<archive, WriteFree> w(archive_write_new());
  archive* a = w.get();
  switch (fmt) {
    case Fmt::Zip:
      archive_write_set_format_zip(a);
      break;
    case Fmt::Zip7:
      archive_write_set_format_7zip(a);
      break;
    case Fmt::TarGz:
      archive_write_set_format_pax_restricted(a);
      archive_write_add_filter_gzip(a);
      break;
    case Fmt::TarBz2:
      archive_write_set_format_pax_restricted(a);
      archive_write_add_filter_bzip2(a);
      break;
    case Fmt::TarXz:
      archive_write_set_format_pax_restricted(a);
      archive_write_add_filter_xz(a);
      break;
    case Fmt::Gz:
      archive_write_set_format_raw(a);
      archive_write_add_filter_gzip(a);
      break;
    case Fmt::Iso:
      archive_write_set_format_iso9660(a);
      break;
  }
  if (options) REQUIRE(archive_write_set_options(a, options) == ARCHIVE_OK);
  if (passphrase) REQUIRE(archive_write_set_passphrase(a, passphrase) == ARCHIVE_OK);
  archive_write_set_bytes_in_last_block(a, 1);
  std::string out;
  REQUIRE(archive_write_open(a, &out, nullptr, append_cb, nullptr) == ARCHIVE_OK);
  const std::string zeros(1 << 20, '\0');
  for (const auto& e : entries) {
    std::unique_ptr<archive_entry, decltype(&archive_entry_free)> en(archive_entry_new(),
                                                                     archive_entry_free);
    archive_entry_set_pathname(en.get(), e.path.c_str());
    archive_entry_set_mtime(en.get(), 1700000000, 0);
    if (e.dir) {
      archive_entry_set_filetype(en.get(), AE_IFDIR);
      archive_entry_set_perm(en.get(), 0755);
    } else if (!e.symlink.empty()) {
      archive_entry_set_filetype(en.get(), AE_IFLNK);
      archive_entry_set_symlink(en.get(), e.symlink.c_str());
      archive_entry_set_perm(en.get(), 0777);
    } else {
      archive_entry_set_filetype(en.get(), AE_IFREG);
      archive_entry_set_perm(en.get(), 0644);
      archive_entry_set_size(en.get(), static_cast<la_int64_t>(e.data.size() + e.zeros));
    }
    REQUIRE(archive_write_header(a, en.get()) >= ARCHIVE_WARN);  // WARN: a name not in UTF-8
    if (!e.data.empty()) archive_write_data(a, e.data.data(), e.data.size());
    for (uint64_t left = e.zeros; left > 0;) {
      size_t n = static_cast<size_t>(std::min<uint64_t>(left, zeros.size()));
      REQUIRE(archive_write_data(a, zeros.data(), n) == static_cast<la_ssize_t>(n));
      left -= n;
    }
  }
  REQUIRE(archive_write_close(a) == ARCHIVE_OK);
  return out;
}

inline std::string zip(const std::vector<Entry>& entries) {
  return build(Fmt::Zip, entries, "zip:compression=deflate");
}

}  // namespace postern::test
