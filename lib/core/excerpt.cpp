// Excerpts with personal data masked (see excerpt.hpp).
#include "core/excerpt.hpp"

#include "core/utf8.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <vector>

namespace postern::core {
namespace {

// Decodes one UTF-8 sequence at s[i]; returns its length (1 for an invalid byte,
// whose code point is then U+FFFD).
size_t next_cp(std::string_view s, size_t i, char32_t& cp) {
  auto b = static_cast<unsigned char>(s[i]);
  size_t n = b < 0x80 ? 1 : (b >> 5) == 6 ? 2 : (b >> 4) == 14 ? 3 : (b >> 3) == 30 ? 4 : 0;
  if (n == 0 || i + n > s.size()) {
    cp = 0xFFFD;
    return 1;
  }
  char32_t c = n == 1 ? b : b & (0xFF >> (n + 1));
  for (size_t k = 1; k < n; ++k) {
    auto cb = static_cast<unsigned char>(s[i + k]);
    if ((cb & 0xC0) != 0x80) {
      cp = 0xFFFD;
      return 1;
    }
    c = (c << 6) | (cb & 0x3F);
  }
  static constexpr char32_t kMin[] = {0, 0, 0x80, 0x800, 0x10000};
  if (c < kMin[n] || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF)) {
    cp = 0xFFFD;
    return 1;
  }
  cp = c;
  return n;
}

bool is_space_or_control(char32_t c) {
  return c <= 0x20 || c == 0x7F || (c >= 0x80 && c < 0xA0) || c == 0xA0 || c == 0x2028 ||
         c == 0x2029;
}

bool is_local_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
         std::string_view("!#$%&'*+/=?^_`{|}~.-").find(c) != std::string_view::npos;
}

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}
bool is_digit_sep(char c) {
  return c == ' ' || c == '.' || c == '-' || c == '/';
}

}  // namespace

std::string mask(std::string_view text) {
  std::string s(text);
  // E-mail local parts: every run of local-part characters right before an '@'
  // that a domain-ish character follows keeps its first character.
  for (size_t at = s.find('@'); at != std::string::npos; at = s.find('@', at + 1)) {
    if (at + 1 >= s.size() || !(std::isalnum(static_cast<unsigned char>(s[at + 1])))) continue;
    size_t b = at;
    while (b > 0 && is_local_char(s[b - 1])) --b;
    for (size_t k = b + 1; k < at; ++k) s[k] = '*';
  }
  // Digit runs of 6 or more digits (separators inside count): all but the last 4 masked.
  for (size_t i = 0; i < s.size();) {
    if (!is_digit(s[i])) {
      ++i;
      continue;
    }
    size_t j = i, last_digit = i;
    std::vector<size_t> digits;
    while (j < s.size() && (is_digit(s[j]) || (is_digit_sep(s[j]) && j + 1 < s.size() &&
                                               is_digit(s[j + 1]) && is_digit(s[j - 1])))) {
      if (is_digit(s[j])) {
        digits.push_back(j);
        last_digit = j;
      }
      ++j;
    }
    if (digits.size() >= 6)
      for (size_t k = 0; k + 4 < digits.size(); ++k) s[digits[k]] = '*';
    i = last_digit + 1;
  }
  return s;
}

std::string excerpt(std::string_view text, size_t pos, size_t len, size_t max) {
  if (pos > text.size()) pos = text.size();
  if (len > text.size() - pos) len = text.size() - pos;
  if (max < 8) max = 8;
  // Context: up to a quarter of `max` on each side, in bytes (4 per code point at most).
  size_t ctx = max / 4;
  size_t begin = pos > ctx * 4 ? pos - ctx * 4 : 0;
  size_t end = std::min(text.size(), pos + std::min(len, max * 4) + ctx * 4);
  // Walk forward to a code point start.
  while (begin < pos && (static_cast<unsigned char>(text[begin]) & 0xC0) == 0x80) ++begin;
  // Mask the window before cutting it (masking keeps every byte offset), so a cut
  // cannot leave a shorter, unmasked piece of a number.
  const std::string win = mask(text.substr(begin, end - begin));
  const size_t at = pos - begin;
  // Decode the window into code points, noting where the match starts.
  std::vector<char32_t> cps;
  size_t match_cp = 0;
  for (size_t i = 0; i < win.size();) {
    if (i <= at) match_cp = cps.size();
    char32_t c;
    i += next_cp(win, i, c);
    if (is_space_or_control(c)) {
      if (!cps.empty() && cps.back() == U' ') continue;
      c = U' ';
    }
    cps.push_back(c);
  }
  // Keep at most `max` code points: start at most `ctx` before the match.
  size_t from = match_cp > ctx ? match_cp - ctx : 0;
  size_t to = std::min(cps.size(), from + max);
  bool cut_front = from > 0 || begin > 0;
  bool cut_back = to < cps.size() || end < text.size();
  std::string out;
  if (cut_front) out += "…";
  size_t budget = max - (cut_front ? 1 : 0) - (cut_back ? 1 : 0);
  for (size_t k = from; k < to && k - from < budget; ++k) core::append_utf8(out, cps[k]);
  if (cut_back) out += "…";
  return out;
}

std::string explain(std::string_view what, std::string_view field, std::string_view part,
                    std::string_view quoted) {
  if (part.empty()) return fmt::format("{} in {}: \"{}\"", what, field, quoted);
  return fmt::format("{} in {} (part {}): \"{}\"", what, field, part, quoted);
}

}  // namespace postern::core
