// VBA projects (MS-OVBA): decompression, the `dir` stream, module sources, and
// the keyword checks over the sources.
//
// Contract: `ovba_decompress(bytes, max_out)` undoes MS-OVBA 2.4.1 compression
// (a CompressedContainer: signature byte 1, then chunks of at most 4096
// decompressed bytes); a bad signature, a copy token reaching before the chunk,
// a chunk longer than 4096 bytes or output over `max_out` is an error, never a
// partial result. `extract_vba(file, limits)` finds every VBA project of an open
// compound file (a storage "VBA" holding a stream "dir": "Macros/VBA" in Word,
// "_VBA_PROJECT_CUR/VBA" in Excel, "VBA" in vbaProject.bin), reads its module
// records and decompresses each module's source from its offset. A module that
// cannot be read is kept with `error` set; the project is still reported.
// `check_vba(projects)` turns projects into Hits (ATTACH_MACRO,
// ATTACH_MACRO_AUTOEXEC, ATTACH_MACRO_EVENT, ATTACH_MACRO_SUSPICIOUS); it
// tokenizes each source once (linear). Pure functions; thread-safe on distinct
// files; never throw on hostile input.
#pragma once

#include "core/expected.hpp"

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "attach/hit.hpp"
#include "attach/ole2.hpp"

namespace postern::attach {

struct VbaLimits {
  size_t max_modules = 1'000;            // per project
  size_t max_module_source = 16u << 20;  // decompressed bytes of one module (and of `dir`)
  size_t max_source_total = 32u << 20;   // decompressed dir and module bytes of one file
  size_t max_projects = 16;              // VBA storages read in one file
};

// Decompressed bytes, or a one-line reason.
expected<std::string, std::string> ovba_decompress(std::string_view in, size_t max_out);

struct VbaModule {
  std::string name;    // MODULENAME (Unicode form when present)
  std::string stream;  // the module's stream inside the VBA storage
  std::string source;  // decompressed source text (code page bytes as stored)
  std::string error;   // why the source could not be read ("" when it was)
};

struct VbaProject {
  std::string storage;  // path of the VBA storage ("Macros/VBA")
  std::vector<VbaModule> modules;
  std::string error;     // why `dir` could not be read, or the limit hit ("" when fine)
  bool limited = false;  // a VbaLimits bound stopped the reading
};

std::vector<VbaProject> extract_vba(Ole2File& file, const VbaLimits& limits = {});

// True when a module holds code: a line that is neither blank nor an "Attribute" line.
bool has_code(std::string_view source);

// Hits for the projects of one container; `container` names it in the details.
std::vector<Hit> check_vba(const std::vector<VbaProject>& projects, std::string_view container);

}  // namespace postern::attach
