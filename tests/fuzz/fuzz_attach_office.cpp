// Fuzz harness: the Office, RTF and OneNote readers on arbitrary bytes. The
// first byte picks the reader, so one corpus covers them all; small limits keep
// each run fast while still reaching every limit path.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "attach/office.hpp"
#include "attach/onenote.hpp"
#include "attach/rtf.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace postern::attach;
  if (size == 0) return 0;
  std::string_view in(reinterpret_cast<const char*>(data) + 1, size - 1);
  OfficeLimits office;
  office.ole2.max_total = 8u << 20;
  office.vba.max_source_total = 1u << 20;
  switch (data[0] % 6) {
    case 0:
      (void)scan_ole2(in, office);
      break;
    case 1:
      (void)scan_vba_project(in, office);
      break;
    case 2:
      (void)scan_biff(in);
      break;
    case 3:
      (void)ovba_decompress(in, 1u << 20);
      break;
    case 4:
      (void)scan_rtf(in);
      break;
    default:
      (void)scan_onenote(in);
      break;
  }
  return 0;
}
