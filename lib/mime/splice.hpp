// Splicing: a new raw message from a parsed one with some leaf parts replaced.
//
// Contract: `splice(tree, replacements)` copies every byte of the original
// outside the replaced bodies, so structure, boundaries and all other parts are
// kept as they were; parse → splice with no replacement gives the original
// bytes. Each replacement is new *decoded* content for a leaf part; it is
// encoded with the part's transfer encoding (base64 and quoted-printable with
// lines of at most 76 characters, the part's line ends). A 7bit or 8bit part
// whose new content no longer fits that encoding (8-bit bytes in 7bit, NUL or
// lines over 998 bytes) is re-encoded as quoted-printable (text) or base64
// (other types), and its Content-Transfer-Encoding field is rewritten or added.
// Replacing a multipart, message or uuencoded part is refused (returns the
// error). Thread-safe (pure).
#pragma once

#include <span>
#include <string>
#include "core/expected.hpp"

#include "mime/tree.hpp"

namespace postern::mime {

struct Replacement {
  const Part* part = nullptr;  // a leaf of the tree
  std::string content;         // new decoded content
};

postern::expected<std::string, std::string> splice(const Tree& tree,
                                                   std::span<const Replacement> replacements);

}  // namespace postern::mime
