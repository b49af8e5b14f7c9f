// Confusable skeletons: the form two strings share when a reader could take one
// for the other (UTS #39), for names and domain labels compared by the BEC checks.
//
// Contract: `skeleton(text)` is NFKC case folding (which also drops default
// ignorables: zero-width joiners, soft hyphens), then ICU's UTS #39 skeleton
// (Cyrillic "а" → "a", "1" → "l", "m" → "rn"), then canonical decomposition
// with every non-spacing mark removed (accents: "é" → "e", "ø" → "o"), then
// NFKC case folding again. Two strings look alike when their skeletons are
// equal. Invalid UTF-8 becomes U+FFFD. Input longer than kMaxSkeletonInput
// bytes is cut there first (callers pass display names and domain labels).
// ICU's USpoofChecker and Normalizer2 sit behind one RAII wrapper each, made
// once per process; the functions are thread-safe (ICU's skeleton and
// normalizers are const) and never throw; linear in the input.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace postern::content {

inline constexpr size_t kMaxSkeletonInput = 1024;

std::string skeleton(std::string_view utf8);

// A domain as a reader sees it: every "xn--" label decoded to Unicode (UTS #46,
// nontransitional, ICU's UIDNA behind its RAII holder), lower case; each label
// on its own, so a label that does not decode stays as written and cannot stop
// the others from being decoded. The one IDN reader of lib/content (BEC
// lookalikes, the heuristics' mixed-script hosts). At most 253 bytes are read.
std::string domain_to_unicode(std::string_view domain);

// The words of a skeleton: maximal runs of letters and digits (Unicode), in order.
std::vector<std::string> words(std::string_view utf8);

}  // namespace postern::content
