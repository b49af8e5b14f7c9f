// apply_edits: the message as it leaves (see finisher.hpp).
#include "core/finisher.hpp"

#include <algorithm>
#include <map>
#include <string>
#include <utility>

namespace postern::core {

Message apply_edits(const Message& m, const Outcome& out) {
  auto line = [](std::string& s, std::string_view name, std::string_view value) {
    s.append(name).append(": ").append(value).append("\r\n");
  };
  std::string raw;
  raw.reserve(m.raw().size() + 1024);
  for (auto it = out.added.rbegin(); it != out.added.rend(); ++it)
    if (it->at_top) line(raw, it->name, it->value);

  // lower-case name, 1-based index -> the change (the last one given wins)
  std::map<std::pair<std::string, size_t>, const HeaderChange*> changed;
  for (const auto& r : out.changed) {
    std::string n = r.name;
    for (auto& c : n) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    changed[{std::move(n), r.index}] = &r;
  }
  std::map<std::string, size_t> seen;
  bool subject_done = false;
  size_t end_of_headers = 0;
  for (const auto& h : m.headers()) {
    std::string n = h.name;
    for (auto& c : n) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    size_t index = ++seen[n];
    end_of_headers = h.offset + h.length;
    if (auto it = changed.find({n, index}); it != changed.end()) {
      if (it->second->value) line(raw, h.name, *it->second->value);
      continue;
    }
    if (out.new_subject && !subject_done && n == "subject") {
      subject_done = true;
      line(raw, h.name, *out.new_subject);
      continue;
    }
    raw.append(m.raw(), h.offset, h.length);
  }
  if (out.new_subject && !subject_done) line(raw, "Subject", *out.new_subject);
  for (const auto& a : out.added)
    if (!a.at_top) line(raw, a.name, a.value);
  std::string_view rest = std::string_view(m.raw()).substr(end_of_headers);
  if (m.headers().empty() && !m.blank_line_after_headers()) raw.append("\r\n");
  if (out.new_body) {
    // the separator between header block and body as it came, then the new body
    raw.append(rest.substr(0, m.body_offset() - std::min(m.body_offset(), end_of_headers)));
    raw.append(*out.new_body);
  } else {
    raw.append(rest);
  }
  return Message(std::move(raw), 0, m.truncated());
}

}  // namespace postern::core
