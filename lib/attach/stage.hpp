// AttachStage: every attachment, and every file inside one, judged as a file.
//
// Contract: a content stage, run right after the mime stage ("mime.analysis").
// The files are the analysis' leaves that are not the message text: every
// non-text leaf, and a text leaf that names a file or is an attachment. Each
// file is read from the bytes the MIME engine decoded (mime::Leaf::data: no
// part is decoded twice) and checked in this order:
//   1. known-good hash feed: a listed file skips every check below;
//   2. name: bidi controls, invisible or control characters, padding, trailing
//      dots, a document extension hiding an executable one; a file with two names
//      (a Content-Type name that is not its filename) has both checked, here and
//      in step 3, as a client could show either;
//   3. type: libmagic's class against the name's and the declared type's
//      (ATTACH_TYPE_MISMATCH), and the policy's bans by extension or class
//      (ATTACH_BANNED);
//   4. known-bad hash feeds (ATTACH_HASH_FEED);
//   5. content, by what the file is: an archive is expanded one level
//      (archive.hpp, one ArchiveBudget per message, passwords from the mail's
//      visible text) and every member goes through 1-7 as a file of its own,
//      down to ArchiveLimits::max_depth; an Office Open XML package gets its
//      container checks (ooxml.hpp) and its vbaProject.bin the VBA checks; an
//      OLE2 file the Office checks (office.hpp); a PDF the active-content checks
//      (pdf.hpp; its embedded files are files too); an HTML or SVG file the
//      smuggling checks (html_attach.hpp);
//   6. YARA rules (the service "attach.yara"), on every file;
//   7. ClamAV (the service "attach.clamav") on every top-level file (ClamAV
//      opens archives itself) and on the members of archives that only postern
//      could open (with a password from the text). A ClamAV error is the
//      stage's error: its on_error action (tempfail by default) applies;
//   8. with a sandbox configured, a file of a class the [sandbox] policy sends
//      is kept (SandboxCandidates, once per SHA-256) for the sandbox stage.
// Hits become one finding per symbol, scored from the catalogue (a graded hit
// keeps its own score: the highest), the detail naming the first files where it
// was found ("name (part 1.2)" or "outer.zip/inner/x.exe (part 1.2)", masked,
// at most kMaxNamed) and how many more. The files are put on the transaction
// (AttachReport) for the event (postern.attachments[], email.attachments[]),
// with the URLs PDF and OOXML files link to (for the url stage).
// At most kMaxFiles files are checked (ATTACH_LIMIT beyond). Ticks the CPU
// budget per file; the archive reader stops when it is spent. Immutable,
// shared by threads.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "attach/archive.hpp"
#include "attach/attach_policy.hpp"
#include "attach/engines.hpp"
#include "attach/hash_feed.hpp"
#include "attach/hit.hpp"
#include "attach/sandbox_stage.hpp"
#include "core/stage.hpp"

namespace postern::attach {

inline constexpr size_t kMaxFiles = 1000;
inline constexpr size_t kMaxNamed = 3;

// One file as the event reports it.
struct FileReport {
  std::string name;          // as the message names it (UTF-8), "" when unnamed
  std::string other_name;    // a second name the message gives it (Content-Type name), or ""
  std::string part;          // the MIME part path
  std::string archive_path;  // inside archives: "outer.zip/inner.7z/x.exe", "" at top level
  std::string declared;      // the Content-Type (top level) or "" (archive member)
  std::string detected;      // libmagic's MIME type
  FileClass cls = FileClass::Unknown;
  std::string sha256;
  size_t size = 0;
  bool known_good = false;
  std::vector<std::string> symbols;  // the ATTACH_* symbols this file raised
};

// A URL a file links to (a PDF /URI action, an Office document's external
// relationship), for lib/url's url stage.
struct FileUrl {
  std::string url;
  std::string part;    // the MIME part path of the (outer) file
  std::string source;  // "pdf" or "ooxml"
};

inline constexpr size_t kMaxFileUrls = 500;

struct AttachReport {
  std::vector<FileReport> files;
  size_t files_skipped = 0;   // beyond kMaxFiles
  std::vector<FileUrl> urls;  // at most kMaxFileUrls, of all files
};

// Which files the stage keeps for the sandbox stage (sandbox_stage.hpp).
struct SandboxPick {
  std::vector<FileClass> types;
  size_t max_files = 5;
  size_t max_bytes = 0;  // a larger file is noted without its bytes
  policy::Directions directions{true, false};
};

// The services the stage asks, each null when not configured.
struct Engines {
  std::shared_ptr<HashFeeds> feeds{};
  std::shared_ptr<AvScanner> av{};
  std::shared_ptr<const YaraRules> yara{};
  int yara_timeout_s = 5;
  std::optional<SandboxPick> sandbox{};  // set when [sandbox] is configured and enabled
};

class AttachStage final : public core::Stage {
 public:
  AttachStage(AttachPolicy policy, Engines engines);
  std::string_view name() const override { return "attach"; }
  bool content() const override { return true; }
  core::Step on_message(core::Transaction& tx) const override;

  // One file's name, type, ban and hash checks (steps 1-4 above), its hits
  // appended to `hits`; public for tests.
  void check_file(const HashFeeds::Set* feeds, std::string_view data, FileReport& file,
                  std::vector<Hit>& hits) const;

 private:
  struct Walk;
  void scan_file(Walk& w, std::string_view data, FileReport file, unsigned depth,
                 bool antivirus) const;
  void content_checks(Walk& w, std::string_view data, const FileReport& file, unsigned depth,
                      std::vector<Hit>& hits) const;

  AttachPolicy policy_;
  Engines engines_;
};

}  // namespace postern::attach
