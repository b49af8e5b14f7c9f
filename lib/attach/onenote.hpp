// OneNote (.one) files: the files embedded in them.
//
// Contract: `scan_onenote(data, limits)` checks the OneNote revision store
// signature ({7B5C52E4-D88C-4DA7-AEB1-5378D02996D3} at offset 0; other data
// gives no Hits) and finds every FileDataStoreObject
// ({BDE316E7-2665-4511-A4C4-8D4D0B7A9EAC}, then cbLength, 12 reserved bytes and
// the file's bytes) by scanning the file once for the GUID; a block whose
// length runs past the file is kept, cut at the end, and marked truncated. Each
// payload's type is sniffed from its first bytes (sniff_payload): programs,
// shortcuts, HTA, scripts and CHM make ATTACH_ONENOTE_EMBEDDED_EXECUTABLE,
// every embedded file counts in ATTACH_ONENOTE_EMBEDDED (pictures are embedded
// files too). `payloads` are views into `data` (which must outlive them), at
// most max_payloads, each at most max_payload_bytes long, so the attach stage
// can pass them through the other checks. Pure function, linear, never throws.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "attach/hit.hpp"

namespace postern::attach {

struct OneNoteLimits {
  size_t max_payloads = 256;
  size_t max_payload_bytes = 64u << 20;
};

struct OneNotePayload {
  size_t offset = 0;      // of the payload's first byte in the file
  std::string_view data;  // the payload (cut at max_payload_bytes or at the file's end)
  std::string_view kind;  // sniff_payload(data)
  bool executable = false;
  bool truncated = false;
};

struct OneNoteScan {
  std::vector<Hit> hits;
  std::vector<OneNotePayload> payloads;
  size_t count = 0;  // FileDataStoreObjects found, also those past max_payloads
};

bool is_onenote(std::string_view data);
OneNoteScan scan_onenote(std::string_view data, const OneNoteLimits& limits = {});

// What a file's first bytes say it is: "PE executable", "Windows shortcut (LNK)",
// "HTA/HTML with script", "batch script", "VBScript/JScript", "PowerShell script",
// "Windows Script File", "CHM help", "OLE2 document", "ZIP archive", "PDF",
// "image", "data". `executable` is set for the ones that run when opened.
std::string_view sniff_payload(std::string_view bytes, bool* executable = nullptr);

}  // namespace postern::attach
