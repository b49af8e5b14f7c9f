// Excel 4 (XLM) macros and encryption in a BIFF5/BIFF8 workbook stream.
//
// Contract: `scan_biff(workbook)` walks the record stream of an OLE2 "Workbook"
// (BIFF8) or "Book" (BIFF5) stream once, record by record (type, length,
// data), at most `max_records` records. It reports macro sheets (BOUNDSHEET
// with sheet type 1, or a substream BOF of type 0x0040), their hidden and very
// hidden state, the defined names Excel runs by itself (the built-in
// Auto_Open / Auto_Close names, codes 1 and 2, and user names beginning with
// "Auto_Open" or "Auto_Close", which Excel runs too), and FILEPASS (the workbook
// is encrypted: the records after it are not read). Hits: ATTACH_XLM_MACRO,
// ATTACH_XLM_AUTOEXEC, ATTACH_XLM_HIDDEN, ATTACH_ENCRYPTED_OFFICE, and
// ATTACH_OFFICE_MALFORMED / ATTACH_OFFICE_LIMIT for a record running past the
// stream or the record bound. Pure function, linear, never throws.
#pragma once

#include <cstddef>
#include <string_view>
#include <vector>

#include "attach/hit.hpp"

namespace postern::attach {

struct BiffLimits {
  size_t max_records = 2'000'000;
};

std::vector<Hit> scan_biff(std::string_view workbook, const BiffLimits& limits = {});

}  // namespace postern::attach
