// Verdict headers: formatting, folding, forged-header detection.
#include "scan/verdict_headers.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <map>

#include "auth/auth_results.hpp"
#include "core/address.hpp"

namespace postern::scan {

std::string format_score(double s) {
  if (s > -0.005 && s < 0.005) return "0";  // also keeps "-0" out
  std::string out = fmt::format("{:.2f}", s);
  size_t end = out.find_last_not_of('0');
  if (out[end] == '.') --end;
  out.resize(end + 1);
  return out;
}

std::string verdict_value(core::Action a, double score, std::string_view scan_id) {
  return fmt::format("{} score={} id={}", core::to_string(a), format_score(score), scan_id);
}

std::string findings_value(const std::vector<core::Finding>& findings, size_t max_chars) {
  std::string out;
  for (size_t i = 0; i < findings.size(); ++i) {
    std::string item = fmt::format("{}({})", findings[i].symbol, format_score(findings[i].score));
    if (!out.empty() && out.size() + 1 + item.size() > max_chars) {
      out += fmt::format(" ... ({} more)", findings.size() - i);
      break;
    }
    if (!out.empty()) out.push_back(' ');
    out += item;
  }
  return out;
}

namespace {

bool plain_word(std::string_view w) {
  if (w.find("=?") != std::string_view::npos) return false;
  return std::all_of(w.begin(), w.end(), [](char c) { return c > 32 && c < 127; });
}

// UTF-8 sequence length at s[i] (1 for a byte that starts none).
size_t cp_len(std::string_view s, size_t i) {
  auto b = static_cast<unsigned char>(s[i]);
  size_t n = b < 0xC0 ? 1 : b < 0xE0 ? 2 : b < 0xF0 ? 3 : 4;
  if (i + n > s.size()) return 1;
  for (size_t k = 1; k < n; ++k)
    if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) return 1;
  return n;
}

// One run of words as encoded words: "=?UTF-8?Q?...?=" pieces of at most 75 characters.
void encode_run(std::string_view run, std::string& out) {
  constexpr size_t kMaxEncoded = 75 - 12;  // "=?UTF-8?Q?" + "?="
  std::string word;
  auto flush = [&] {
    if (word.empty()) return;
    if (!out.empty() && out.back() != ' ') out.push_back(' ');
    out += "=?UTF-8?Q?" + word + "?=";
    word.clear();
  };
  for (size_t i = 0; i < run.size();) {
    size_t n = cp_len(run, i);
    std::string piece;
    for (size_t k = 0; k < n; ++k) {
      auto c = static_cast<unsigned char>(run[i + k]);
      if (c == ' ')
        piece += '_';
      else if (c > 32 && c < 127 && c != '=' && c != '?' && c != '_' && c != '"' && c != '(' &&
               c != ')')
        piece += static_cast<char>(c);
      else
        piece += fmt::format("={:02X}", c);
    }
    if (word.size() + piece.size() > kMaxEncoded) flush();
    word += piece;
    i += n;
  }
  flush();
}

}  // namespace

std::string encode_unstructured(std::string_view text) {
  // Words split at spaces; control characters count as spaces.
  std::string clean(text);
  for (char& c : clean)
    if (static_cast<unsigned char>(c) < 32 || c == 127) c = ' ';
  std::vector<std::string_view> words;
  std::string_view rest = clean;
  while (!rest.empty()) {
    size_t b = rest.find_first_not_of(' ');
    if (b == std::string_view::npos) break;
    rest.remove_prefix(b);
    size_t e = rest.find(' ');
    words.push_back(rest.substr(0, e));
    rest = e == std::string_view::npos ? std::string_view() : rest.substr(e);
  }
  std::string out;
  for (size_t i = 0; i < words.size();) {
    if (plain_word(words[i])) {
      if (!out.empty()) out.push_back(' ');
      out += words[i++];
      continue;
    }
    // A run of words to encode, the spaces between them inside the encoded text.
    size_t j = i;
    while (j < words.size() && !plain_word(words[j])) ++j;
    const char* begin = words[i].data();
    const char* end = words[j - 1].data() + words[j - 1].size();
    encode_run(std::string_view(begin, static_cast<size_t>(end - begin)), out);
    i = j;
  }
  return out;
}

std::string report_value(const std::vector<core::Finding>& findings, size_t max_chars) {
  std::string out;
  for (size_t i = 0; i < findings.size(); ++i) {
    const core::Finding& f = findings[i];
    std::string item = encode_unstructured(
        f.detail.empty() ? fmt::format("{}({})", f.symbol, format_score(f.score))
                         : fmt::format("{}({}): {}", f.symbol, format_score(f.score), f.detail));
    if (!out.empty() && out.size() + 2 + item.size() > max_chars) {
      out += fmt::format("; ... ({} more)", findings.size() - i);
      break;
    }
    if (!out.empty()) out += "; ";
    out += item;
  }
  return out;
}

std::vector<core::HeaderChange> forged_headers(const core::Message& m,
                                               std::string_view authserv_id) {
  // A name as a lenient reader takes it: lower case, bytes outside ftext dropped.
  auto reader_name = [](std::string_view name) {
    std::string out;
    for (char c : name)
      if (c > 32 && c < 127 && c != ':') out.push_back(c >= 'A' && c <= 'Z' ? char(c + 32) : c);
    return out;
  };
  auto forged = [&](std::string_view name, std::string_view value) {
    std::string n = reader_name(name);
    return n.rfind("x-postern-", 0) == 0 ||
           (n == "authentication-results" &&
            auth::is_our_authentication_results(value, authserv_id));
  };
  std::map<std::string, size_t> seen;  // lower-cased name -> occurrences so far
  std::vector<core::HeaderChange> rewrites, removals;
  for (const auto& h : m.headers()) {
    size_t index = ++seen[core::to_lower(h.name)];
    if (forged(h.name, h.value))
      removals.push_back({h.name, index, std::nullopt});
    else if (h.bare_line_break)
      rewrites.push_back({h.name, index, h.value});  // every bare break reads as a space
  }
  std::stable_sort(
      removals.begin(), removals.end(),
      [](const core::HeaderChange& a, const core::HeaderChange& b) { return a.index > b.index; });
  rewrites.insert(rewrites.end(), removals.begin(), removals.end());
  return rewrites;
}

std::string fold(std::string_view name, std::string_view value, size_t width,
                 std::string_view eol) {
  std::string out;
  size_t col = name.size() + 2;  // "Name: "
  size_t pos = 0;
  bool first = true;
  while (pos < value.size()) {
    size_t sp = value.find(' ', pos);
    std::string_view word =
        value.substr(pos, sp == std::string_view::npos ? std::string_view::npos : sp - pos);
    pos = sp == std::string_view::npos ? value.size() : sp + 1;
    if (word.empty()) continue;
    if (!first && col + 1 + word.size() > width) {
      out += eol;
      out += '\t';
      col = 8;  // a tab counts as up to 8 columns
    } else if (!first) {
      out += ' ';
      ++col;
    }
    out += word;
    col += word.size();
    first = false;
  }
  return out;
}

}  // namespace postern::scan
