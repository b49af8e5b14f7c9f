// Address-list parsing: a small state machine over quotes, comments, brackets and groups.
#include "core/address.hpp"

#include "core/message.hpp"

namespace postern::core {

std::string to_lower(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    if (c >= 'A' && c <= 'Z') c = char(c + 32);
  return out;
}

bool is_hostname(std::string_view name, bool fqdn) {
  if (!name.empty() && name.back() == '.') name.remove_suffix(1);
  if (name.empty() || name.size() > 253) return false;
  size_t labels = 0;
  for (size_t pos = 0; pos <= name.size();) {
    size_t end = name.find('.', pos);
    if (end == std::string_view::npos) end = name.size();
    std::string_view l = name.substr(pos, end - pos);
    if (l.empty() || l.size() > 63 || l.front() == '-' || l.back() == '-') return false;
    for (char c : l)
      if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-'))
        return false;
    ++labels;
    pos = end + 1;
  }
  return !fqdn || labels >= 2;
}

std::string strip_comments(std::string_view s) {
  std::string out;
  int depth = 0;
  bool quoted = false;
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (quoted) {
      out.push_back(c);
      if (c == '\\' && i + 1 < s.size())
        out.push_back(s[++i]);
      else if (c == '"')
        quoted = false;
    } else if (depth > 0) {
      if (c == '\\')
        ++i;
      else if (c == '(')
        ++depth;
      else if (c == ')' && --depth == 0)
        out.push_back(' ');
    } else if (c == '(') {
      depth = 1;
    } else {
      if (c == '"') quoted = true;
      out.push_back(c);
    }
  }
  return out;
}

namespace {

// Removes comments and surrounding whitespace from an addr-spec written without brackets.
std::string bare_address(std::string_view s) {
  std::string t = strip_comments(s), out;
  bool quoted = false;
  for (size_t i = 0; i < t.size(); ++i) {
    char c = t[i];
    if (quoted) {
      out.push_back(c);
      if (c == '\\' && i + 1 < t.size())
        out.push_back(t[++i]);
      else if (c == '"')
        quoted = false;
    } else if (c == '"') {
      quoted = true;
      out.push_back(c);
    } else if (c != ' ' && c != '\t' && c != '\r' && c != '\n') {
      out.push_back(c);
    }
  }
  return out;
}

}  // namespace

std::string envelope_address(std::string_view a) {
  a = trim(a);
  if (!a.empty() && a.front() == '<') a.remove_prefix(1);
  if (!a.empty() && a.back() == '>') a.remove_suffix(1);
  if (!a.empty() && a.front() == '@') {  // obsolete source route "@a,@b:user@dom"
    size_t colon = a.find(':');
    if (colon != std::string_view::npos) a.remove_prefix(colon + 1);
  }
  return std::string(trim(a));
}

std::vector<std::string> parse_address_list(std::string_view v, size_t max) {
  std::vector<std::string> out;
  std::string element;  // text of the current element outside angle brackets
  std::string angle;    // text inside angle brackets
  bool have_angle = false;
  int depth = 0;  // comment nesting
  bool quoted = false, in_angle = false;
  auto flush = [&] {
    if (out.size() >= max) return;
    std::string a = have_angle ? envelope_address(angle) : bare_address(element);
    // Without angle brackets, words without '@' are a display name with no address
    // ("From: Just A Name"), not an address.
    if (!have_angle && a.find('@') == std::string::npos) a.clear();
    if (!a.empty()) out.push_back(std::move(a));
    element.clear();
    angle.clear();
    have_angle = false;
  };
  for (size_t i = 0; i < v.size(); ++i) {
    char c = v[i];
    std::string& sink = in_angle ? angle : element;
    if (quoted) {
      sink.push_back(c);
      if (c == '\\' && i + 1 < v.size())
        sink.push_back(v[++i]);
      else if (c == '"')
        quoted = false;
      continue;
    }
    if (depth > 0) {
      if (c == '\\')
        ++i;
      else if (c == '(')
        ++depth;
      else if (c == ')')
        --depth;
      continue;
    }
    switch (c) {
      case '"':
        quoted = true;
        sink.push_back(c);
        break;
      case '(':
        depth = 1;
        break;
      case '<':
        if (!in_angle) {
          in_angle = true;
          have_angle = true;
          angle.clear();
        }
        break;
      case '>':
        in_angle = false;
        break;
      case ':':  // group name ends: what came before was the display name of the group
        if (in_angle)
          angle.push_back(c);
        else
          element.clear();
        break;
      case ',':
      case ';':
        if (in_angle)
          angle.push_back(c);
        else
          flush();
        break;
      default:
        sink.push_back(c);
    }
  }
  flush();
  return out;
}

std::string domain_of(std::string_view address) {
  size_t at = address.rfind('@');
  if (at == std::string_view::npos) return {};
  return to_lower(address.substr(at + 1));
}

std::string local_part_of(std::string_view address) {
  size_t at = address.rfind('@');
  return to_lower(at == std::string_view::npos ? address : address.substr(0, at));
}

}  // namespace postern::core
