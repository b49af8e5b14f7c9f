// File types: what a file really is (libmagic), what its name and its
// declared Content-Type claim, and the name tricks that make the two differ
// in a user's eyes.
//
// Contract: `detect(data)` asks libmagic for the MIME type of the file's first
// bytes (at most kMagicBytes: cost bounded whatever the size) with one magic
// handle per thread (thread_local, opened and loaded on first use: the first
// call on a thread pays ~10 ms to load the database). A libmagic failure
// yields "application/octet-stream" and class Unknown, never an exception.
// libmagic costs 0.5-1 ms a file (its hundreds of soft tests), so the formats
// postern reads itself are named without it, as it names them: PDF, PNG, JPEG,
// GIF and RTF by their signature, OLE2 Word, Excel, PowerPoint and encrypted
// OOXML files by their streams (installers and other compound files go to
// libmagic), zips by the member names of their first kMagicBytes (OOXML, ODF,
// plain; anything that could be a Java or Android package goes to libmagic).
// Text (printable ASCII, tab, CR, LF and well-formed UTF-8 only) skips libmagic's
// text pass (its regular expressions: 1-4 ms a file) and is named text/plain when
// nothing in it could make that pass name another class (a '<' in the first 8 KiB,
// a header-like first line, "#!", JavaScript markers, ...: see filetype.cpp);
// libmagic's binary tests still run on it. Anything doubtful gets all of libmagic.
// `classify` maps a MIME type, `extension_class` an extension, to a FileClass.
// `name_facts` reads a filename the strictest way Windows and mail clients
// could: the extension is what follows the last dot after trailing dots and
// spaces are stripped (Windows strips them), bidi controls and invisible
// characters are reported, not skipped. All functions are pure apart from the
// per-thread handle; linear in their input.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace postern::attach {

// Coarse file classes, named in policy (`banned_types`): the unit a type
// mismatch and a type ban are judged in.
enum class FileClass {
  Unknown,  // libmagic found nothing it knows (application/octet-stream)
  Text,     // plain text, CSV, XML, JSON
  Image,
  Media,  // audio and video
  Pdf,
  OfficeOle,    // .doc .xls .ppt .msg (OLE2 compound files)
  OfficeOoxml,  // .docx .xlsx .pptx and their macro forms
  Odf,          // OpenDocument
  Rtf,
  OneNote,
  Archive,     // zip 7z rar tar gz bz2 xz cab arj lzh ace
  DiskImage,   // iso img vhd vhdx dmg
  Executable,  // PE, ELF, Mach-O, MSI, DLL
  Script,      // js vbs ps1 bat cmd hta wsf sh, Java archives
  Shortcut,    // lnk url scf settingcontent-ms
  Html,        // html htm svg xhtml shtml mht
  Calendar,    // ics vcf
  Encrypted,   // an encrypted OOXML package (CDFV2 Encrypted)
};

std::string_view to_string(FileClass c);
// The class named `s` in policy ("executable", "disk-image", ...), false when none.
bool parse_class(std::string_view s, FileClass& out);

inline constexpr size_t kMagicBytes = 64 << 10;

struct Detected {
  std::string mime;  // libmagic's MIME type, lower case
  FileClass cls = FileClass::Unknown;
};
Detected detect(std::string_view data);
// True when detect() names `data` text without libmagic's text pass (see above).
bool plain_text(std::string_view data);
// libmagic's answer alone (what detect() names PDF, PNG, JPEG, GIF, RTF, OLE2 Office
// documents, zips and text without it must agree with this: a test holds them together).
Detected detect_with_libmagic(std::string_view data);

FileClass classify(std::string_view mime);
// `ext` lower case, without the dot; Unknown for an extension not in the table.
FileClass extension_class(std::string_view ext);

struct NameFacts {
  std::string extension;        // lower case, no dot; "" when none
  std::string inner_extension;  // the one before it ("pdf" of "bill.pdf.exe"), "" when none
  bool trailing_dots_or_spaces = false;  // "invoice.exe. " (Windows drops them)
  bool bidi_control = false;             // U+202A..202E, U+2066..2069, U+200E/F, U+061C
  bool invisible = false;                // zero-width and other default-ignorable code points
  bool control = false;                  // C0/C1 controls, DEL
  bool padded = false;                   // a run of 8 or more spaces or dots or underscores before
                                         // the extension: pushes it out of view in a client
};
NameFacts name_facts(std::string_view utf8_name);

// The name as a finding's detail shows it: the bidi controls and invisible code
// points name_facts reports escaped ("<U+202E>"), never applied to a header;
// personal data masked; at most core::kExcerptMax code points.
std::string shown_name(std::string_view name);

// True when the two classes could be the same file: an OOXML or ODF package is
// a zip; text and HTML and scripts are all text to a reader.
bool compatible(FileClass a, FileClass b);

}  // namespace postern::attach
