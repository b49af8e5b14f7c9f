// OLE Packager objects: the file a "Package" object embeds in a document.
//
// Contract: `parse_package(native)` reads Packager native data (what follows
// the size in an "\1Ole10Native" stream, or the native data of an RTF OLE1
// "Package" object): a signature, the label (the file name shown), the source
// path, the temporary path and the file's bytes. It returns the name and a view
// of the bytes into `native` (cut at its end when the size says more), or
// nullopt when the layout does not hold. Names are cut at 260 bytes. Pure
// function, bounded by the input, never throws.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace postern::attach {

struct PackagedFile {
  std::string name;        // the label: the file name Office shows
  std::string_view data;   // the file's bytes, a view into the native data
  bool truncated = false;  // the stated size ran past the native data
};

std::optional<PackagedFile> parse_package(std::string_view native);

}  // namespace postern::attach
