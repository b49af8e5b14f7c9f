// Unicode helpers of the heuristics: bidi controls, mixed-script words, IDN labels.
#include <unicode/uchar.h>
#include <unicode/uscript.h>
#include <unicode/utf8.h>

#include "content/heuristics.hpp"

namespace postern::content {

size_t find_bidi_control(std::string_view s) {
  // U+202A..U+202E are E2 80 AA..AE; U+2066..U+2069 are E2 81 A6..A9.
  for (size_t i = 0; i + 2 < s.size(); ++i) {
    if (static_cast<unsigned char>(s[i]) != 0xe2) continue;
    auto b1 = static_cast<unsigned char>(s[i + 1]), b2 = static_cast<unsigned char>(s[i + 2]);
    if ((b1 == 0x80 && b2 >= 0xaa && b2 <= 0xae) || (b1 == 0x81 && b2 >= 0xa6 && b2 <= 0xa9))
      return i;
  }
  return std::string_view::npos;
}

std::string_view mixed_script_word(std::string_view s) {
  const auto* p = reinterpret_cast<const uint8_t*>(s.data());
  int32_t n = static_cast<int32_t>(std::min<size_t>(s.size(), 4096));
  int32_t i = 0, start = 0;
  bool latin = false, cyrillic = false, greek = false;
  auto mixed = [&] { return (latin && (cyrillic || greek)) || (cyrillic && greek); };
  while (i < n) {
    int32_t at = i;
    UChar32 c;
    U8_NEXT(p, i, n, c);
    bool in_word = c >= 0 && (u_isalnum(c) || u_getCombiningClass(c) != 0 ||
                              u_charType(c) == U_NON_SPACING_MARK);
    if (!in_word) {
      if (mixed()) return s.substr(static_cast<size_t>(start), static_cast<size_t>(at - start));
      latin = cyrillic = greek = false;
      start = i;
      continue;
    }
    UErrorCode err = U_ZERO_ERROR;
    UScriptCode sc = uscript_getScript(c, &err);
    if (U_FAILURE(err)) continue;
    latin |= sc == USCRIPT_LATIN;
    cyrillic |= sc == USCRIPT_CYRILLIC;
    greek |= sc == USCRIPT_GREEK;
  }
  if (mixed()) return s.substr(static_cast<size_t>(start), static_cast<size_t>(n - start));
  return {};
}

}  // namespace postern::content
