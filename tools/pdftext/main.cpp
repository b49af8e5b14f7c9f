// postern-pdftext: the PDF text reader of DLP. lib/dlp/pdf_reader.hpp starts it and
// speaks its protocol (dlp::pdf_wire) over stdin/stdout; nobody else runs it.
//
// poppler parses hostile bytes in this process, which links nothing of postern but
// that header's constants. Bounds: the address space (--memory BYTES, RLIMIT_AS, set
// before any PDF is read) and the CPU of each PDF (--cpu SECONDS: the soft
// RLIMIT_CPU is moved to what this process has used plus that before each request,
// so SIGXCPU ends a PDF that spins). The wall-clock deadline is the client's: it
// kills this process. Requests are served one at a time until stdin ends; a
// request larger than pdf_wire::kMaxInput ends the process (exit 2).
#include <sys/resource.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include <poppler/cpp/poppler-document.h>
#include <poppler/cpp/poppler-global.h>
#include <poppler/cpp/poppler-page.h>

#include "dlp/pdf_reader.hpp"

namespace {

namespace wire = postern::dlp::pdf_wire;

bool read_exact(char* out, size_t n) {
  size_t got = 0;
  while (got < n) {
    ssize_t k = ::read(0, out + got, n - got);
    if (k > 0) {
      got += static_cast<size_t>(k);
    } else if (k < 0 && errno == EINTR) {
      continue;
    } else {
      return false;
    }
  }
  return true;
}

bool write_all(const char* p, size_t n) {
  while (n > 0) {
    ssize_t k = ::write(1, p, n);
    if (k > 0) {
      p += k;
      n -= static_cast<size_t>(k);
    } else if (k < 0 && errno == EINTR) {
      continue;
    } else {
      return false;
    }
  }
  return true;
}

bool reply(uint32_t status, const std::string& text) {
  std::string out;
  wire::put32(out, status);
  wire::put32(out, static_cast<uint32_t>(text.size()));
  out += text;
  return write_all(out.data(), out.size());
}

void cpu_for_next(unsigned seconds) {
  if (seconds == 0) return;
  rusage u{};
  ::getrusage(RUSAGE_SELF, &u);
  rlimit r{};
  ::getrlimit(RLIMIT_CPU, &r);
  r.rlim_cur = static_cast<rlim_t>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) + seconds + 1;
  if (r.rlim_max != RLIM_INFINITY && r.rlim_cur > r.rlim_max) r.rlim_cur = r.rlim_max;
  ::setrlimit(RLIMIT_CPU, &r);
}

void quiet(const std::string&, void*) {}

}  // namespace

int main(int argc, char** argv) {
  unsigned long long memory = 0;
  unsigned cpu = 0;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string k = argv[i];
    if (k == "--memory") {
      memory = std::strtoull(argv[i + 1], nullptr, 10);
    } else if (k == "--cpu") {
      cpu = static_cast<unsigned>(std::strtoul(argv[i + 1], nullptr, 10));
    } else {
      return 64;
    }
  }
#if defined(__SANITIZE_ADDRESS__)
  memory = 0;  // ASan's shadow memory alone is larger than any bound (sanitizer builds only)
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
  memory = 0;
#endif
#endif
  if (memory) {
    rlimit r{static_cast<rlim_t>(memory), static_cast<rlim_t>(memory)};
    if (::setrlimit(RLIMIT_AS, &r) != 0) return 71;
  }
  poppler::set_debug_error_function(quiet, nullptr);

  std::vector<char> pdf;
  for (;;) {
    char header[12];
    if (!read_exact(header, sizeof header)) return 0;  // the client closed: done
    const uint32_t size = wire::get32(header), pages = wire::get32(header + 4),
                   max_out = wire::get32(header + 8);
    if (size > wire::kMaxInput || max_out > wire::kMaxInput) return 2;
    pdf.resize(size);
    if (!read_exact(pdf.data(), size)) return 0;
    cpu_for_next(cpu);

    std::unique_ptr<poppler::document> doc(
        poppler::document::load_from_raw_data(pdf.data(), static_cast<int>(size)));
    if (!doc) {
      if (!reply(wire::kDamaged, {})) return 0;
      continue;
    }
    if (doc->is_locked()) {
      if (!reply(wire::kLocked, {})) return 0;
      continue;
    }
    std::string text;
    uint32_t status = wire::kText;
    const int n =
        std::min<int>(doc->pages(), static_cast<int>(std::min<uint32_t>(pages, 1u << 20)));
    for (int i = 0; i < n && status == wire::kText; ++i) {
      std::unique_ptr<poppler::page> page(doc->create_page(i));
      if (!page) continue;
      const auto bytes =
          page->text(poppler::rectf(), poppler::page::non_raw_non_physical_layout).to_utf8();
      text.append(bytes.begin(), bytes.end());
      text += '\n';
      if (text.size() > max_out) {
        // Cut at a character boundary: never half of a UTF-8 sequence.
        size_t cut = max_out;
        while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;
        text.resize(cut);
        status = wire::kTruncated;
      }
    }
    if (!reply(status, text)) return 0;
  }
}
