// The text of a message's attachments, for the DLP scan: what a person who opens
// each file reads in it.
//
// Contract: `attachment_text(analysis, limits, mail_text, cpu)` visits every
// attachment leaf of the MIME analysis (a leaf with decoded bytes: the message's
// own text is the caller's) and, by what its bytes are (never by its name):
//   - plain text, CSV, XML, JSON, HTML source (no NUL in the first 8 KiB; UTF-16
//     with a byte-order mark is read as UTF-16): the bytes as they are;
//   - Office Open XML (docx, xlsx, pptx) and OpenDocument (odt, ods, odp): the
//     character data of the document's XML parts (xml_text), the files embedded
//     in them as files of their own;
//   - legacy Office (OLE2 .doc .xls .ppt): the printable runs of the document
//     streams, 8-bit and UTF-16LE (the number a person sees is one run); an
//     encrypted OOXML package (an OLE2 file with EncryptionInfo) is unreadable;
//   - PDF: through `pdf` (pdf_reader.hpp: poppler in a reader process of its own,
//     bounded in memory and CPU), within pdf_wall, pdf_pages and the bytes left: a
//     crash or a hang of the reader is this file's "unreadable", never the milter's;
//     all the PDFs of one message together get at most pdf_total of waiting (the
//     milter thread's CPU budget does not see time spent waiting on a reader): a zip
//     of 500 PDFs that each hang costs pdf_total, not 500 deadlines, and the PDFs
//     after it are unread;
//   - archives (zip, 7z, rar, tar, gz, ...) through lib/attach's reader, one
//     ArchiveBudget per message, down to ArchiveLimits::max_depth; encrypted
//     members are opened with the passwords the mail's own text gives
//     (`mail_text`: its text parts; attach::passwords_from_text over their first
//     MiB, searched once, when the first archive is met), else they are unreadable.
// A file that cannot be read (encrypted, too deep, PDF tool failed or timed out,
// CPU budget spent) is listed in `unread` with the reason: DLP cannot vouch for
// it, and policy may act on that (DLP_UNREADABLE). Text stops at max_bytes over
// all files (`limit`). Pure apart from the PDF reader; thread-safe.
#pragma once

#include <chrono>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "attach/archive.hpp"
#include "core/cpu_budget.hpp"

namespace postern::mime {
struct Analysis;
}

namespace postern::dlp {

class PdfReader;

struct TextLimits {
  size_t max_bytes = 8u << 20;                 // text from all attachments of one message
  size_t max_files = 500;                      // files visited (archive members included)
  PdfReader* pdf = nullptr;                    // null reads no PDF (they are unread)
  std::chrono::milliseconds pdf_wall{5000};    // one PDF
  std::chrono::milliseconds pdf_total{10000};  // every PDF of the message together
  unsigned pdf_pages = 200;
  attach::ArchiveLimits archive{};
};

struct FileText {
  std::string where;  // "report.docx (part 2)", "a.zip/b/c.csv (part 2)"
  std::string text;
};

inline constexpr size_t kMaxUnreadNamed = 10;

struct AttachmentText {
  std::vector<FileText> files;
  std::vector<std::string> unread;  // "name (part 2): why", at most kMaxUnreadNamed
  size_t unread_count = 0;
  bool limit = false;  // max_bytes or max_files reached: files after it were not read
};

AttachmentText attachment_text(const mime::Analysis& analysis, const TextLimits& limits,
                               std::span<const std::string_view> mail_text,
                               core::CpuBudget* cpu = nullptr);

// The character data of an XML document part as a reader sees it, at most `max`
// bytes: entity and character references decoded, CDATA kept, comments and
// processing instructions dropped. Runs of one paragraph are joined as they are
// (Word splits "4111 1111" into runs anywhere); the end of a paragraph, heading,
// line break, table row, shared string or list item gives a line break, a tab or a
// table cell gives a tab. Linear; never fails.
std::string xml_text(std::string_view xml, size_t max);

// The text of an OOXML or ODF package's document parts (the body, headers and
// footers, notes, comments, slides, shared strings and cells, document
// properties), at most `max` bytes. Styles, themes, relationships and layouts are
// not read.
std::string package_text(std::span<const attach::Member> members, size_t max);

// Printable runs of at least `min_run` characters, 8-bit (ASCII and Latin-1) and
// UTF-16LE, one per line, at most `max` bytes: the text of a binary document.
std::string printable_runs(std::string_view bytes, size_t max, size_t min_run = 4);

}  // namespace postern::dlp
