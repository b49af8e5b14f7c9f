// Feed lines: trimming and splitting (see feed_fields.hpp).
#include "core/feed_fields.hpp"

namespace postern::core {

std::string_view feed_trim(std::string_view s, std::string_view chars) {
  while (!s.empty() && chars.find(s.front()) != std::string_view::npos) s.remove_prefix(1);
  while (!s.empty() && chars.find(s.back()) != std::string_view::npos) s.remove_suffix(1);
  return s;
}

std::vector<std::string_view> feed_fields(std::string_view line) {
  std::vector<std::string_view> out;
  const bool csv = line.find(',') != std::string_view::npos;
  size_t i = 0;
  while (i <= line.size()) {
    size_t end;
    if (csv) {
      end = i;
      bool quoted = false;
      while (end < line.size() && (quoted || line[end] != ',')) {
        if (line[end] == '"') quoted = !quoted;
        ++end;
      }
    } else {
      while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
      if (i >= line.size()) break;
      end = line.find_first_of(" \t", i);
      if (end == std::string_view::npos) end = line.size();
    }
    out.push_back(feed_trim(line.substr(i, end - i), " \t\r\""));
    i = end + 1;
  }
  return out;
}

}  // namespace postern::core
