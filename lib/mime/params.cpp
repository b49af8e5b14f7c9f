// Structured field parsing: main token, ;-separated parameters, RFC 2231 and 2047.
#include "mime/params.hpp"

#include "core/address.hpp"

#include <algorithm>
#include <map>

namespace postern::mime {
namespace {

struct Cursor {
  std::string_view s;
  size_t i = 0;
  bool eof() const { return i >= s.size(); }
  // Skips whitespace and (nested) comments.
  void skip_cfws() {
    while (i < s.size()) {
      char c = s[i];
      if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
        ++i;
      } else if (c == '(') {
        int depth = 0;
        while (i < s.size()) {
          if (s[i] == '\\')
            ++i;
          else if (s[i] == '(')
            ++depth;
          else if (s[i] == ')' && --depth == 0) {
            ++i;
            break;
          }
          ++i;
        }
      } else {
        break;
      }
    }
  }
  // A token up to a separator; lenient: anything but ; = " whitespace and comments.
  std::string token(bool allow_slash = true) {
    size_t b = i;
    while (i < s.size()) {
      char c = s[i];
      if (c == ';' || c == '=' || c == '"' || c == ' ' || c == '\t' || c == '\r' || c == '\n' ||
          c == '(' || (!allow_slash && c == '/'))
        break;
      ++i;
    }
    return std::string(s.substr(b, i - b));
  }
  std::string quoted() {  // at '"'
    std::string out;
    ++i;
    while (i < s.size() && s[i] != '"') {
      if (s[i] == '\\' && i + 1 < s.size()) ++i;
      if (s[i] != '\r' && s[i] != '\n') out.push_back(s[i]);
      ++i;
    }
    if (i < s.size()) ++i;
    return out;
  }
};

int hexv(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string percent_decode(std::string_view v) {
  std::string out;
  for (size_t i = 0; i < v.size(); ++i) {
    if (v[i] == '%' && i + 2 < v.size() + 0 && hexv(v[i + 1]) >= 0 && hexv(v[i + 2]) >= 0) {
      out.push_back(static_cast<char>(hexv(v[i + 1]) * 16 + hexv(v[i + 2])));
      i += 2;
    } else {
      out.push_back(v[i]);
    }
  }
  return out;
}

struct Segment {
  std::string value;
  bool encoded = false;
};

}  // namespace

const std::string* StructuredField::param(std::string_view name) const {
  for (const auto& p : params)
    if (p.name == name) return &p.value;
  return nullptr;
}

StructuredField parse_structured(std::string_view v, DecodeStats& st) {
  StructuredField f;
  Cursor c{v};
  c.skip_cfws();
  std::string main = c.token(true);
  c.skip_cfws();
  // "text / plain": whitespace or comments around the slash
  if (!main.empty() && main.back() != '/' && c.i < v.size() && v[c.i] == '/') {
    ++c.i;
    c.skip_cfws();
    main += "/" + c.token(true);
  } else if (!main.empty() && main.back() == '/') {
    c.skip_cfws();
    main += c.token(true);
  }
  f.value = core::to_lower(main);

  std::vector<std::pair<std::string, std::string>> plain;   // name -> value, in order
  std::map<std::string, std::map<int, Segment>> continued;  // name -> index -> segment
  std::vector<std::string> order;
  size_t count = 0;
  while (!c.eof() && count < 64) {
    c.skip_cfws();
    if (c.eof()) break;
    if (v[c.i] != ';') {
      // A missing ';' ("multipart/mixed boundary=x"): read the parameter anyway, as lenient
      // clients do, so no part hides behind a syntax error. Anything else is skipped.
      f.syntax_error = true;
      size_t save = c.i;
      std::string probe = c.token(true);
      c.skip_cfws();
      bool param_follows = !probe.empty() && !c.eof() && v[c.i] == '=';
      c.i = save;
      if (!param_follows) {
        while (!c.eof() && v[c.i] != ';') {
          if (v[c.i] == '"')
            c.quoted();
          else
            ++c.i;
        }
        continue;
      }
    } else {
      ++c.i;
    }
    c.skip_cfws();
    if (c.eof()) break;
    std::string name = core::to_lower(c.token(true));
    c.skip_cfws();
    if (name.empty() || c.eof() || v[c.i] != '=') {
      if (!name.empty()) f.syntax_error = true;
      continue;
    }
    ++c.i;
    c.skip_cfws();
    std::string value;
    if (!c.eof() && v[c.i] == '"') {
      value = c.quoted();
    } else {
      // lenient: an unquoted value runs to ';' (clients accept spaces in it)
      size_t b = c.i;
      while (!c.eof() && v[c.i] != ';') ++c.i;
      value = std::string(v.substr(b, c.i - b));
      auto trim_end = [&] {
        while (!value.empty() && (value.back() == ' ' || value.back() == '\t' ||
                                  value.back() == '\r' || value.back() == '\n'))
          value.pop_back();
      };
      trim_end();
      // a comment after the value ("charset=us-ascii (Plain text)", RFC 2045 5.1) is not part of it
      if (!value.empty() && value.back() == ')') {
        int depth = 0;
        for (size_t k = value.size(); k-- > 0;) {
          if (value[k] == ')')
            ++depth;
          else if (value[k] == '(' && --depth == 0) {
            if (k > 0 && (value[k - 1] == ' ' || value[k - 1] == '\t')) {
              value.resize(k);
              trim_end();
            }
            break;
          }
        }
      }
    }
    ++count;
    size_t star = name.find('*');
    if (star != std::string::npos) {
      f.rfc2231 = true;
      std::string base = name.substr(0, star);
      std::string rest = name.substr(star + 1);  // "", "0", "0*", "1", "*"...
      bool encoded = !rest.empty() && rest.back() == '*';
      if (encoded) rest.pop_back();
      if (name.back() == '*' && rest.empty()) encoded = true;
      int index = 0;
      if (!rest.empty()) {
        index = 0;
        for (char ch : rest) {
          if (ch < '0' || ch > '9' || index > 10000) {
            index = -1;
            break;
          }
          index = index * 10 + (ch - '0');
        }
        if (index < 0) {
          f.syntax_error = true;
          continue;
        }
      }
      if (!continued.contains(base)) order.push_back(base);
      auto& segs = continued[base];
      if (segs.contains(index))
        f.duplicate_param = true;
      else
        segs[index] = Segment{value, encoded};
    } else {
      if (std::any_of(plain.begin(), plain.end(), [&](const auto& p) { return p.first == name; })) {
        f.duplicate_param = true;
        continue;
      }
      plain.emplace_back(name, value);
      order.push_back(name);
    }
  }

  for (const auto& name : order) {
    if (auto it = continued.find(name); it != continued.end()) {
      if (f.param(name)) continue;
      std::string bytes, charset;
      bool first = true;
      for (auto& [idx, seg] : it->second) {
        std::string sv = seg.value;
        if (seg.encoded && first) {  // charset'language'value
          size_t a = sv.find('\'');
          size_t b = a == std::string::npos ? a : sv.find('\'', a + 1);
          if (b != std::string::npos) {
            charset = sv.substr(0, a);
            sv = sv.substr(b + 1);
          }
        }
        bytes += seg.encoded ? percent_decode(sv) : sv;
        first = false;
      }
      f.params.push_back({name, to_utf8(bytes, charset.empty() ? "utf-8" : charset, st)});
      continue;
    }
    auto p =
        std::find_if(plain.begin(), plain.end(), [&](const auto& x) { return x.first == name; });
    if (p == plain.end() || f.param(name)) continue;
    std::string val = p->second;
    if (val.find("=?") != std::string::npos && val.find("?=") != std::string::npos)
      f.encoded_word_in_param = true;
    val = decode_rfc2047(val, st);  // also: raw 8-bit that is not UTF-8 is read as Latin-1
    f.params.push_back({name, std::move(val)});
  }
  return f;
}

}  // namespace postern::mime
