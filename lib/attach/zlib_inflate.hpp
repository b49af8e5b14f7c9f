// zlib_inflate: zlib-format (RFC 1950) decompression with a bound on the output.
//
// Contract: returns the inflated bytes of one zlib stream, or a one-line reason
// when the data is not zlib, is cut short, or inflates past `max_out` (the
// output is never larger than max_out: a bomb stops there). A stream cut short
// is accepted when it gave exactly `expect_size` bytes (PowerPoint writes its
// compressed storages without the zlib end). zlib's z_stream
// lives in one RAII holder per call; thread-safe, never throws.
#pragma once

#include "core/expected.hpp"

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace postern::attach {

expected<std::string, std::string> zlib_inflate(std::string_view in, size_t max_out,
                                                size_t expect_size = SIZE_MAX);

}  // namespace postern::attach
