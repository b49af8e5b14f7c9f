// File types: libmagic behind a per-thread handle, and the tables that map
// MIME types and extensions to classes (see filetype.hpp).
#include "attach/filetype.hpp"

#include "attach/ole2.hpp"
#include "core/address.hpp"
#include "core/excerpt.hpp"

#include <magic.h>

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cstring>
#include <optional>
#include <utility>

namespace postern::attach {
namespace {

// One libmagic handle per thread: magic_t is not thread-safe.
class MagicHandle {
 public:
  MagicHandle() {
    h_ = magic_open(kFlags);
    if (h_ && magic_load(h_, nullptr) != 0) {
      magic_close(h_);
      h_ = nullptr;
    }
  }
  ~MagicHandle() {
    if (h_) magic_close(h_);
  }
  MagicHandle(const MagicHandle&) = delete;
  MagicHandle& operator=(const MagicHandle&) = delete;
  // libmagic's MIME type of `data`, with `extra` flags for this call only; nullptr
  // when the handle failed to load or libmagic failed.
  const char* buffer(std::string_view data, int extra) const {
    if (!h_) return nullptr;
    if (extra) magic_setflags(h_, kFlags | extra);
    const char* m = magic_buffer(h_, data.data(), data.size());
    if (extra) magic_setflags(h_, kFlags);
    return m;
  }

 private:
  // Compressed files are not looked into (libarchive does that, bounded).
  static constexpr int kFlags = MAGIC_MIME_TYPE | MAGIC_ERROR | MAGIC_NO_CHECK_COMPRESS;
  magic_t h_ = nullptr;
};

constexpr std::pair<FileClass, std::string_view> kClassNames[] = {
    {FileClass::Unknown, "unknown"},
    {FileClass::Text, "text"},
    {FileClass::Image, "image"},
    {FileClass::Media, "media"},
    {FileClass::Pdf, "pdf"},
    {FileClass::OfficeOle, "office-ole"},
    {FileClass::OfficeOoxml, "office-ooxml"},
    {FileClass::Odf, "odf"},
    {FileClass::Rtf, "rtf"},
    {FileClass::OneNote, "onenote"},
    {FileClass::Archive, "archive"},
    {FileClass::DiskImage, "disk-image"},
    {FileClass::Executable, "executable"},
    {FileClass::Script, "script"},
    {FileClass::Shortcut, "shortcut"},
    {FileClass::Html, "html"},
    {FileClass::Calendar, "calendar"},
    {FileClass::Encrypted, "encrypted-office"},
};

// Exact MIME types (libmagic 5.44 names and their older aliases).
constexpr std::pair<std::string_view, FileClass> kMimeTable[] = {
    {"application/vnd.microsoft.portable-executable", FileClass::Executable},
    {"application/x-dosexec", FileClass::Executable},
    {"application/x-msdownload", FileClass::Executable},
    {"application/x-executable", FileClass::Executable},
    {"application/x-sharedlib", FileClass::Executable},
    {"application/x-pie-executable", FileClass::Executable},
    {"application/x-mach-binary", FileClass::Executable},
    {"application/x-msi", FileClass::Executable},
    {"application/x-ms-installer", FileClass::Executable},
    {"application/java-archive", FileClass::Executable},
    {"application/x-java-applet", FileClass::Executable},
    {"application/vnd.android.package-archive", FileClass::Executable},
    {"application/x-ms-shortcut", FileClass::Shortcut},
    {"application/x-iso9660-image", FileClass::DiskImage},
    {"application/x-raw-disk-image", FileClass::DiskImage},
    {"application/x-virtualbox-vhd", FileClass::DiskImage},
    {"application/x-virtualbox-vhdx", FileClass::DiskImage},
    {"application/x-apple-diskimage", FileClass::DiskImage},
    {"application/x-udf-image", FileClass::DiskImage},
    {"application/pdf", FileClass::Pdf},
    {"application/msword", FileClass::OfficeOle},
    {"application/vnd.ms-excel", FileClass::OfficeOle},
    {"application/vnd.ms-powerpoint", FileClass::OfficeOle},
    {"application/vnd.ms-outlook", FileClass::OfficeOle},
    {"application/vnd.ms-office", FileClass::OfficeOle},
    {"application/x-ole-storage", FileClass::OfficeOle},
    {"application/cdfv2", FileClass::OfficeOle},
    {"application/vnd.visio", FileClass::OfficeOle},
    {"application/encrypted", FileClass::Encrypted},
    {"text/rtf", FileClass::Rtf},
    {"application/rtf", FileClass::Rtf},
    {"application/onenote", FileClass::OneNote},
    {"application/zip", FileClass::Archive},
    {"application/x-zip-compressed", FileClass::Archive},
    {"application/x-7z-compressed", FileClass::Archive},
    {"application/x-rar", FileClass::Archive},
    {"application/vnd.rar", FileClass::Archive},
    {"application/x-rar-compressed", FileClass::Archive},
    {"application/gzip", FileClass::Archive},
    {"application/x-gzip", FileClass::Archive},
    {"application/x-bzip2", FileClass::Archive},
    {"application/x-xz", FileClass::Archive},
    {"application/x-lzma", FileClass::Archive},
    {"application/x-lzip", FileClass::Archive},
    {"application/zstd", FileClass::Archive},
    {"application/x-compress", FileClass::Archive},
    {"application/x-tar", FileClass::Archive},
    {"application/x-cpio", FileClass::Archive},
    {"application/vnd.ms-cab-compressed", FileClass::Archive},
    {"application/x-arj", FileClass::Archive},
    {"application/x-lha", FileClass::Archive},
    {"application/x-lzh-compressed", FileClass::Archive},
    {"application/x-ace-compressed", FileClass::Archive},
    {"application/x-ms-compress-szdd", FileClass::Archive},
    {"text/html", FileClass::Html},
    {"application/xhtml+xml", FileClass::Html},
    {"image/svg+xml", FileClass::Html},  // SVG runs script when opened in a browser
    {"text/x-shellscript", FileClass::Script},
    {"text/x-msdos-batch", FileClass::Script},
    {"application/javascript", FileClass::Script},
    {"text/javascript", FileClass::Script},
    {"application/vnd.ms-htmlhelp", FileClass::Script},  // .chm runs script
    {"text/calendar", FileClass::Calendar},
    {"text/vcard", FileClass::Calendar},
};

constexpr std::pair<std::string_view, FileClass> kExtTable[] = {
    {"txt", FileClass::Text},
    {"csv", FileClass::Text},
    {"log", FileClass::Text},
    {"xml", FileClass::Text},
    {"json", FileClass::Text},
    {"md", FileClass::Text},
    {"eml", FileClass::Text},
    {"jpg", FileClass::Image},
    {"jpeg", FileClass::Image},
    {"png", FileClass::Image},
    {"gif", FileClass::Image},
    {"bmp", FileClass::Image},
    {"tif", FileClass::Image},
    {"tiff", FileClass::Image},
    {"webp", FileClass::Image},
    {"heic", FileClass::Image},
    {"ico", FileClass::Image},
    {"mp3", FileClass::Media},
    {"wav", FileClass::Media},
    {"m4a", FileClass::Media},
    {"ogg", FileClass::Media},
    {"mp4", FileClass::Media},
    {"mov", FileClass::Media},
    {"avi", FileClass::Media},
    {"webm", FileClass::Media},
    {"pdf", FileClass::Pdf},
    {"doc", FileClass::OfficeOle},
    {"dot", FileClass::OfficeOle},
    {"xls", FileClass::OfficeOle},
    {"xlt", FileClass::OfficeOle},
    {"ppt", FileClass::OfficeOle},
    {"pps", FileClass::OfficeOle},
    {"pot", FileClass::OfficeOle},
    {"msg", FileClass::OfficeOle},
    {"vsd", FileClass::OfficeOle},
    {"pub", FileClass::OfficeOle},
    {"docx", FileClass::OfficeOoxml},
    {"docm", FileClass::OfficeOoxml},
    {"dotx", FileClass::OfficeOoxml},
    {"dotm", FileClass::OfficeOoxml},
    {"xlsx", FileClass::OfficeOoxml},
    {"xlsm", FileClass::OfficeOoxml},
    {"xlsb", FileClass::OfficeOoxml},
    {"xltx", FileClass::OfficeOoxml},
    {"xltm", FileClass::OfficeOoxml},
    {"xlam", FileClass::OfficeOoxml},
    {"pptx", FileClass::OfficeOoxml},
    {"pptm", FileClass::OfficeOoxml},
    {"ppsx", FileClass::OfficeOoxml},
    {"ppsm", FileClass::OfficeOoxml},
    {"potx", FileClass::OfficeOoxml},
    {"ppam", FileClass::OfficeOoxml},
    {"vsdx", FileClass::OfficeOoxml},
    {"odt", FileClass::Odf},
    {"ods", FileClass::Odf},
    {"odp", FileClass::Odf},
    {"odg", FileClass::Odf},
    {"rtf", FileClass::Rtf},
    {"one", FileClass::OneNote},
    {"onepkg", FileClass::OneNote},
    {"zip", FileClass::Archive},
    {"7z", FileClass::Archive},
    {"rar", FileClass::Archive},
    {"tar", FileClass::Archive},
    {"gz", FileClass::Archive},
    {"tgz", FileClass::Archive},
    {"bz2", FileClass::Archive},
    {"xz", FileClass::Archive},
    {"zst", FileClass::Archive},
    {"cab", FileClass::Archive},
    {"arj", FileClass::Archive},
    {"lzh", FileClass::Archive},
    {"lha", FileClass::Archive},
    {"ace", FileClass::Archive},
    {"z", FileClass::Archive},
    {"cpio", FileClass::Archive},
    {"iso", FileClass::DiskImage},
    {"img", FileClass::DiskImage},
    {"vhd", FileClass::DiskImage},
    {"vhdx", FileClass::DiskImage},
    {"dmg", FileClass::DiskImage},
    {"udf", FileClass::DiskImage},
    {"exe", FileClass::Executable},
    {"dll", FileClass::Executable},
    {"scr", FileClass::Executable},
    {"com", FileClass::Executable},
    {"pif", FileClass::Executable},
    {"cpl", FileClass::Executable},
    {"msi", FileClass::Executable},
    {"msp", FileClass::Executable},
    {"mst", FileClass::Executable},
    {"sys", FileClass::Executable},
    {"ocx", FileClass::Executable},
    {"xll", FileClass::Executable},
    {"jar", FileClass::Executable},
    {"apk", FileClass::Executable},
    {"appx", FileClass::Executable},
    {"msix", FileClass::Executable},
    {"elf", FileClass::Executable},
    {"js", FileClass::Script},
    {"jse", FileClass::Script},
    {"vbs", FileClass::Script},
    {"vbe", FileClass::Script},
    {"wsf", FileClass::Script},
    {"wsh", FileClass::Script},
    {"wsc", FileClass::Script},
    {"ps1", FileClass::Script},
    {"psm1", FileClass::Script},
    {"bat", FileClass::Script},
    {"cmd", FileClass::Script},
    {"hta", FileClass::Script},
    {"sct", FileClass::Script},
    {"reg", FileClass::Script},
    {"chm", FileClass::Script},
    {"sh", FileClass::Script},
    {"py", FileClass::Script},
    {"inf", FileClass::Script},
    {"msc", FileClass::Script},
    {"lnk", FileClass::Shortcut},
    {"url", FileClass::Shortcut},
    {"scf", FileClass::Shortcut},
    {"settingcontent-ms", FileClass::Shortcut},
    {"library-ms", FileClass::Shortcut},
    {"search-ms", FileClass::Shortcut},
    {"html", FileClass::Html},
    {"htm", FileClass::Html},
    {"shtml", FileClass::Html},
    {"xhtml", FileClass::Html},
    {"svg", FileClass::Html},
    {"mht", FileClass::Html},
    {"mhtml", FileClass::Html},
    {"ics", FileClass::Calendar},
    {"vcf", FileClass::Calendar},
    {"ttf", FileClass::Unknown},
};

// OneNote's file format GUID (MS-ONESTORE), which libmagic 5.44 does not know.
constexpr unsigned char kOneNoteMagic[] = {0xE4, 0x52, 0x5C, 0x7B, 0x8C, 0xD8, 0xA7, 0x4D,
                                           0xAE, 0xB1, 0x53, 0x78, 0xD0, 0x29, 0x96, 0xD3};

// Decodes the UTF-8 sequence at s[i] (advancing i); invalid bytes read as U+FFFD.
char32_t next_cp(std::string_view s, size_t& i) {
  auto b = static_cast<unsigned char>(s[i]);
  size_t n = b < 0x80 ? 1 : (b >> 5) == 6 ? 2 : (b >> 4) == 14 ? 3 : (b >> 3) == 30 ? 4 : 0;
  if (n == 0 || i + n > s.size()) {
    ++i;
    return 0xFFFD;
  }
  char32_t cp = n == 1 ? b : n == 2 ? (b & 0x1F) : n == 3 ? (b & 0x0F) : (b & 0x07);
  for (size_t k = 1; k < n; ++k) {
    auto c = static_cast<unsigned char>(s[i + k]);
    if ((c & 0xC0) != 0x80) {
      ++i;
      return 0xFFFD;
    }
    cp = (cp << 6) | (c & 0x3F);
  }
  i += n;
  return cp;
}

bool is_bidi(char32_t c) {
  return (c >= 0x202A && c <= 0x202E) || (c >= 0x2066 && c <= 0x2069) || c == 0x200E ||
         c == 0x200F || c == 0x061C;
}

bool is_invisible(char32_t c) {
  return c == 0x00AD || c == 0x034F || (c >= 0x200B && c <= 0x200D) || c == 0x2060 ||
         (c >= 0x2061 && c <= 0x2064) || c == 0xFEFF || c == 0x180E || c == 0x3164 || c == 0xFFA0 ||
         (c >= 0xFE00 && c <= 0xFE0F) || (c >= 0xE0000 && c <= 0xE0FFF);
}

// The extension of `name` (after its last dot), lower case, "" when none or too long.
std::string last_extension(std::string_view name) {
  size_t dot = name.rfind('.');
  if (dot == std::string_view::npos || dot + 1 >= name.size()) return {};
  std::string_view ext = name.substr(dot + 1);
  if (ext.size() > 20 || ext.find_first_of(" /\\") != std::string_view::npos) return {};
  return core::to_lower(ext);
}

}  // namespace

std::string_view to_string(FileClass c) {
  for (const auto& [k, n] : kClassNames)
    if (k == c) return n;
  return "unknown";
}

bool parse_class(std::string_view s, FileClass& out) {
  for (const auto& [k, n] : kClassNames)
    if (n == s) {
      out = k;
      return true;
    }
  return false;
}

FileClass classify(std::string_view mime) {
  std::string m = core::to_lower(mime.substr(0, mime.find(';')));
  for (const auto& [name, cls] : kMimeTable)
    if (name == m) return cls;
  auto starts = [&](std::string_view p) { return m.compare(0, p.size(), p) == 0; };
  if (starts("application/vnd.openxmlformats-officedocument.") ||
      (starts("application/vnd.ms-") && m.find("macroenabled") != std::string::npos))
    return FileClass::OfficeOoxml;
  if (starts("application/vnd.oasis.opendocument.")) return FileClass::Odf;
  if (starts("image/")) return FileClass::Image;
  if (starts("audio/") || starts("video/")) return FileClass::Media;
  if (starts("text/") || m == "application/json" || m == "application/xml") return FileClass::Text;
  return FileClass::Unknown;
}

FileClass extension_class(std::string_view ext) {
  for (const auto& [name, cls] : kExtTable)
    if (name == ext) return cls;
  return FileClass::Unknown;
}

namespace {

uint32_t le32(std::string_view d, size_t at) {
  return uint32_t(uint8_t(d[at])) | uint32_t(uint8_t(d[at + 1])) << 8 |
         uint32_t(uint8_t(d[at + 2])) << 16 | uint32_t(uint8_t(d[at + 3])) << 24;
}
uint16_t le16(std::string_view d, size_t at) {
  return uint16_t(uint8_t(d[at]) | uint8_t(d[at + 1]) << 8);
}

// An OLE2 Office document named by its streams, as libmagic names it; nullopt for
// anything else (installers, other compound files): libmagic decides those.
std::optional<std::string> ole2_type(std::string_view data) {
  auto f = Ole2File::open(data);
  if (!f || f->entries().empty()) return std::nullopt;
  // Windows Installer's CLSIDs {000C108x-0000-0000-C000-000000000046} (MSI, MSP, MST).
  const uint8_t* id = f->entries().front().clsid;
  if (id[1] == 0x10 && id[2] == 0x0C && id[3] == 0x00 && id[8] == 0xC0 && id[15] == 0x46)
    return std::nullopt;
  auto has = [&](std::string_view name) { return f->find(name) != nullptr; };
  if (has("EncryptedPackage")) return "application/encrypted";
  if (has("WordDocument")) return "application/msword";
  if (has("Workbook") || has("Book")) return "application/vnd.ms-excel";
  if (has("PowerPoint Document")) return "application/vnd.ms-powerpoint";
  return std::nullopt;
}

// A zip named by the member names of its first kMagicBytes, as libmagic names it (it
// reads no further): an Office Open XML or OpenDocument package, or a plain zip.
// nullopt when it could be a Java or Android package, or its names cannot be
// walked (data descriptors, a cut header): libmagic decides those.
std::optional<std::string> zip_type(std::string_view data) {
  std::string_view d = data.substr(0, std::min(data.size(), kMagicBytes));
  bool content_types = false, word = false, xl = false, ppt = false;
  size_t pos = 0, n = 0;
  while (pos + 30 <= d.size() && le32(d, pos) == 0x04034b50 && n < 256) {
    const uint16_t flags = le16(d, pos + 6), method = le16(d, pos + 8);
    const uint32_t csize = le32(d, pos + 18);
    const uint16_t nlen = le16(d, pos + 26), xlen = le16(d, pos + 28);
    if (pos + 30 + nlen > d.size()) return std::nullopt;
    std::string_view name = d.substr(pos + 30, nlen);
    if (name.starts_with("META-INF/") || name.ends_with(".class") ||
        name == "AndroidManifest.xml" || name == "classes.dex")
      return std::nullopt;
    const size_t body = pos + 30 + nlen + xlen;
    if (n == 0 && name == "mimetype" && method == 0 && body <= d.size()) {
      std::string_view mt = d.substr(body, std::min<size_t>(csize, 100));
      if (mt.starts_with("application/vnd.oasis.opendocument.")) return std::string(mt);
    }
    content_types |= name == "[Content_Types].xml";
    word |= name.starts_with("word/");
    xl |= name.starts_with("xl/");
    ppt |= name.starts_with("ppt/");
    if (flags & 0x08) return std::nullopt;  // sizes after the data: it cannot be skipped
    pos = body + csize;
    ++n;
  }
  if (content_types) {
    if (word) return "application/vnd.openxmlformats-officedocument.wordprocessingml.document";
    if (xl) return "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
    if (ppt) return "application/vnd.openxmlformats-officedocument.presentationml.presentation";
    return std::nullopt;
  }
  // The walk reached the central directory: every member seen, none a package's.
  if (n > 0 && pos + 4 <= d.size() && le32(d, pos) == 0x02014b50) return "application/zip";
  return std::nullopt;
}

// The length of the well-formed UTF-8 sequence of a code point U+00A0 or above at
// s[i] (no overlong forms, surrogates or C1 controls); 0 for anything else,
// including a sequence the end of `s` cuts.
size_t utf8_text_len(std::string_view s, size_t i) {
  const auto b = static_cast<unsigned char>(s[i]);
  const size_t n = (b >> 5) == 6 ? 2 : (b >> 4) == 14 ? 3 : (b >> 3) == 30 ? 4 : 0;
  if (n == 0 || i + n > s.size()) return 0;
  char32_t cp = n == 2 ? (b & 0x1F) : n == 3 ? (b & 0x0F) : (b & 0x07);
  for (size_t k = 1; k < n; ++k) {
    const auto c = static_cast<unsigned char>(s[i + k]);
    if ((c & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (c & 0x3F);
  }
  constexpr char32_t kMin[] = {0, 0, 0xA0, 0x800, 0x10000};
  if (cp < kMin[n] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
  return n;
}

// `w` lower-cased when it is plain text in the strictest sense: printable ASCII,
// tab, CR and LF, and well-formed UTF-8 (no BOM); nullopt for anything else (other
// control characters, NULs, another encoding, UTF-16).
std::optional<std::string> lower_text(std::string_view w) {
  if (w.empty() || w.starts_with("\xEF\xBB\xBF")) return std::nullopt;
  std::string out(w.size(), '\0');
  for (size_t i = 0; i < w.size();) {
    const auto b = static_cast<unsigned char>(w[i]);
    if (b >= 0x80) {
      const size_t n = utf8_text_len(w, i);
      if (n == 0) return std::nullopt;
      std::memcpy(out.data() + i, w.data() + i, n);
      i += n;
      continue;
    }
    if (b < 0x20 ? b != '\t' && b != '\n' && b != '\r' : b == 0x7F) return std::nullopt;
    out[i++] = static_cast<char>(b >= 'A' && b <= 'Z' ? b + 32 : b);
  }
  return out;
}

// True when libmagic's text tests (its soft tests for text, run only on what reads
// as text) could name `t` (lower-cased text) anything but text of class Text:
// every one of those tests in libmagic 5.44 that names another class (scripts,
// HTML, SVG, mail and news, netpbm images, PDF, Windows shortcuts, subtitles,
// ebuilds) starts with or searches for what is looked for here, and more:
// a '<' in the first 8 KiB (every HTML, SVG and XML test), a first line that reads
// like a header ("Received:", "BEGIN:"), "#!" near the start, and the JavaScript
// markers anywhere.
bool text_test_could_match(std::string_view t) {
  constexpr std::string_view kLeading = "#<@[%!";
  if (kLeading.find(t.front()) != std::string_view::npos) return true;
  if (t.substr(0, 8 << 10).find('<') != std::string_view::npos) return true;
  // A first line "Token:": mail and news headers, vCard, vCalendar.
  size_t i = t.find_first_not_of(" \t\r\n");
  const size_t tok = i;
  while (i < t.size() && (std::isalnum(static_cast<unsigned char>(t[i])) || t[i] == '-')) ++i;
  if (i > tok && i < t.size() && t[i] == ':') return true;
  for (std::string_view start : {"article", "forward to", "pipe to", "1\r", "1\n"})
    if (t.starts_with(start)) return true;
  for (std::string_view pbm : {"p1", "p2", "p3"})
    if (t.substr(0, 2) == pbm || t.substr(1, 2) == pbm) return true;
  auto near = [&](std::string_view what, size_t within) {
    return t.substr(0, within).find(what) != std::string_view::npos;
  };
  if (near("#!", 64) || near("%pdf-", 512) || near("internetshortcut", 128) ||
      near("eapi=", 1024) || near("@eclass", 1024))
    return true;
  for (std::string_view js : {"use strict", "require(", "module.exports", "module[", "(function",
                              "(async function", "typeof", "__bundle_start_time__"})
    if (t.find(js) != std::string_view::npos) return true;
  // "import" or "export" at the start of a line (JavaScript modules).
  for (size_t at = 0; at < t.size();) {
    const size_t word = t.find_first_not_of(" \t", at);
    if (word == std::string_view::npos) break;
    if (t.compare(word, 6, "import") == 0 || t.compare(word, 6, "export") == 0) return true;
    at = t.find('\n', word);
    if (at == std::string_view::npos) break;
    ++at;
  }
  return false;
}

MagicHandle& magic() {
  thread_local MagicHandle handle;
  return handle;
}

}  // namespace

Detected detect_with_libmagic(std::string_view data) {
  const char* m = magic().buffer(data.substr(0, std::min(data.size(), kMagicBytes)), 0);
  Detected d;
  d.mime = m ? core::to_lower(m) : std::string("application/octet-stream");
  d.cls = classify(d.mime);
  return d;
}

bool plain_text(std::string_view data) {
  const auto lower = lower_text(data.substr(0, std::min(data.size(), kMagicBytes)));
  return lower && !text_test_could_match(*lower);
}

Detected detect(std::string_view data) {
  if (data.size() >= sizeof kOneNoteMagic &&
      std::memcmp(data.data(), kOneNoteMagic, sizeof kOneNoteMagic) == 0)
    return {"application/onenote", FileClass::OneNote};
  // The commonest attachments by their fixed signatures at offset 0, as libmagic names
  // them: libmagic costs 0.5-1 ms a file (its hundreds of soft tests), these nothing.
  // Everything else, and anything these signatures could be mistaken for, goes to it.
  static constexpr std::pair<std::string_view, std::string_view> kFast[] = {
      {"%PDF-", "application/pdf"},   {"\x89PNG\r\n\x1a\n", "image/png"},
      {"\xFF\xD8\xFF", "image/jpeg"}, {"GIF87a", "image/gif"},
      {"GIF89a", "image/gif"},
  };
  for (const auto& [sig, mime] : kFast)
    if (data.substr(0, sig.size()) == sig) return {std::string(mime), classify(mime)};
  // The formats postern reads itself, named from what it reads (a compound file's
  // streams, a zip's member names) as libmagic names them, without its soft tests.
  std::optional<std::string> own;
  if (data.starts_with("{\\rtf"))
    own = "text/rtf";
  else if (data.starts_with(std::string_view("\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1", 8)))
    own = ole2_type(data);
  else if (data.starts_with("PK\x03\x04"))
    own = zip_type(data);
  if (own) return {*own, classify(*own)};
  if (data.empty()) return {"application/x-empty", FileClass::Unknown};
  // Text: libmagic's binary tests still run (any signature it knows wins), its text
  // pass (hundreds of regular expressions over the first 8 KiB) only when it could
  // name the file anything but text of class Text.
  if (plain_text(data))
    if (const char* m = magic().buffer(data.substr(0, std::min(data.size(), kMagicBytes)),
                                       MAGIC_NO_CHECK_TEXT)) {
      std::string mime = core::to_lower(m);
      if (mime == "application/octet-stream") return {"text/plain", FileClass::Text};
      return {mime, classify(mime)};
    }
  return detect_with_libmagic(data);
}

NameFacts name_facts(std::string_view name) {
  NameFacts f;
  // Code point facts over the whole name.
  for (size_t i = 0; i < name.size();) {
    char32_t c = next_cp(name, i);
    if (is_bidi(c)) f.bidi_control = true;
    if (is_invisible(c)) f.invisible = true;
    if (c < 0x20 || c == 0x7F || (c >= 0x80 && c < 0xA0)) f.control = true;
  }
  // Windows strips trailing dots and spaces: "a.exe. " runs as a.exe.
  std::string_view n = name;
  bool stripped = false;
  while (!n.empty() && (n.back() == '.' || n.back() == ' ')) {
    n.remove_suffix(1);
    stripped = true;
  }
  f.extension = last_extension(n);
  // Only a trick when an extension is left to hide ("a.exe." runs; "notes." is just odd).
  f.trailing_dots_or_spaces = stripped && !f.extension.empty();
  if (!f.extension.empty()) {
    std::string_view stem = n.substr(0, n.size() - f.extension.size() - 1);
    // Padding that pushes the real extension out of view: "invoice.pdf        .exe".
    size_t run = 0;
    for (size_t k = stem.size(); k > 0; --k) {
      char c = stem[k - 1];
      if (c != ' ' && c != '.' && c != '_' && c != '\t') break;
      ++run;
    }
    if (run >= 8) f.padded = true;
    while (!stem.empty() && (stem.back() == ' ' || stem.back() == '.' || stem.back() == '_'))
      stem.remove_suffix(1);
    f.inner_extension = last_extension(stem);
  }
  return f;
}

std::string shown_name(std::string_view name) {
  std::string out;
  for (size_t i = 0; i < name.size() && out.size() < 512;) {
    const size_t start = i;
    const char32_t c = next_cp(name, i);
    if (is_bidi(c) || is_invisible(c))
      out += fmt::format("<U+{:04X}>", static_cast<uint32_t>(c));
    else
      out.append(name.substr(start, i - start));
  }
  return core::excerpt(core::mask(out), 0, out.size());
}

bool compatible(FileClass a, FileClass b) {
  if (a == b) return true;
  auto zip_family = [](FileClass c) {
    return c == FileClass::Archive || c == FileClass::OfficeOoxml || c == FileClass::Odf;
  };
  auto text_family = [](FileClass c) {
    return c == FileClass::Text || c == FileClass::Script || c == FileClass::Html ||
           c == FileClass::Calendar;
  };
  auto ole_family = [](FileClass c) {
    return c == FileClass::OfficeOle || c == FileClass::Encrypted || c == FileClass::OfficeOoxml;
  };
  if (zip_family(a) && zip_family(b)) return true;
  if (text_family(a) && text_family(b)) return true;
  // An encrypted OOXML package is an OLE2 file; a .doc may be read as either.
  if ((a == FileClass::Encrypted || b == FileClass::Encrypted) && ole_family(a) && ole_family(b))
    return true;
  return false;
}

}  // namespace postern::attach
