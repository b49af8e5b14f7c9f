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
