// Fuzz harness: HTML text and link extraction on arbitrary bytes.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "html/extract.hpp"
#include "mime/decode.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  postern::mime::DecodeStats st;
  std::string utf8 =
      postern::mime::sanitize_utf8(std::string_view(reinterpret_cast<const char*>(data), size), st);
  (void)postern::html::extract(utf8);
  (void)postern::html::css_urls(utf8);
  return 0;
}
