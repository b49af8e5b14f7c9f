// lib/core: the symbols the pipeline itself adds (stage errors, the bounds).
#include "core/registration.hpp"

namespace postern::core {

const Registration& registration() {
  static const Registration r{.folder = "core", .symbols = symbols()};
  return r;
}

}  // namespace postern::core
