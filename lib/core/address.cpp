// Envelope addresses, domains, host names and RFC 5322 comments.
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
