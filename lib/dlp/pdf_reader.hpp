// The text of PDF attachments, read by postern-pdftext (tools/pdftext): a reader
// process that links poppler and outlives one request. poppler parses hostile bytes
// there, not in the milter: the reader is bounded in memory (RLIMIT_AS, set as it
// starts) and in CPU per PDF (RLIMIT_CPU moved forward before each one), and a
// crash, a hang or garbage costs that PDF ("unreadable"), never the milter.
// Starting a reader costs about 15 ms of CPU (dynamic loading) and reading a PDF
// a few, so readers are kept and reused: at most `readers` at once, each retired
// after `max_requests` PDFs.
//
// Contract: PdfReader::read() may be called from any thread. It takes an idle
// reader (starting one when fewer than `readers` run, else waiting for one until
// the deadline), sends the PDF and waits for the text until the deadline. A reader
// that misses the deadline, dies or breaks the protocol is killed (SIGKILL),
// reaped and dropped; the next call starts a fresh one. Readers start through
// posix_spawn (the milter's page tables are not copied), with the socket to this
// process as stdin and stdout, stderr on /dev/null, no other descriptor and an
// empty environment. The destructor kills and reaps every reader.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>
#include "core/expected.hpp"

namespace postern::dlp {

// The protocol on the reader's stdin/stdout (a socket), integers 4-byte little-endian:
//   request: size, pages, max_out; then `size` bytes of PDF;
//   reply:   status, length; then `length` (<= max_out) bytes of UTF-8 text.
namespace pdf_wire {
inline constexpr uint32_t kMaxInput = 256u << 20;
inline void put32(std::string& out, uint32_t v) {
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}
inline uint32_t get32(const char* p) {
  uint32_t v = 0;
  for (int i = 3; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(p[i]);
  return v;
}
enum Status : uint32_t {
  kText = 0,       // the text of the first `pages` pages
  kTruncated = 1,  // the text reached max_out and was cut there
  kDamaged = 2,    // poppler cannot open it
  kLocked = 3,     // encrypted with a password
};
}  // namespace pdf_wire

struct PdfReaderOptions {
  std::string program;          // absolute path of postern-pdftext
  size_t memory = 1u << 30;     // RLIMIT_AS of a reader, bytes
  unsigned cpu_seconds = 5;     // CPU per PDF
  unsigned readers = 2;         // readers at once
  unsigned max_requests = 500;  // PDFs a reader reads before it is retired

  bool operator==(const PdfReaderOptions&) const = default;
};

struct PdfText {
  std::string text;
  bool truncated = false;  // cut at max_out
};

class PdfReader {
 public:
  explicit PdfReader(PdfReaderOptions options);
  ~PdfReader();
  PdfReader(const PdfReader&) = delete;
  PdfReader& operator=(const PdfReader&) = delete;

  // The text of the first `pages` pages, at most `max_out` bytes, or why not, one
  // phrase ("encrypted with a password", "no answer before the deadline",
  // "the reader died (signal 24: CPU limit)", "cannot start /x: No such file").
  postern::expected<PdfText, std::string> read(std::string_view pdf, unsigned pages, size_t max_out,
                                               std::chrono::milliseconds wall);

  const PdfReaderOptions& options() const { return options_; }
  unsigned started() const;  // readers started so far (for tests and metrics)

 private:
  struct Worker {
    int pid = -1;
    int fd = -1;  // our end of the socket
    unsigned served = 0;
  };
  postern::expected<Worker, std::string> acquire(std::chrono::steady_clock::time_point until);
  void release(Worker w);
  void discard(Worker& w);
  postern::expected<Worker, std::string> spawn();

  PdfReaderOptions options_;
  mutable std::mutex mutex_;
  std::condition_variable free_;
  std::vector<Worker> idle_;
  unsigned running_ = 0;
  unsigned started_ = 0;
};

}  // namespace postern::dlp
