// Fuzz harness: the PDF active-content lexer and its stream decoders on arbitrary
// bytes, with small bounds so that the bound paths run too; traps when a bound
// does not hold.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "attach/pdf.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  postern::attach::PdfLimits lim;
  lim.max_streams = 16;
  lim.max_stream_output = 1u << 20;
  lim.max_total_output = 4u << 20;
  lim.max_uris = 4;
  lim.max_uri_length = 64;
  lim.max_embedded_files = 2;
  lim.max_embedded_bytes = 1u << 20;
  const auto rep = postern::attach::analyze_pdf(in, lim);
  if (rep.uris.size() > lim.max_uris || rep.embedded_files.size() > lim.max_embedded_files ||
      rep.streams_decoded > lim.max_streams)
    __builtin_trap();
  for (const auto& u : rep.uris)
    if (u.size() > lim.max_uri_length) __builtin_trap();
  for (const auto& h : rep.hits)
    if (h.detail.size() > 200 || h.symbol.empty()) __builtin_trap();
  (void)postern::attach::analyze_pdf(in);  // the default bounds
  return 0;
}
