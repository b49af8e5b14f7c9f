// HTML extraction in one streaming pass: an HTML5 tokenizer (tags, attributes, comments,
// raw text, character references) feeding a model of the tree builder's stack of open
// elements (implied end tags, void elements, scopes, active formatting elements), which
// gives each text run and each element what the DOM walk gave it: hidden or not, inside
// which anchor, and in document order. No DOM is built.
#include "html/extract.hpp"

#include "html/attribute_spans.hpp"

#include <algorithm>
#include <array>
#include <cstring>
#include <memory>
#include <string>
#include <unordered_set>
#include <utility>

#include "core/address.hpp"
#include "core/cpu_budget.hpp"
#include "core/forward_find.hpp"
#include "core/utf8.hpp"

namespace postern::html {
namespace {

struct Entity {
  std::string_view name, value;
};
constexpr Entity kEntities[] = {
#include "html/entities.inc"
};

bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f';
}
bool is_alpha(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
bool is_alnum(char c) {
  return is_alpha(c) || (c >= '0' && c <= '9');
}
char lower(char c) {
  return c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c;
}

std::string_view trim_view(std::string_view s) {
  size_t b = s.find_first_not_of(" \t\r\n\f");
  if (b == std::string_view::npos) return {};
  size_t e = s.find_last_not_of(" \t\r\n\f");
  return s.substr(b, e - b + 1);
}

std::string trim(std::string_view s) {
  return std::string(trim_view(s));
}

// `s` equals the lower-case `name` once lower-cased: core::iequals, inline on the hot path
// (every declaration of every style attribute; the out-of-line call measured slower).
bool lower_equals(std::string_view s, std::string_view name) {
  if (s.size() != name.size()) return false;
  for (size_t i = 0; i < s.size(); ++i)
    if (lower(s[i]) != name[i]) return false;
  return true;
}

// The declarations of a style attribute the extraction reads: the value (lower-cased,
// trimmed, without !important) of the first declaration of each, or "".
struct StyleProps {
  std::string display, visibility, opacity, font_size, color, background_color, background;
};

StyleProps style_props(std::string_view s) {
  StyleProps p;
  // names are matched without case and only the values kept are lower-cased: the same
  // as lower-casing the whole attribute first, without the copy
  std::string* const slots[] = {&p.display, &p.visibility,       &p.opacity,   &p.font_size,
                                &p.color,   &p.background_color, &p.background};
  constexpr std::string_view names[] = {"display", "visibility",       "opacity",   "font-size",
                                        "color",   "background-color", "background"};
  bool seen[7] = {};
  size_t pos = 0;
  while (pos < s.size()) {
    size_t semi = s.find(';', pos);
    std::string_view decl =
        s.substr(pos, semi == std::string_view::npos ? std::string_view::npos : semi - pos);
    pos = semi == std::string_view::npos ? s.size() : semi + 1;
    size_t colon = decl.find(':');
    if (colon == std::string_view::npos) continue;
    std::string_view name = trim_view(decl.substr(0, colon));
    for (size_t k = 0; k < 7; ++k) {
      if (seen[k] || !lower_equals(name, names[k])) continue;
      seen[k] = true;
      std::string v = core::to_lower(trim_view(decl.substr(colon + 1)));
      if (size_t imp = v.find("!important"); imp != std::string::npos) v = trim(v.substr(0, imp));
      *slots[k] = std::move(v);
    }
  }
  return p;
}

bool tiny_size(const std::string& v) {
  if (v.empty()) return false;
  size_t i = 0;
  double num = 0;
  bool digits = false;
  while (i < v.size() && v[i] >= '0' && v[i] <= '9') num = num * 10 + (v[i++] - '0'), digits = true;
  if (i < v.size() && v[i] == '.') {
    double f = 0.1;
    ++i;
    while (i < v.size() && v[i] >= '0' && v[i] <= '9')
      num += (v[i++] - '0') * f, f /= 10, digits = true;
  }
  if (!digits) return false;
  std::string unit = v.substr(i);
  if (unit == "px" || unit == "pt" || unit.empty()) return num <= 2;
  if (unit == "em" || unit == "rem") return num <= 0.15;
  if (unit == "%") return num <= 15;
  return false;
}

std::string normalize_color(std::string_view in) {
  if (in.empty()) return {};  // most styles set no colour
  std::string c;
  c.reserve(in.size());
  for (char ch : in)
    if (ch != ' ') c.push_back(ch);
  // string_view comparisons: the length first, no strlen
  using namespace std::string_view_literals;
  std::string_view v = c;
  if (v == "white"sv || v == "#fff"sv || v == "#ffffff"sv || v == "rgb(255,255,255)"sv)
    return "#ffffff";
  if (v == "black"sv || v == "#000"sv || v == "#000000"sv || v == "rgb(0,0,0)"sv) return "#000000";
  return c;
}

// The longest prefix of `s` of at most `n` bytes that does not split a UTF-8 sequence.
std::string_view utf8_prefix(std::string_view s, size_t n) {
  if (s.size() <= n) return s;
  while (n > 0 && (static_cast<unsigned char>(s[n]) & 0xC0) == 0x80) --n;
  return s.substr(0, n);
}

// Numeric references 0x80-0x9F name windows-1252 characters (HTML5 §13.2.5.80).
constexpr uint16_t kC1[32] = {0x20AC, 0x81,   0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021,
                              0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0x8D,   0x017D, 0x8F,
                              0x90,   0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014,
                              0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0x9D,   0x017E, 0x0178};

// Decodes the character reference at s[i] == '&' into `out`; returns the index after it
// (i + 1 with a literal '&' when it is none). In attribute values a named reference
// without ';' followed by '=' or an alphanumeric stays literal.
size_t char_ref(std::string_view s, size_t i, std::string& out, bool in_attr) {
  size_t j = i + 1;
  if (j < s.size() && s[j] == '#') {
    size_t k = j + 1;
    bool hex = k < s.size() && (s[k] == 'x' || s[k] == 'X');
    if (hex) ++k;
    size_t d = k;
    uint64_t cp = 0;
    while (k < s.size()) {
      char c = s[k];
      int v = c >= '0' && c <= '9'                            ? c - '0'
              : hex && (c | 0x20) >= 'a' && (c | 0x20) <= 'f' ? (c | 0x20) - 'a' + 10
                                                              : -1;
      if (v < 0) break;
      cp = std::min<uint64_t>(cp * (hex ? 16 : 10) + v, 0x110000);
      ++k;
    }
    if (k == d) {
      out.push_back('&');
      return i + 1;
    }
    if (k < s.size() && s[k] == ';') ++k;
    if (cp == 0 || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) cp = 0xFFFD;
    if (cp >= 0x80 && cp <= 0x9F) cp = kC1[cp - 0x80];
    core::append_utf8(out, static_cast<uint32_t>(cp));
    return k;
  }
  // named: the longest name in the table that the input starts with
  size_t k = j;
  while (k < s.size() && k - j < 40 && is_alnum(s[k])) ++k;
  if (k == j) {
    out.push_back('&');
    return i + 1;
  }
  size_t end = k < s.size() && s[k] == ';' ? k + 1 : k;
  auto less = [](const Entity& e, std::string_view n) { return e.name < n; };
  for (size_t len = end - j; len >= 2; --len) {
    std::string_view cand = s.substr(j, len);
    const Entity* e = std::lower_bound(std::begin(kEntities), std::end(kEntities), cand, less);
    if (e == std::end(kEntities) || e->name != cand) continue;
    if (cand.back() != ';' && in_attr && j + len < s.size() &&
        (s[j + len] == '=' || is_alnum(s[j + len]))) {
      out.push_back('&');
      return i + 1;
    }
    out += e->value;
    return j + len;
  }
  out.push_back('&');
  return i + 1;
}

// Eight bytes at a time: SWAR tests on a little-endian word of the input.
constexpr uint64_t kOnes = 0x0101010101010101ULL, kHighs = 0x8080808080808080ULL;
inline uint64_t load8(const char* p) {
  uint64_t w;
  std::memcpy(&w, p, 8);
  return w;
}
// Non-zero when a byte of w is zero.
inline uint64_t has_zero(uint64_t w) {
  return (w - kOnes) & ~w & kHighs;
}
// Non-zero when a byte of w equals c.
inline uint64_t has_byte(uint64_t w, unsigned char c) {
  return has_zero(w ^ (kOnes * c));
}

// The first index in [b, e) of a CR, a NUL or (with refs) a '&'; e when there is none.
size_t text_stop(std::string_view s, size_t b, size_t e, bool refs) {
  const char* d = s.data();
  while (b + 8 <= e) {
    uint64_t w = load8(d + b);
    // the lowest flagged byte is exact (a false flag only follows a true one)
    if (uint64_t m = has_zero(w) | has_byte(w, '\r') | (refs ? has_byte(w, '&') : 0))
      return b + static_cast<size_t>(__builtin_ctzll(m)) / 8;
    b += 8;
  }
  while (b < e && d[b] != '\r' && (!refs || d[b] != '&') && d[b] != '\0') ++b;
  return b;
}

// Appends s[b, e) to `out`: CR LF and lone CR become LF, references decoded if asked.
void append_chars(std::string_view s, size_t b, size_t e, std::string& out, bool refs,
                  bool in_attr) {
  while (b < e) {
    size_t k = text_stop(s, b, e, refs);
    out.append(s.data() + b, k - b);
    if (k >= e) return;
    if (s[k] == '\r') {
      out.push_back('\n');
      b = k + 1 < e && s[k + 1] == '\n' ? k + 2 : k + 1;
    } else if (s[k] == '\0') {
      if (in_attr) out += "\xEF\xBF\xBD";  // in text the tree builder drops it
      b = k + 1;
    } else {
      // a reference never reaches past the end of the run
      b = char_ref(s.substr(0, e), k, out, in_attr);
    }
  }
}

// Control characters (but whitespace and NUL), noncharacters and invalid UTF-8 become
// U+FFFD, as the HTML input stream (and gumbo's reader) has them. False, leaving `out`
// alone, when there are none.
bool replace_invalid(std::string_view s, std::string& out,
                     std::vector<std::pair<size_t, size_t>>* shifts = nullptr) {
  size_t copied = 0, i = 0;
  bool any = false;
  auto replace = [&](size_t b, size_t e) {
    if (!any) out.reserve(s.size() + 16);
    any = true;
    out.append(s.data() + copied, b - copied);
    out += "\xEF\xBF\xBD";
    copied = e;
    if (shifts) shifts->emplace_back(out.size(), e);  // (offset in out, offset in s) after it
  };
  while (i < s.size()) {
    // a run of printable ASCII (0x20-0x7E) is fine as it is
    while (i + 8 <= s.size()) {
      uint64_t w = load8(s.data() + i);
      // a byte under 0x20 (0x80 and over show in w itself), or 0x7F
      uint64_t low = (w - kOnes * 0x20) & ~w & kHighs;
      if ((w & kHighs) | low | has_byte(w, 0x7F)) break;
      i += 8;
    }
    if (i >= s.size()) break;
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      if ((c < 0x20 && c != '\t' && c != '\n' && c != '\r' && c != '\f' && c != 0) || c == 0x7F)
        replace(i, i + 1);
      ++i;
      continue;
    }
    size_t len = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC2 ? 2 : 0;
    if (c > 0xF4) len = 0;
    uint32_t cp = len == 2 ? c & 0x1F : len == 3 ? c & 0x0F : c & 0x07;
    size_t k = 1;
    for (; len && k < len && i + k < s.size(); ++k) {
      unsigned char d = static_cast<unsigned char>(s[i + k]);
      if ((d & 0xC0) != 0x80) break;
      cp = (cp << 6) | (d & 0x3F);
    }
    if (len == 0 || k < len || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
        cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
      replace(i, i + std::max<size_t>(k, 1));
      i += std::max<size_t>(k, 1);
      continue;
    }
    if ((cp >= 0x80 && cp <= 0x9F) || (cp >= 0xFDD0 && cp <= 0xFDEF) || (cp & 0xFFFE) == 0xFFFE)
      replace(i, i + len);
    i += len;
  }
  if (any) out.append(s.data() + copied, s.size() - copied);
  return any;
}

enum : uint32_t {
  kVoid = 1u << 0,
  kRaw = 1u << 1,  // raw text (or RCDATA) content up to the matching end tag
  kSpecial = 1u << 2,
  kBoundary = 1u << 3,  // ends an "in scope" search
  kFormatting = 1u << 4,
  kClosesP = 1u << 5,     // its start tag closes an open p
  kHead = 1u << 6,        // belongs in the head
  kNoNest = 1u << 7,      // does not count towards the nesting bound (old bound_nesting list)
  kImplied = 1u << 8,     // closed by "generate implied end tags"
  kBreakout = 1u << 9,    // leaves foreign content (svg, math)
  kNewline = 1u << 10,    // starts a line in the text
  kScopedEnd = 1u << 11,  // its end tag closes it only when in scope
  kRcdata = 1u << 12,     // references are decoded in the raw content
  kTableCtx = 1u << 13,   // text and other elements in it are foster-parented
  kTablePart = 1u << 14,  // goes inside a table (is not foster-parented)
};

// A known tag name and its flags. `name` is a literal: a view of it stays valid.
struct TagInfo {
  std::string_view name;
  uint32_t flags = 0;
};

// Every tag name the model knows, in an open-addressing table: names are at most 10
// bytes, so a name is hashed from its length and a few of its bytes.
class TagTable {
 public:
  static constexpr size_t kSlots = 512;  // a power of two, over twice the names
  static size_t slot(std::string_view n) {
    auto b = [&](size_t i) { return static_cast<size_t>(static_cast<unsigned char>(n[i])); };
    return (n.size() * 131 + b(0) * 31 + b(n.size() - 1) * 7 + b(n.size() / 2)) & (kSlots - 1);
  }
  const TagInfo* find(std::string_view n) const {
    if (n.empty() || n.size() > kMaxName) return nullptr;
    for (size_t k = slot(n);; k = (k + 1) & (kSlots - 1)) {
      const TagInfo& e = slots_[k];
      if (e.name.empty()) return nullptr;
      if (e.name == n) return &e;
    }
  }
  void add(std::string_view n, uint32_t f) {
    if (n.empty() || n.size() > kMaxName) std::abort();  // a name the lookup would never find
    size_t k = slot(n);
    while (!slots_[k].name.empty() && slots_[k].name != n) k = (k + 1) & (kSlots - 1);
    slots_[k].name = n;
    slots_[k].flags |= f;
  }
  static constexpr size_t kMaxName = 10;

 private:
  std::array<TagInfo, kSlots> slots_{};
};

const TagTable& tag_table() {
  static const TagTable table = [] {
    TagTable m;
    auto add = [&](uint32_t f, std::initializer_list<std::string_view> names) {
      for (auto x : names) m.add(x, f);
    };
    add(kVoid, {"area", "base", "br", "col", "embed", "hr", "img", "input", "keygen", "link",
                "meta", "param", "source", "track", "wbr", "basefont", "bgsound", "frame"});
    add(kRaw, {"script", "style", "xmp", "iframe", "noembed", "noframes", "title", "textarea"});
    add(kRcdata, {"title", "textarea"});
    add(kSpecial,
        {"address", "applet",     "area",     "article",    "aside",     "base",     "basefont",
         "bgsound", "blockquote", "body",     "br",         "button",    "caption",  "center",
         "col",     "colgroup",   "dd",       "details",    "dir",       "div",      "dl",
         "dt",      "embed",      "fieldset", "figcaption", "figure",    "footer",   "form",
         "frame",   "frameset",   "h1",       "h2",         "h3",        "h4",       "h5",
         "h6",      "head",       "header",   "hgroup",     "hr",        "html",     "iframe",
         "img",     "input",      "keygen",   "li",         "link",      "listing",  "main",
         "marquee", "menu",       "meta",     "nav",        "noembed",   "noframes", "noscript",
         "object",  "ol",         "p",        "param",      "plaintext", "pre",      "script",
         "section", "select",     "source",   "style",      "summary",   "table",    "tbody",
         "td",      "template",   "textarea", "tfoot",      "th",        "thead",    "title",
         "tr",      "track",      "ul",       "wbr",        "xmp",       "dialog"});
    add(kBoundary,
        {"applet", "caption", "html", "table", "td", "th", "marquee", "object", "template"});
    add(kFormatting, {"a", "b", "big", "code", "em", "font", "i", "nobr", "s", "small", "strike",
                      "strong", "tt", "u"});
    add(kClosesP, {"address", "article", "aside", "blockquote", "center",     "details",   "dialog",
                   "dir",     "div",     "dl",    "fieldset",   "figcaption", "figure",    "footer",
                   "header",  "hgroup",  "main",  "menu",       "nav",        "ol",        "p",
                   "section", "summary", "ul",    "h1",         "h2",         "h3",        "h4",
                   "h5",      "h6",      "pre",   "listing",    "form",       "plaintext", "hr",
                   "xmp",     "li",      "dd",    "dt"});
    add(kHead, {"base", "basefont", "bgsound", "link", "meta", "noframes", "script", "style",
                "template", "title", "noscript"});
    add(kNoNest, {"area",     "base",  "br",    "col",    "embed", "hr",    "img",    "input",
                  "link",     "meta",  "param", "source", "track", "wbr",   "keygen", "basefont",
                  "bgsound",  "frame", "image", "p",      "li",    "dt",    "dd",     "option",
                  "optgroup", "tr",    "td",    "th",     "thead", "tbody", "tfoot",  "colgroup",
                  "caption",  "rb",    "rt",    "rtc",    "rp",    "html",  "head",   "body"});
    add(kImplied, {"dd", "dt", "li", "optgroup", "option", "p", "rb", "rp", "rt", "rtc"});
    add(kBreakout,
        {"b",      "big",  "blockquote", "body",  "br",   "center", "code",    "dd",   "div",
         "dl",     "dt",   "em",         "embed", "h1",   "h2",     "h3",      "h4",   "h5",
         "h6",     "head", "hr",         "i",     "img",  "li",     "listing", "menu", "meta",
         "nobr",   "ol",   "p",          "pre",   "ruby", "s",      "small",   "span", "strong",
         "strike", "sub",  "sup",        "table", "tt",   "u",      "ul",      "var"});
    add(kNewline, {"br", "p", "div", "tr", "li"});
    add(kTableCtx, {"table", "tbody", "thead", "tfoot", "tr"});
    add(kTablePart, {"table", "tbody", "thead", "tfoot", "tr", "td", "th", "caption", "colgroup",
                     "col", "template"});
    add(kScopedEnd,
        {"address", "article", "aside",  "blockquote", "button",     "center", "details", "dialog",
         "dir",     "div",     "dl",     "fieldset",   "figcaption", "figure", "footer",  "header",
         "hgroup",  "listing", "main",   "menu",       "nav",        "ol",     "pre",     "section",
         "summary", "ul",      "applet", "marquee",    "object",     "form"});
    m.add("svg", 0);
    m.add("math", 0);
    m.add("button", 0);
    return m;
  }();
  return table;
}

uint32_t tag_flags(std::string_view n) {
  const TagInfo* e = tag_table().find(n);
  return e ? e->flags : 0;
}

// A tag or attribute name. Compared with a literal, it checks the length and then the
// bytes inline: the tree model compares names with literals at every tag.
struct Name : std::string_view {
  Name() = default;
  Name(std::string_view v) : std::string_view(v) {}    // NOLINT: a view is a name
  Name(const char* v) : std::string_view(v) {}         // NOLINT
  Name(const std::string& v) : std::string_view(v) {}  // NOLINT
  template <size_t N>
  [[gnu::always_inline]] bool operator==(const char (&lit)[N]) const {
    return size() == N - 1 && __builtin_memcmp(data(), lit, N - 1) == 0;
  }
};

struct Attr {
  Name name;
  std::string_view value;
};

// A start tag as the tree model sees it (views into the input or the tokenizer's scratch).
struct Tag {
  Name name;
  std::vector<Attr> attrs;
  bool self_closing = false;
  // The table's entry for the name, looked up once; it holds only while `name` is the
  // entry's literal (see known()): a renamed tag is looked up again.
  const TagInfo* info = nullptr;

  const TagInfo* cached() const {
    return info && name.data() == info->name.data() && name.size() == info->name.size() ? info
                                                                                        : nullptr;
  }
  const TagInfo* known() const {
    const TagInfo* e = cached();
    return e ? e : tag_table().find(name);
  }

  template <size_t N>
  const std::string_view* attr(const char (&n)[N]) const {
    for (const auto& a : attrs)
      if (a.name == n) return &a.value;  // the first of duplicates wins
    return nullptr;
  }
};

// A formatting element that may be reconstructed: its tag kept whole.
struct Saved {
  std::string name;
  std::vector<std::pair<std::string, std::string>> attrs;
  Tag view() const {
    Tag t;
    t.name = name;
    for (const auto& [k, v] : attrs) t.attrs.push_back({k, v});
    return t;
  }
};

// Nodes an anchor text collects at most (the DOM walk's bound).
constexpr size_t kAnchorNodes = 4096;

struct Anchor {
  size_t link;  // index in out.links
  size_t room;  // link text room when it was added
  std::string text;
  size_t nodes = 0;
};

// Where a tag's name or attribute lies: in the input or in the tokenizer's scratch.
struct Span {
  size_t off, len;
  bool scratch;
};

struct Event;

struct Open {
  Name name;  // a known name's literal, the input, or Extractor::other_names_
  uint32_t flags;
  bool hidden;
  bool foreign;
  int anchor = -1;          // index in anchors_ when this element collects anchor text
  int afe = -1;             // serial of its active formatting entry
  int foster_of = -1;       // foster-parented out of this table (index in tables_)
  size_t link_pos = 0;      // links made before its content
  int anchor_at_push = -1;  // the innermost collecting anchor when it opened
  size_t anchor_len = 0;    // and the length of its text then
  // In a table: where its content's output goes, and where in it its content starts.
  std::vector<Event>* sink = nullptr;
  size_t sink_pos = 0;
};

// What the text and the link order are made of while a table is open: foster-parented
// content goes before the table, so the output is replayed when the table closes.
struct Event {
  enum Kind : uint8_t { kText, kNewline, kLink } kind;
  size_t off = 0, len = 0;  // kText: in arena_
  size_t link = 0;          // kLink: index in out.links
};

struct TableSeg {
  std::vector<Event>* sink;  // where the table's own content goes
  size_t start;              // where in it the table starts
  std::vector<Event> fostered;
  int foster_open = 0;  // foster-parented elements open above it
};

struct Afe {
  Saved tag;
  int serial;  // matches Open::afe of its element
  bool marker = false;
  bool open = true;  // its element is on the stack
};

class Extractor {
 public:
  Extractor(std::string_view html, const Limits& lim, core::CpuBudget* budget)
      : s_(html), lim_(lim), budget_(budget) {}

  Extract run();
  // With a sink: every start tag's attributes named in `wanted` go to it (attribute_spans).
  void collect(std::span<const AttributeRef> wanted, std::vector<AttributeSpan>* out, size_t max) {
    wanted_ = wanted, spans_out_ = out, spans_max_ = max;
  }

 private:
  void collect_attributes(const Tag& t);
  std::span<const AttributeRef> wanted_;
  std::vector<AttributeSpan>* spans_out_ = nullptr;
  size_t spans_max_ = 0;
  std::vector<std::pair<size_t, size_t>> raw_values_;  // the current tag's values in the input
  // ---- output (the same rules as the DOM walk had) ----
  void cut(std::string_view what) {
    out_.truncated = true;
    if (out_.truncated_what.find(what) == std::string::npos)
      out_.truncated_what += (out_.truncated_what.empty() ? "" : ", ") + std::string(what);
  }
  bool links_full() const { return out_.links.size() >= lim_.max_links; }
  size_t link_text_room() const {
    size_t total_left = lim_.max_link_text_total > link_text_total_
                            ? lim_.max_link_text_total - link_text_total_
                            : 0;
    return std::min(lim_.max_link_text, total_left);
  }
  // Adds a link; returns its index, or -1 when none was added.
  long add_link(std::string_view url_in, std::string_view text, std::string source) {
    std::string url = trim(url_in);
    if (url.empty()) return -1;
    if (links_full()) {
      cut("links");
      return -1;
    }
    std::string kept(utf8_prefix(text, link_text_room()));
    link_text_total_ += kept.size();
    out_.links.push_back({std::move(url), std::move(kept), std::move(source)});
    if (std::vector<Event>* s = sink()) s->push_back({Event::kLink, 0, 0, out_.links.size() - 1});
    return static_cast<long>(out_.links.size() - 1);
  }
  void add_text(std::string_view t, bool hidden);
  void apply_text(std::string_view t);
  void apply_newline() {
    if (out_.text.empty() || out_.text.back() == '\n') return;
    if (out_.text.back() == ' ') out_.text.pop_back();
    out_.text.push_back('\n');
  }
  // Where output goes now: nullptr (straight out) when no table is open.
  std::vector<Event>* sink() {
    if (tables_.empty()) return nullptr;
    TableSeg& t = *tables_.back();
    return foster_now_ || t.foster_open > 0 ? &t.fostered : t.sink;
  }
  void replay();
  void srcset(std::string_view v) {
    size_t pos = 0;
    while (pos < v.size()) {
      size_t comma = v.find(',', pos);
      std::string item = trim(
          v.substr(pos, comma == std::string_view::npos ? std::string_view::npos : comma - pos));
      pos = comma == std::string_view::npos ? v.size() : comma + 1;
      size_t sp = item.find_first_of(" \t");
      add_link(std::string_view(item).substr(0, sp), "", "srcset");
    }
  }

  // ---- tree model ----
  // A view of the name that lives as long as the extraction (the tag's may not).
  std::string_view intern(const Tag& t) {
    const TagInfo* e = t.cached();
    return e ? e->name : intern(t.name);
  }
  std::string_view intern(std::string_view n) {
    if (const TagInfo* e = tag_table().find(n)) return e->name;
    auto in = [&](std::string_view v) {
      auto b = reinterpret_cast<uintptr_t>(s_.data()), p = reinterpret_cast<uintptr_t>(v.data());
      return p >= b && p + v.size() <= b + s_.size();
    };
    if (in(n)) return n;
    return *other_names_.emplace(n).first;
  }
  bool hidden_now() const { return stack_.empty() ? head_ : stack_.back().hidden; }
  void flush();                        // the pending text becomes a text node
  void text_node(std::string_view t);  // a text node of the current element
  void anchor_text(std::string_view t, bool count = true);
  void prune_anchors();
  void count_node();  // a node the DOM walk of the open anchors would visit  // text a DOM walk of
                      // the open anchors would collect
  void comment() {
    flush();
    count_node();
  }
  void push(const Tag& t, uint32_t flags, bool afe);
  void pop();
  void pop_until(size_t k);  // pops stack_[k] and everything above it
  long find(Name name, uint32_t stop, bool button = false, bool list = false) const;
  void close_p() {
    long k = find("p", kBoundary, true);
    if (k >= 0) {
      implied_end("p");
      pop_until(static_cast<size_t>(k));
    }
  }
  void implied_end(std::string_view except) {
    while (!stack_.empty() && (stack_.back().flags & kImplied) && stack_.back().name != except)
      pop();
  }
  void reconstruct();
  void start_tag(Tag& t);
  void end_tag(Name name);
  void adoption(Name name);
  void clone_link(size_t fb, Link copy, std::string_view text);
  void clone_in_table(size_t fb, Link copy);
  // What the DOM walk did on entering an element; returns its hidden flag.
  bool enter(const Tag& t, uint32_t flags, bool parent_hidden, int* anchor);
  void head_element(const Tag& t, uint32_t flags);
  void merge_body(const Tag& t);
  void raw_content(const Tag& t, size_t b, size_t e);

  // ---- tokenizer ----
  size_t read_tag(size_t i, bool end, Tag& t);  // -> index after '>' or npos at EOF
  size_t comment_end(size_t i) const;
  size_t raw_end(size_t i, std::string_view name) const;

  std::string_view s_;
  const Limits& lim_;
  core::CpuBudget* budget_;
  Extract out_;
  size_t link_text_total_ = 0;

  std::string pending_;                       // characters of the text node being built
  std::vector<std::pair<Span, Span>> spans_;  // the current tag's attributes
  std::string scratch_;  // decoded attribute values and lower-cased names of the current tag
  std::vector<Open> stack_;
  std::unordered_set<std::string> other_names_;  // names of open elements the table lacks
  std::vector<Afe> afe_;
  std::vector<Anchor> anchors_;
  std::vector<int> open_anchors_;
  int serial_ = 0;
  size_t nesting_ = 0;  // open elements that count towards the nesting bound
  bool head_ = true;    // before the body: elements go to the (hidden) head
  bool html_seen_ = false;
  bool root_hidden_ = false;
  bool form_open_ = false;
  std::vector<std::unique_ptr<TableSeg>> tables_;  // the open tables, innermost last
  std::vector<Event> log_;                         // output while a table is open
  std::string arena_;                              // the text of log_ and the fostered
  size_t session_links_ = 0;                       // links before the outermost open table
  bool foster_now_ = false;              // the output being made goes before the innermost table
  size_t body_link_pos_ = 0;             // where the links of the body's own attributes end
  std::vector<std::string> body_attrs_;  // the body's attribute names
  bool drop_newline_ = false;  // after <pre>, <listing>, <textarea>: a leading LF is dropped
  bool quirks_ = true;         // no doctype, or an old one: <table> does not close a <p>

  // The document mode a doctype sets, roughly (HTML5 §13.2.6.4.1): "html" alone, a
  // strict or XHTML public id, or a transitional one with a system id: not quirks.
  void doctype(std::string_view d) {
    std::string l = core::to_lower(d);
    std::string_view v = l;
    while (!v.empty() && is_space(v.front())) v.remove_prefix(1);
    if (!v.starts_with("html")) return;
    size_t pub = v.find("public");
    if (pub == std::string_view::npos) {
      quirks_ = v.find("system") != std::string_view::npos &&
                v.find("http://www.ibm.com/data/dtd/v11/ibmxhtml1-transitional.dtd") !=
                    std::string_view::npos;
      return;
    }
    size_t q = v.find_first_of("\"'", pub);
    if (q == std::string_view::npos) return;
    size_t qe = v.find(v[q], q + 1);
    std::string_view id = v.substr(q + 1, qe == std::string_view::npos ? 0 : qe - q - 1);
    bool system =
        qe != std::string_view::npos && v.find_first_of("\"'", qe + 1) != std::string_view::npos;
    if (id.starts_with("-//w3c//dtd xhtml 1.0 transitional//") ||
        id.starts_with("-//w3c//dtd xhtml 1.0 frameset//") ||
        id.starts_with("-//w3c//dtd xhtml 1.0 strict//") ||
        id.starts_with("-//w3c//dtd xhtml 1.1") || id.starts_with("-//w3c//dtd html 4.01//") ||
        id == "-//w3c//dtd html 4.0//en" ||
        ((id.starts_with("-//w3c//dtd html 4.01 transitional//") ||
          id.starts_with("-//w3c//dtd html 4.01 frameset//")) &&
         system))
      quirks_ = false;
  }
};

void Extractor::add_text(std::string_view t, bool hidden) {
  if (hidden) {
    out_.hidden_text += t.size();
    return;
  }
  if (std::vector<Event>* s = sink()) {
    s->push_back({Event::kText, arena_.size(), t.size(), 0});
    arena_ += t;
    return;
  }
  apply_text(t);
}

// Replays the output of the outermost table, foster-parented content in its place.
void Extractor::replay() {
  std::vector<size_t> order;
  for (const Event& e : log_) {
    if (e.kind == Event::kText)
      apply_text(std::string_view(arena_).substr(e.off, e.len));
    else if (e.kind == Event::kNewline)
      apply_newline();
    else
      order.push_back(e.link);
  }
  bool same = order.size() == out_.links.size() - session_links_;
  bool moved = false;
  for (size_t i = 0; same && i < order.size(); ++i) moved = moved || order[i] != session_links_ + i;
  if (same && moved) {
    std::vector<Link> links;
    std::vector<size_t> pos(order.size());
    for (size_t i = 0; i < order.size(); ++i) {
      links.push_back(std::move(out_.links[order[i]]));
      pos[order[i] - session_links_] = session_links_ + i;
    }
    for (size_t i = 0; i < links.size(); ++i) out_.links[session_links_ + i] = std::move(links[i]);
    for (auto& an : anchors_)
      if (an.link >= session_links_) an.link = pos[an.link - session_links_];
  }
  log_.clear();
  arena_.clear();
}

void Extractor::apply_text(std::string_view t) {
  std::string& text = out_.text;
  if (text.size() >= lim_.max_text) {
    cut("text");
    return;
  }
  if (!text.empty() && text.back() != ' ' && text.back() != '\n') text.push_back(' ');
  bool space = false;
  size_t i = 0;
  while (i < t.size()) {
    if (is_space(t[i])) {
      space = true;
      ++i;
      continue;
    }
    // a run of other characters: one separator before it, then as much of it as fits
    size_t j = i + 1;
    while (j < t.size() && !is_space(t[j])) ++j;
    bool sep = space && !text.empty() && text.back() != ' ';
    if (text.size() + (sep ? 2 : 1) > lim_.max_text) {
      cut("text");
      break;
    }
    if (sep) text.push_back(' ');
    space = false;
    size_t take = std::min(j - i, lim_.max_text - text.size());
    text.append(t.data() + i, take);
    if (take < j - i) {
      cut("text");
      break;
    }
    i = j;
  }
}

void Extractor::anchor_text(std::string_view t, bool count) {
  bool full = false;
  for (int a : open_anchors_) {
    Anchor& an = anchors_[a];
    size_t cap = an.room * 4 + 16;
    if (an.text.size() >= cap || (count ? ++an.nodes : an.nodes) > kAnchorNodes) {
      full = true;
      continue;
    }
    if (!an.text.empty()) an.text.push_back(' ');
    an.text += utf8_prefix(t, cap > an.text.size() ? cap - an.text.size() : 0);
    full = full || an.text.size() >= cap;
  }
  if (full) prune_anchors();
}

// Anchors whose text is complete (at its cap, or past the node bound) collect no more:
// they leave the list, so each text node costs only the anchors still collecting.
void Extractor::prune_anchors() {
  std::erase_if(open_anchors_, [&](int a) {
    const Anchor& an = anchors_[static_cast<size_t>(a)];
    return an.text.size() >= an.room * 4 + 16 || an.nodes > kAnchorNodes;
  });
}

void Extractor::count_node() {
  bool full = false;
  for (int a : open_anchors_)
    full = ++anchors_[static_cast<size_t>(a)].nodes > kAnchorNodes || full;
  if (full) prune_anchors();
}

void Extractor::text_node(std::string_view t) {
  bool ws = std::all_of(t.begin(), t.end(), is_space);
  if (ws) {
    count_node();
    return;
  }
  anchor_text(t);
  // non-white text in a table (not in a cell) goes before the table
  foster_now_ = !stack_.empty() && (stack_.back().flags & kTableCtx);
  add_text(t, hidden_now());
  foster_now_ = false;
}

void Extractor::flush() {
  if (pending_.empty()) return;
  text_node(pending_);
  pending_.clear();
}

bool Extractor::enter(const Tag& t, uint32_t flags, bool hidden, int* anchor) {
  Name n = t.name;
  count_node();
  bool el_hidden = hidden;
  if (t.attr("hidden")) el_hidden = true;
  if (const std::string_view* style = t.attr("style")) {
    StyleProps sp = style_props(*style);
    using namespace std::string_view_literals;  // compared by length first, no strlen
    if (sp.display == "none"sv || sp.visibility == "hidden"sv || sp.opacity == "0"sv ||
        sp.opacity == "0.0"sv)
      el_hidden = true;
    if (tiny_size(sp.font_size)) ++out_.tiny_font;
    std::string color = normalize_color(sp.color);
    std::string bg = normalize_color(sp.background_color);
    if (bg.empty()) bg = normalize_color(sp.background);
    if (color == "transparent"sv || (!color.empty() && color == bg)) ++out_.invisible_color;
    for (auto& u : css_urls(*style)) add_link(u, "", "css");
  }
  if (n == "font")
    if (const std::string_view* c = t.attr("color"))
      if (core::to_lower(*c) == "transparent") ++out_.invisible_color;
  if (el_hidden && !hidden) ++out_.hidden_elements;
  if (n == "a" || n == "area") {
    if (const std::string_view* href = t.attr("href")) {
      size_t room = link_text_room();
      long l = add_link(*href, "", n == "a" ? "a@href" : "area@href");
      if (l >= 0 && anchor) {
        anchors_.push_back({static_cast<size_t>(l), room, {}, 0});
        *anchor = static_cast<int>(anchors_.size() - 1);
      }
    }
  } else if (n == "img") {
    const std::string_view* alt = t.attr("alt");
    if (const std::string_view* src = t.attr("src")) add_link(*src, alt ? *alt : "", "img@src");
    if (const std::string_view* ss = t.attr("srcset")) srcset(*ss);
    if (alt) anchor_text(*alt, false);  // the node was counted above
  } else if (n == "source") {
    if (const std::string_view* src = t.attr("src")) add_link(*src, "", "source@src");
    if (const std::string_view* ss = t.attr("srcset")) srcset(*ss);
  } else if (n == "iframe" || n == "frame" || n == "embed" || n == "video" || n == "audio" ||
             n == "input") {
    if (const std::string_view* src = t.attr("src")) add_link(*src, "", std::string(n) + "@src");
  } else if (n == "object") {
    if (const std::string_view* d = t.attr("data")) add_link(*d, "", "object@data");
  } else if (n == "link") {
    if (const std::string_view* href = t.attr("href")) add_link(*href, "", "link@href");
  } else if (n == "base") {
    if (const std::string_view* href = t.attr("href")) add_link(*href, "", "base@href");
  } else if (n == "form") {
    Form f;
    if (const std::string_view* a = t.attr("action")) {
      f.action = *a;
      add_link(*a, "", "form@action");
    }
    out_.forms.push_back(std::move(f));
  }
  if (n == "input" || n == "button") {
    if (const std::string_view* fa = t.attr("formaction")) add_link(*fa, "", "formaction");
    if (n == "input") {
      const std::string_view* type = t.attr("type");
      if (type && core::to_lower(*type) == "password") {
        if (out_.forms.empty()) out_.forms.push_back({});
        out_.forms.back().password = true;
      }
    }
  }
  if (const std::string_view* bg = t.attr("background")) add_link(*bg, "", "background");
  if ((flags & kNewline) && !el_hidden) {
    if (std::vector<Event>* s = sink())
      s->push_back({Event::kNewline, 0, 0, 0});
    else
      apply_newline();
  }
  return el_hidden;
}

void Extractor::push(const Tag& t, uint32_t flags, bool afe) {
  // a start tag dropped at the bound is not there at all: it does not end the text node
  bool foreign = (!stack_.empty() && stack_.back().foreign) || t.name == "svg" || t.name == "math";
  if (!(flags & kNoNest) && !foreign) {
    if (nesting_ >= lim_.max_depth / 5 && t.name != "a" && t.name != "form" && t.name != "button") {
      cut("nesting");
      return;
    }
  }
  if (stack_.size() >= lim_.max_depth) {
    cut("depth");
    return;
  }
  flush();
  // an element that does not belong in a table, opened in one, goes before the table
  bool foster = !tables_.empty() && !stack_.empty() && (stack_.back().flags & kTableCtx) &&
                !(flags & kTablePart);
  int anchor = -1;
  foster_now_ = foster;
  bool hidden = enter(t, flags, hidden_now(), &anchor);
  foster_now_ = false;
  if (!(flags & kNoNest) && !foreign) ++nesting_;
  if (t.name == "body" && stack_.size() == 1) {
    body_link_pos_ = out_.links.size();
    for (const auto& a : t.attrs) body_attrs_.emplace_back(a.name);
  }
  stack_.push_back(
      {intern(t), flags, hidden, foreign, anchor, -1, -1, out_.links.size(), -1, 0, nullptr, 0});
  if (!open_anchors_.empty() && anchor < 0) {
    stack_.back().anchor_at_push = open_anchors_.back();
    stack_.back().anchor_len = anchors_[static_cast<size_t>(open_anchors_.back())].text.size();
  }
  if (foster) {
    stack_.back().foster_of = static_cast<int>(tables_.size() - 1);
    ++tables_.back()->foster_open;
  }
  if (t.name == "table") {
    std::vector<Event>* s = sink();
    if (!s) {
      s = &log_;
      session_links_ = out_.links.size();
    }
    tables_.push_back(std::make_unique<TableSeg>(TableSeg{s, s->size(), {}, 0}));
  }
  if (std::vector<Event>* s = sink()) stack_.back().sink = s, stack_.back().sink_pos = s->size();
  if (anchor >= 0) open_anchors_.push_back(anchor);
  if (afe) {
    Saved sv{std::string(t.name), {}};
    for (const auto& a : t.attrs) sv.attrs.emplace_back(a.name, a.value);
    // Noah's ark: at most three equal entries after the last marker
    int same = 0;
    size_t first = afe_.size();
    for (size_t k = afe_.size(); k-- > 0 && !afe_[k].marker;)
      if (afe_[k].tag.name == sv.name && afe_[k].tag.attrs == sv.attrs) ++same, first = k;
    if (same >= 3) afe_.erase(afe_.begin() + static_cast<long>(first));
    if (afe_.size() >= 64) afe_.erase(afe_.begin());
    afe_.push_back({std::move(sv), ++serial_, false, true});
    stack_.back().afe = serial_;
  }
}

void Extractor::pop() {
  flush();
  Open& o = stack_.back();
  if (o.anchor >= 0) {
    Anchor& an = anchors_[static_cast<size_t>(o.anchor)];
    std::string col;
    bool space = false;
    for (char c : an.text) {
      if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
        space = !col.empty();
        continue;
      }
      if (space) col.push_back(' ');
      space = false;
      col.push_back(c);
      if (col.size() > an.room) break;
    }
    std::string kept(utf8_prefix(utf8_prefix(col, an.room), link_text_room()));
    link_text_total_ += kept.size();
    out_.links[an.link].text = std::move(kept);
    if (auto it = std::find(open_anchors_.begin(), open_anchors_.end(), o.anchor);
        it != open_anchors_.end())
      open_anchors_.erase(it);
    an.text = std::string();
  }
  if (!(o.flags & kNoNest) && !o.foreign && nesting_ > 0) --nesting_;
  if (o.afe >= 0)
    for (size_t k = afe_.size(); k-- > 0;)
      if (afe_[k].serial == o.afe && !afe_[k].marker) {
        afe_[k].open = false;
        break;
      }
  if (o.name == "form") form_open_ = false;
  if (o.foster_of >= 0 && static_cast<size_t>(o.foster_of) < tables_.size())
    --tables_[static_cast<size_t>(o.foster_of)]->foster_open;
  bool table = o.name == "table";
  stack_.pop_back();
  if (table && !tables_.empty()) {
    std::unique_ptr<TableSeg> seg = std::move(tables_.back());
    tables_.pop_back();
    seg->sink->insert(seg->sink->begin() + static_cast<long>(seg->start), seg->fostered.begin(),
                      seg->fostered.end());
    if (tables_.empty()) replay();
  }
}

void Extractor::pop_until(size_t k) {
  while (stack_.size() > k) pop();
}

long Extractor::find(Name name, uint32_t stop, bool button, bool list) const {
  for (size_t k = stack_.size(); k-- > 0;) {
    const Open& o = stack_[k];
    if (o.name == name) return static_cast<long>(k);
    if ((o.flags & stop) || (button && o.name == "button") ||
        (list && (o.name == "ol" || o.name == "ul")))
      return -1;
  }
  return -1;
}

void Extractor::reconstruct() {
  if (afe_.empty() || afe_.back().marker || afe_.back().open) return;
  size_t k = afe_.size() - 1;
  while (k > 0 && !afe_[k - 1].marker && !afe_[k - 1].open) --k;
  for (; k < afe_.size(); ++k) {
    Saved sv = afe_[k].tag;
    Tag t = sv.view();
    size_t before = stack_.size();
    push(t, tag_flags(t.name), false);
    if (stack_.size() == before) return;  // dropped at the bound
    afe_[k].serial = ++serial_;
    afe_[k].open = true;
    stack_.back().afe = serial_;
  }
}

// A table is open: the anchor's clone is the last link made, and its place in the output
// (the start of the block's content) is an event of the block's sink, which the table's
// replay puts in order. No table is open above the block (the anchor would not be in
// scope), so no table's start moves. Costs the block's output so far (the blocks of
// successive clones are disjoint) and the elements above the block.
void Extractor::clone_in_table(size_t fb, Link copy) {
  out_.links.push_back(std::move(copy));
  std::vector<Event>* s = stack_[fb].sink;
  size_t pos = stack_[fb].sink_pos;
  s->insert(s->begin() + static_cast<long>(pos), {Event::kLink, 0, 0, out_.links.size() - 1});
  for (size_t k = fb + 1; k < stack_.size(); ++k)
    if (stack_[k].sink == s && stack_[k].sink_pos >= pos) ++stack_[k].sink_pos;
}

// The adoption agency, simplified: the formatting element closes (with what is above it
// when no block is above it); with a block above, it leaves the stack and the block stays.
void Extractor::adoption(Name name) {
  size_t f = afe_.size();
  for (size_t k = afe_.size(); k-- > 0 && !afe_[k].marker;)
    if (afe_[k].tag.name == name) {
      f = k;
      break;
    }
  if (f == afe_.size()) {  // not active: any other end tag
    for (size_t k = stack_.size(); k-- > 0;) {
      if (stack_[k].name == name) {
        implied_end(name);
        pop_until(k);
        return;
      }
      if (stack_[k].flags & kSpecial) return;
    }
    return;
  }
  int serial = afe_[f].serial;
  long at = -1;
  for (size_t k = stack_.size(); k-- > 0;)
    if (stack_[k].afe == serial) {
      at = static_cast<long>(k);
      break;
    }
  if (at < 0) {
    afe_.erase(afe_.begin() + static_cast<long>(f));
    return;
  }
  for (size_t k = stack_.size(); k-- > static_cast<size_t>(at) + 1;)
    if (stack_[k].flags & kBoundary) return;  // not in scope
  bool block = false;
  for (size_t k = static_cast<size_t>(at) + 1; k < stack_.size(); ++k)
    if (stack_[k].flags & kSpecial) block = true;
  afe_.erase(afe_.begin() + static_cast<long>(f));
  if (!block) {
    pop_until(static_cast<size_t>(at));
    return;
  }
  // keep the block open; the formatting element leaves the stack
  flush();
  // An anchor is cloned into each block above it (the spec's outer loop, at most 8
  // times): a link per block, with the block's content up to the next block's. (In a
  // table, only blocks opened in it: their content's output is still in the log.)
  std::vector<std::pair<size_t, std::string>> clones;  // block, text
  int fa = stack_[static_cast<size_t>(at)].anchor;
  if (fa >= 0) {
    Anchor& an = anchors_[static_cast<size_t>(fa)];
    for (size_t k = static_cast<size_t>(at) + 1; k < stack_.size() && clones.size() < 8; ++k) {
      if (!(stack_[k].flags & kSpecial)) continue;
      if (stack_[k].anchor_at_push != fa || (!tables_.empty() && !stack_[k].sink)) break;
      clones.push_back({k, {}});
    }
    size_t end = an.text.size();
    for (size_t i = clones.size(); i-- > 0;) {
      size_t l = std::min(stack_[clones[i].first].anchor_len, end);
      clones[i].second = an.text.substr(l, end - l);
      end = l;
    }
    an.text.resize(end);
  }
  Link copy;
  if (!clones.empty()) copy = out_.links[anchors_[static_cast<size_t>(fa)].link];
  std::vector<Open> above(stack_.begin() + at + 1, stack_.end());
  stack_.resize(static_cast<size_t>(at) + 1);
  pop();
  for (auto& o : above) stack_.push_back(std::move(o));
  for (auto& [block, text] : clones) {
    if (links_full()) return;
    clone_link(block - 1, copy, text);  // the formatting element left the stack
  }
}

// Adds the clone of an anchor into the block stack_[fb] (see adoption): the anchor's link
// with `text`, at the start of the block's links.
void Extractor::clone_link(size_t fb, Link copy, std::string_view text) {
  size_t room = link_text_room();
  std::string col;
  bool space = false;
  for (char c : text) {
    if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
      space = !col.empty();
      continue;
    }
    if (space) col.push_back(' ');
    space = false;
    col.push_back(c);
    if (col.size() > room) break;
  }
  copy.text = std::string(utf8_prefix(col, room));
  link_text_total_ += copy.text.size();
  if (!tables_.empty()) {
    clone_in_table(fb, std::move(copy));
    return;
  }
  size_t p = stack_[fb].link_pos;
  out_.links.insert(out_.links.begin() + static_cast<long>(p), std::move(copy));
  for (auto& a : anchors_)
    if (a.link >= p) ++a.link;
  if (body_link_pos_ > p) ++body_link_pos_;
  for (size_t k = fb + 1; k < stack_.size(); ++k)
    if (stack_[k].link_pos >= p) ++stack_[k].link_pos;
}

void Extractor::head_element(const Tag& t, uint32_t flags) {
  (void)flags;
  flush();
  count_node();
  Name n = t.name;
  if (n == "script") {
    ++out_.scripts;
    if (const std::string_view* src = t.attr("src")) add_link(*src, "", "script@src");
    return;
  }
  if (n == "style") {
    ++out_.styles;
    return;
  }
  if (n == "title") return;
  if (n == "meta") {
    const std::string_view* he = t.attr("http-equiv");
    const std::string_view* content = t.attr("content");
    if (he && content && core::to_lower(*he) == "refresh") {
      std::string c(*content);
      std::string lc = core::to_lower(c);
      size_t u = lc.find("url");
      if (u != std::string::npos) {
        size_t eq = c.find('=', u);
        if (eq != std::string::npos) {
          std::string url = trim(std::string_view(c).substr(eq + 1));
          if (!url.empty() && (url.front() == '\'' || url.front() == '"')) url = url.substr(1);
          if (!url.empty() && (url.back() == '\'' || url.back() == '"')) url.pop_back();
          add_link(url, "", "meta-refresh");
        }
      }
    }
    return;
  }
  enter(t, tag_flags(n), head_ || hidden_now(), nullptr);
}

// A <body> start tag inside the body adds its attributes the body lacks to it: their
// links take their place after the body's own, before everything inside it.
void Extractor::merge_body(const Tag& t) {
  if (stack_.size() < 2 || stack_[1].name != "body") return;
  Tag add;
  add.name = "body";
  for (const auto& a : t.attrs) {
    if (std::find(body_attrs_.begin(), body_attrs_.end(), a.name) != body_attrs_.end()) continue;
    body_attrs_.emplace_back(a.name);
    add.attrs.push_back(a);
  }
  if (add.attrs.empty()) return;
  size_t before = out_.links.size();
  std::vector<int> anchors;
  std::swap(anchors, open_anchors_);  // not a node of any anchor
  enter(add, tag_flags("body"), stack_[0].hidden, nullptr);
  std::swap(anchors, open_anchors_);
  size_t added = out_.links.size() - before;
  if (added == 0) return;
  std::rotate(out_.links.begin() + static_cast<long>(body_link_pos_),
              out_.links.begin() + static_cast<long>(before), out_.links.end());
  for (auto& an : anchors_)
    if (an.link >= body_link_pos_) an.link += added;
  body_link_pos_ += added;
}

// The content of a raw text element: script, style and title are not text; the others are.
void Extractor::raw_content(const Tag& t, size_t b, size_t e) {
  Name n = t.name;
  std::string content;
  append_chars(s_, b, e, content, tag_flags(n) & kRcdata, false);
  if (n == "textarea" && !content.empty() && content.front() == '\n') content.erase(0, 1);
  if (content.empty()) return;
  bool ws = std::all_of(content.begin(), content.end(), is_space);
  if (n == "script" || n == "style" || n == "title") {
    if (ws) {
      count_node();
      return;
    }
    anchor_text(content);
    if (n == "style")
      for (auto& u : css_urls(content)) add_link(u, "", "css");
    return;
  }
  pending_ = std::move(content);
  flush();
}

void Extractor::start_tag(Tag& t) {
  if (t.name == "image") t.name = "img";
  const TagInfo* info = t.known();
  uint32_t flags = info ? info->flags : 0;
  Name n = t.name;
  if (n == "html") {
    if (!html_seen_ && head_ && stack_.empty() && out_.links.empty() && out_.text.empty()) {
      int dummy = -1;
      root_hidden_ = enter(t, flags, false, &dummy);
    }
    html_seen_ = true;
    return;
  }
  bool foreign = !stack_.empty() && stack_.back().foreign;
  if (foreign && (flags & kBreakout)) {
    while (!stack_.empty() && stack_.back().foreign) pop();
    foreign = false;
  }
  if (foreign) {
    push(t, flags & ~(kVoid | kRaw), false);
    if (t.self_closing && !stack_.empty()) pop();
    return;
  }
  if (head_) {
    if (n == "head") return;
    if ((flags & kHead) && n != "noscript" && n != "template") {
      if (!(flags & kRaw)) head_element(t, flags);
      return;  // raw ones are handled by the caller
    }
    if (n == "noscript" || n == "template") return;  // their content decides
    head_ = false;
    html_seen_ = true;
    if (n == "body") {
      Tag body = t;
      stack_.push_back({"html", 0, root_hidden_, false, -1, -1, -1, 0, -1, 0});
      push(body, flags, false);
      return;
    }
    Tag body;
    body.name = "body";
    stack_.push_back({"html", 0, root_hidden_, false, -1, -1, -1, 0, -1, 0});
    push(body, tag_flags("body"), false);
  }
  if (n == "body") {
    merge_body(t);
    return;
  }
  if (n == "head" || n == "frameset" || n == "caption" || n == "col" || n == "colgroup" ||
      n == "frame")
    return;
  if (flags & kHead) {
    if (n == "noscript" || n == "template") {
      reconstruct();
      push(t, flags, false);
      return;
    }
    if (!(flags & kRaw)) head_element(t, flags);
    return;
  }
  bool in_table =
      !stack_.empty() && (stack_.back().name == "table" || stack_.back().name == "tbody" ||
                          stack_.back().name == "thead" || stack_.back().name == "tfoot" ||
                          stack_.back().name == "tr");
  if (n == "td" || n == "th" || n == "tr" || n == "tbody" || n == "thead" || n == "tfoot") {
    long table = find("table", 0);
    if (table < 0) return;  // outside a table: ignored
    for (size_t k = stack_.size(); k-- > static_cast<size_t>(table) + 1;) {
      if (stack_[k].name == "template" || stack_[k].name == "html") break;
    }
    if (n == "td" || n == "th") {
      long cell = -1;
      for (size_t k = stack_.size(); k-- > static_cast<size_t>(table);)
        if (stack_[k].name == "td" || stack_[k].name == "th") {
          cell = static_cast<long>(k);
          break;
        }
      if (cell >= 0) {
        pop_until(static_cast<size_t>(cell));
        while (!afe_.empty() && !afe_.back().marker) afe_.pop_back();
        if (!afe_.empty()) afe_.pop_back();
      }
      Name top = stack_.back().name;
      if (top != "tr") {
        while (stack_.size() > static_cast<size_t>(table) + 1 && stack_.back().name != "tbody" &&
               stack_.back().name != "thead" && stack_.back().name != "tfoot")
          pop();
        if (stack_.back().name == "table") {
          Tag tb;
          tb.name = "tbody";
          push(tb, tag_flags("tbody"), false);
        }
        Tag tr;
        tr.name = "tr";
        push(tr, tag_flags("tr"), false);
      }
      push(t, flags, false);
      afe_.push_back({{}, 0, true, false});
      return;
    }
    // tr, tbody, thead, tfoot: close the open cell and rows down to the right context
    while (stack_.size() > static_cast<size_t>(table) + 1) {
      Name top = stack_.back().name;
      if (n == "tr" && (top == "tbody" || top == "thead" || top == "tfoot")) break;
      if (top == "td" || top == "th") {
        pop();
        while (!afe_.empty() && !afe_.back().marker) afe_.pop_back();
        if (!afe_.empty()) afe_.pop_back();
        continue;
      }
      pop();
    }
    if (n == "tr" && stack_.back().name == "table") {
      Tag tb;
      tb.name = "tbody";
      push(tb, tag_flags("tbody"), false);
    }
    push(t, flags, false);
    return;
  }
  if (n == "table") {
    if (!quirks_) close_p();
    // in a table (not in a cell, though maybe in content foster-parented out of it),
    // a table closes the first
    bool table_mode = false;
    for (size_t k = stack_.size(); k-- > 0;) {
      Name o = stack_[k].name;
      if (o == "td" || o == "th" || o == "caption") break;
      if (o == "table") {
        table_mode = true;
        break;
      }
    }
    if (table_mode) {
      long table = find("table", 0);
      if (table >= 0) pop_until(static_cast<size_t>(table));
    }
    push(t, flags, false);
    return;
  }
  if (n == "form") {
    if (form_open_) return;
    if (in_table) {  // inserted in the table and closed at once: its content is not in it
      flush();
      enter(t, flags, hidden_now(), nullptr);
      form_open_ = true;
      return;
    }
    close_p();
    push(t, flags, false);
    if (stack_.back().name == "form") form_open_ = true;
    return;
  }
  if (n == "li" || n == "dd" || n == "dt") {
    for (size_t k = stack_.size(); k-- > 0;) {
      Name o = stack_[k].name;
      if (n == "li" ? o == "li" : (o == "dd" || o == "dt")) {
        implied_end(o);
        pop_until(k);
        break;
      }
      if ((stack_[k].flags & kSpecial) && o != "address" && o != "div" && o != "p") break;
    }
    close_p();
    push(t, flags, false);
    return;
  }
  if (flags & kClosesP) {
    close_p();
    if (n.size() == 2 && n[0] == 'h' && n[1] >= '1' && n[1] <= '6' && !stack_.empty()) {
      Name top = stack_.back().name;
      if (top.size() == 2 && top[0] == 'h' && top[1] >= '1' && top[1] <= '6') pop();
    }
    push(t, flags, false);
    if (n == "pre" || n == "listing") drop_newline_ = true;
    if ((flags & kVoid) && !stack_.empty() && stack_.back().name == n) pop();
    return;
  }
  if (n == "a") {
    for (size_t k = afe_.size(); k-- > 0 && !afe_[k].marker;)
      if (afe_[k].tag.name == "a") {
        int serial = afe_[k].serial;
        adoption("a");
        for (size_t j = stack_.size(); j-- > 0;)
          if (stack_[j].afe == serial) {
            flush();
            std::vector<Open> above(stack_.begin() + static_cast<long>(j) + 1, stack_.end());
            stack_.resize(j + 1);
            pop();
            for (auto& o : above) stack_.push_back(std::move(o));
            break;
          }
        for (size_t j = afe_.size(); j-- > 0;)
          if (afe_[j].serial == serial && !afe_[j].marker) {
            afe_.erase(afe_.begin() + static_cast<long>(j));
            break;
          }
        break;
      }
  }
  if (n == "button") {
    long b = find("button", kBoundary);
    if (b >= 0) {
      implied_end("");
      pop_until(static_cast<size_t>(b));
    }
  }
  if (n == "option" && !stack_.empty() && stack_.back().name == "option") pop();
  if (n == "optgroup") {
    if (!stack_.empty() && stack_.back().name == "option") pop();
    if (!stack_.empty() && stack_.back().name == "optgroup") pop();
  }
  if (n == "nobr") {
    reconstruct();
    long b = find("nobr", kBoundary);
    if (b >= 0) {
      adoption("nobr");
      reconstruct();
    }
  } else {
    reconstruct();
  }
  if (n == "applet" || n == "marquee" || n == "object") {
    push(t, flags, false);
    afe_.push_back({{}, 0, true, false});
    return;
  }
  push(t, flags, (flags & kFormatting) != 0);
  if ((flags & kVoid) && !stack_.empty() && stack_.back().name == n) pop();
}

void Extractor::end_tag(Name n) {
  if (head_) {
    if (n == "head" || n == "br" || n == "html" || n == "body") {
      if (n == "br") {
        Tag t;
        t.name = "br";
        start_tag(t);
      }
      return;
    }
    return;  // others are ignored before the body
  }
  if (!stack_.empty() && stack_.back().foreign) {
    for (size_t k = stack_.size(); k-- > 0;) {
      if (!stack_[k].foreign) break;
      if (stack_[k].name == n) {
        pop_until(k);
        return;
      }
    }
  }
  uint32_t flags = tag_flags(n);
  if (n == "body" || n == "html") return;
  if (n == "p") {
    if (find("p", kBoundary, true) < 0) {
      Tag t;
      t.name = "p";
      reconstruct();
      push(t, flags, false);
    }
    close_p();
    return;
  }
  if (n == "br") {
    Tag t;
    t.name = "br";
    start_tag(t);
    return;
  }
  if (n == "li" || n == "dd" || n == "dt") {
    long k = find(n, kBoundary, false, n == "li");
    if (k >= 0) {
      implied_end(n);
      pop_until(static_cast<size_t>(k));
    }
    return;
  }
  if (n.size() == 2 && n[0] == 'h' && n[1] >= '1' && n[1] <= '6') {
    for (size_t k = stack_.size(); k-- > 0;) {
      Name o = stack_[k].name;
      if (o.size() == 2 && o[0] == 'h' && o[1] >= '1' && o[1] <= '6') {
        implied_end("");
        pop_until(k);
        return;
      }
      if (stack_[k].flags & kBoundary) return;
    }
    return;
  }
  if (n == "form") {
    form_open_ = false;
    long k = find("form", kBoundary);
    if (k >= 0) {
      implied_end("");
      if (stack_.back().name == "form")
        pop();
      else {  // the form leaves the stack; what is above it stays open
        flush();
        std::vector<Open> above(stack_.begin() + k + 1, stack_.end());
        stack_.resize(static_cast<size_t>(k) + 1);
        pop();
        for (auto& o : above) stack_.push_back(std::move(o));
      }
    }
    return;
  }
  if (flags & kScopedEnd) {
    long k = find(n, kBoundary, n == "button" ? false : false);
    if (k >= 0) {
      implied_end("");
      pop_until(static_cast<size_t>(k));
      if (n == "applet" || n == "marquee" || n == "object") {
        while (!afe_.empty() && !afe_.back().marker) afe_.pop_back();
        if (!afe_.empty()) afe_.pop_back();
      }
    }
    return;
  }
  if (flags & kFormatting) {
    adoption(n);
    return;
  }
  if (n == "td" || n == "th" || n == "tr" || n == "tbody" || n == "thead" || n == "tfoot" ||
      n == "table" || n == "caption") {
    long table = find("table", 0);
    if (table < 0) return;
    long k = find(n, 0);
    if (k < 0 || k < table) return;
    for (size_t j = stack_.size(); j-- > static_cast<size_t>(k);)
      if (stack_[j].name == "td" || stack_[j].name == "th") {
        while (!afe_.empty() && !afe_.back().marker) afe_.pop_back();
        if (!afe_.empty()) afe_.pop_back();
      }
    pop_until(static_cast<size_t>(k));
    return;
  }
  // any other end tag
  for (size_t k = stack_.size(); k-- > 0;) {
    if (stack_[k].name == n) {
      implied_end(n);
      pop_until(k);
      return;
    }
    if (stack_[k].flags & kSpecial) return;
  }
}

size_t Extractor::comment_end(size_t i) const {
  // i: after "<!--"
  if (i < s_.size() && s_[i] == '>') return i + 1;
  if (i + 1 < s_.size() && s_[i] == '-' && s_[i + 1] == '>') return i + 2;
  size_t k = i;
  while ((k = s_.find("--", k)) != std::string_view::npos) {
    if (k + 2 < s_.size() && s_[k + 2] == '>') return k + 3;
    if (k + 3 < s_.size() && s_[k + 2] == '!' && s_[k + 3] == '>') return k + 4;
    ++k;
  }
  return s_.size();
}

// Where the end tag of the raw text element `name` starts, from i (or the end).
size_t Extractor::raw_end(size_t i, std::string_view name) const {
  while ((i = s_.find("</", i)) != std::string_view::npos) {
    size_t k = i + 2;
    if (k + name.size() <= s_.size()) {
      bool same = true;
      for (size_t j = 0; j < name.size(); ++j)
        if (lower(s_[k + j]) != name[j]) {
          same = false;
          break;
        }
      size_t a = k + name.size();
      if (same && (a == s_.size() || is_space(s_[a]) || s_[a] == '/' || s_[a] == '>')) return i;
    }
    i += 2;
  }
  return s_.size();
}

// Reads a tag whose name starts at i: name, attributes (values decoded), self-closing flag.
// The tag reader's character classes: one load per byte instead of a chain of compares.
enum : uint8_t {
  kSpace = 1,     // is_space
  kNameEnd = 2,   // ends a tag name: space, '/', '>'
  kAttrEnd = 4,   // ends an attribute name: space, '/', '>', '='
  kValueEnd = 8,  // ends an unquoted value: space, '>'
  kUpper = 16,    // 'A'-'Z'
  kNul = 32,      // '\0'
};
constexpr std::array<uint8_t, 256> kTagClass = [] {
  std::array<uint8_t, 256> c{};
  for (unsigned char ch : {' ', '\t', '\r', '\n', '\f'})
    c[ch] = kSpace | kNameEnd | kAttrEnd | kValueEnd;
  c['/'] = kNameEnd | kAttrEnd;
  c['>'] = kNameEnd | kAttrEnd | kValueEnd;
  c['='] = kAttrEnd;
  for (int ch = 'A'; ch <= 'Z'; ++ch) c[ch] = kUpper;
  c[0] = kNul;
  return c;
}();

size_t Extractor::read_tag(size_t i, bool end, Tag& t) {
  (void)end;
  scratch_.clear();
  std::vector<std::pair<Span, Span>>& spans = spans_;
  spans.clear();
  raw_values_.clear();
  const unsigned char* d = reinterpret_cast<const unsigned char*>(s_.data());
  const size_t sz = s_.size();
  size_t ne = i;
  unsigned seen = 0;  // kUpper | kNul of the name's bytes
  while (ne < sz && !(kTagClass[d[ne]] & kNameEnd)) seen |= kTagClass[d[ne++]];
  Span name{i, ne - i, false};
  if (seen & (kUpper | kNul)) {
    name = {scratch_.size(), ne - i, true};
    for (size_t k = i; k < ne; ++k) scratch_.push_back(lower(s_[k]));
  }
  size_t p = ne;
  t.self_closing = false;
  while (true) {
    while (p < sz && (kTagClass[d[p]] & kSpace)) ++p;
    if (p >= sz) return std::string_view::npos;
    if (s_[p] == '>') {
      ++p;
      break;
    }
    if (s_[p] == '/') {
      ++p;
      if (p < s_.size() && s_[p] == '>') {
        t.self_closing = true;
        ++p;
        break;
      }
      continue;
    }
    // attribute name (a first '=' belongs to it)
    size_t a = p;
    unsigned up = kTagClass[d[p++]];
    while (p < sz && !(kTagClass[d[p]] & kAttrEnd)) up |= kTagClass[d[p++]];
    Span an{a, p - a, false};
    if (up & kUpper) {
      an = {scratch_.size(), p - a, true};
      for (size_t k = a; k < p; ++k) scratch_.push_back(lower(s_[k]));
    }
    while (p < sz && (kTagClass[d[p]] & kSpace)) ++p;
    Span av{0, 0, false};
    std::pair<size_t, size_t> raw{std::string_view::npos, std::string_view::npos};
    if (p < sz && s_[p] == '=') {
      ++p;
      while (p < sz && (kTagClass[d[p]] & kSpace)) ++p;
      if (p >= s_.size()) return std::string_view::npos;
      size_t vb, ve;
      if (s_[p] == '"' || s_[p] == '\'') {
        size_t q = s_.find(s_[p], p + 1);
        if (q == std::string_view::npos) return std::string_view::npos;
        vb = p + 1, ve = q;
        p = q + 1;
      } else if (s_[p] == '>') {
        vb = ve = p;
      } else {
        vb = p;
        while (p < sz && !(kTagClass[d[p]] & kValueEnd)) ++p;
        ve = p;
      }
      raw = {vb, ve};
      bool plain = text_stop(s_, vb, ve, true) == ve;
      if (plain) {
        av = {vb, ve - vb, false};
      } else {
        size_t off = scratch_.size();
        append_chars(s_, vb, ve, scratch_, true, true);
        av = {off, scratch_.size() - off, true};
      }
    }
    spans.push_back({an, av});
    raw_values_.push_back(raw);
  }
  // views only now: scratch_ no longer grows
  auto view = [&](Span sp) {
    return sp.scratch ? std::string_view(scratch_).substr(sp.off, sp.len)
                      : s_.substr(sp.off, sp.len);
  };
  t.name = view(name);
  t.info = nullptr;
  t.attrs.clear();
  for (const auto& [an, av] : spans) t.attrs.push_back({view(an), view(av)});
  return p;
}

void Extractor::collect_attributes(const Tag& t) {
  for (size_t k = 0; k < t.attrs.size() && k < raw_values_.size(); ++k) {
    const auto [vb, ve] = raw_values_[k];
    if (vb == std::string_view::npos || spans_out_->size() >= spans_max_) continue;
    for (const auto& w : wanted_)
      if (t.name == w.tag && t.attrs[k].name == w.attribute) {
        spans_out_->push_back({vb, ve, {}, std::string(w.tag), std::string(w.attribute)});
        break;
      }
  }
}

Extract Extractor::run() {
  size_t i = 0;
  Tag t;
  std::string name;
  while (i < s_.size()) {
    if (budget_ && budget_->tick()) {
      out_.out_of_time = true;
      cut("CPU time");
      break;
    }
    size_t lt = s_.find('<', i);
    size_t e = lt == std::string_view::npos ? s_.size() : lt;
    if (e > i) {
      size_t b = i;
      if (drop_newline_) {
        if (s_[b] == '\n')
          ++b;
        else if (s_[b] == '\r')
          b += b + 1 < e && s_[b + 1] == '\n' ? 2 : 1;
      }
      drop_newline_ = false;
      size_t before = pending_.size();
      append_chars(s_, b, e, pending_, true, false);
      if (head_ && pending_.size() > before) {
        // non-white text ends the head: the body starts before it
        bool ws =
            std::all_of(pending_.begin() + static_cast<long>(before), pending_.end(), is_space);
        if (!ws) {
          std::string text = pending_.substr(before);
          pending_.resize(before);
          Tag body;
          body.name = "body";
          // only the text from the first non-white character goes to the body
          size_t nw = 0;
          while (nw < text.size() && is_space(text[nw])) ++nw;
          pending_.clear();
          head_ = false;
          stack_.push_back({"html", 0, root_hidden_, false, -1, -1, -1, 0, -1, 0});
          push(body, tag_flags("body"), false);
          pending_ = text.substr(nw);
        } else {
          pending_.resize(before);
        }
      }
      bool white_in_table =
          !stack_.empty() && (stack_.back().flags & kTableCtx) &&
          std::all_of(pending_.begin() + static_cast<long>(before), pending_.end(), is_space);
      if (!head_ && !white_in_table && pending_.size() > before &&
          (afe_.empty() || !afe_.back().marker)) {
        // characters reconstruct the active formatting elements first
        if (!afe_.empty()) {
          std::string text = pending_.substr(before);
          pending_.resize(before);
          reconstruct();
          pending_ += text;
        }
      }
    }
    if (lt == std::string_view::npos) break;
    i = lt;
    drop_newline_ = false;
    size_t n = i + 1;
    if (n >= s_.size()) {
      pending_.push_back('<');
      break;
    }
    char c = s_[n];
    if (c == '!') {
      if (s_.substr(n + 1, 2) == "--") {
        comment();
        i = comment_end(n + 3);
        continue;
      }
      if (n + 8 <= s_.size() && core::to_lower(s_.substr(n + 1, 7)) == "doctype") {
        size_t g = s_.find('>', n);
        doctype(s_.substr(n + 8, g == std::string_view::npos ? std::string_view::npos : g - n - 8));
        i = g == std::string_view::npos ? s_.size() : g + 1;
        continue;
      }
      comment();
      size_t g = s_.find('>', n);
      i = g == std::string_view::npos ? s_.size() : g + 1;
      continue;
    }
    if (c == '?') {
      comment();
      size_t g = s_.find('>', n);
      i = g == std::string_view::npos ? s_.size() : g + 1;
      continue;
    }
    if (c == '/') {
      size_t m = n + 1;
      if (m >= s_.size()) {
        pending_ += "</";
        break;
      }
      if (s_[m] == '>') {
        i = m + 1;
        continue;
      }
      if (!is_alpha(s_[m])) {
        comment();
        size_t g = s_.find('>', m);
        i = g == std::string_view::npos ? s_.size() : g + 1;
        continue;
      }
      size_t after = read_tag(m, true, t);
      if (after == std::string_view::npos) break;
      name.assign(t.name);
      end_tag(name);
      i = after;
      continue;
    }
    if (!is_alpha(c)) {
      pending_.push_back('<');
      i = n;
      continue;
    }
    size_t after = read_tag(n, false, t);
    if (after == std::string_view::npos) break;
    if (spans_out_) collect_attributes(t);
    name.assign(t.name);
    t.name = name;
    i = after;
    // looked up once: the tree model reuses the entry while the name is its literal
    t.info = tag_table().find(name);
    if (t.info) t.name = t.info->name;
    uint32_t flags = t.info ? t.info->flags : 0;
    bool foreign = !stack_.empty() && stack_.back().foreign && !(flags & kBreakout);
    if (t.name == "plaintext" && !foreign) {  // t.name: the inline comparison
      start_tag(t);
      append_chars(s_, i, s_.size(), pending_, false, false);
      break;
    }
    if ((flags & kRaw) && !foreign) {
      size_t re = raw_end(i, name);
      // the element as the tree model places it, its content, then its end
      bool head_raw = (flags & kHead) && t.name != "noframes";
      if (head_raw || (head_ && (flags & kHead))) {
        head_element(t, flags);
        raw_content(t, i, re);
      } else {
        start_tag(t);
        bool pushed = !stack_.empty() && stack_.back().name == name;
        raw_content(t, i, re);
        if (pushed) pop();
      }
      if (re >= s_.size()) break;
      Tag endt;
      size_t a2 = read_tag(re + 2, true, endt);
      i = a2 == std::string_view::npos ? s_.size() : a2;
      continue;
    }
    start_tag(t);
  }
  // the end of the input closes everything
  while (!stack_.empty()) pop();
  flush();
  while (!out_.text.empty() && (out_.text.back() == ' ' || out_.text.back() == '\n'))
    out_.text.pop_back();
  return std::move(out_);
}

}  // namespace

std::string decode_attribute(std::string_view raw) {
  std::string out;
  out.reserve(raw.size());
  append_chars(raw, 0, raw.size(), out, true, true);
  return out;
}

std::vector<std::string> css_urls(std::string_view css, size_t max) {
  std::vector<std::string> out;
  // "url(" and "@import" need a '(' or an '@': most style attributes have neither
  if (css.find('(') == std::string_view::npos && css.find('@') == std::string_view::npos)
    return out;
  std::string l = core::to_lower(css);
  // every needle's next occurrence is remembered (positions only grow): linear in the CSS
  core::ForwardFind url(l, "url("), import(l, "@import"),
      quote(css, "\"'", core::ForwardFind::Mode::AnyOf), semicolon(css, ";"), close(css, ")");
  size_t pos = 0;
  while (out.size() < max) {
    size_t u = url.from(pos);
    size_t imp = import.from(pos);
    if (u == std::string::npos && imp == std::string::npos) break;
    if (imp != std::string::npos && (u == std::string::npos || imp < u)) {
      size_t q = quote.from(imp);
      size_t semi = semicolon.from(imp);
      if (q != std::string_view::npos && (semi == std::string_view::npos || q < semi)) {
        size_t e = css.find(css[q], q + 1);  // the scan goes on after it: read once
        if (e != std::string_view::npos) out.push_back(std::string(css.substr(q + 1, e - q - 1)));
        pos = e == std::string_view::npos ? css.size() : e + 1;
      } else {
        pos = imp + 7;
      }
      continue;
    }
    size_t b = u + 4, e = close.from(b);
    if (e == std::string_view::npos) break;
    std::string v = trim(css.substr(b, e - b));
    if (v.size() >= 2 && (v.front() == '"' || v.front() == '\'') && v.back() == v.front())
      v = v.substr(1, v.size() - 2);
    if (!v.empty()) out.push_back(v);
    pos = e + 1;
  }
  return out;
}

std::vector<AttributeSpan> attribute_spans(std::string_view html,
                                           std::span<const AttributeRef> wanted, size_t max,
                                           bool* truncated) {
  const Limits limits;
  const bool cut_input = html.size() > limits.max_input;
  if (truncated) *truncated = cut_input;
  const std::string_view input = html.substr(0, limits.max_input);
  std::string clean;
  std::vector<std::pair<size_t, size_t>> shifts;
  std::string_view read = replace_invalid(input, clean, &shifts) ? std::string_view(clean) : input;
  std::vector<AttributeSpan> out;
  Extractor x(read, limits, nullptr);
  x.collect(wanted, &out, max);
  x.run();
  // Offsets in `read` back to offsets in `input`: after the last replacement before them.
  auto original = [&](size_t at) {
    auto it = std::upper_bound(shifts.begin(), shifts.end(), std::pair{at, SIZE_MAX});
    if (it == shifts.begin()) return at;
    --it;
    return at - it->first + it->second;
  };
  for (auto& a : out) {
    a.begin = original(a.begin);
    a.end = original(a.end);
    a.value = decode_attribute(input.substr(a.begin, a.end - a.begin));
  }
  return out;
}

Extract extract(std::string_view html, const Limits& limits, core::CpuBudget* budget) {
  bool cut_input = html.size() > limits.max_input;
  if (cut_input) html = html.substr(0, limits.max_input);
  std::string clean;
  if (replace_invalid(html, clean)) html = clean;
  Extractor x(html, limits, budget);
  Extract out = x.run();
  if (cut_input) {
    out.truncated = true;
    out.truncated_what = out.truncated_what.empty() ? "input" : "input, " + out.truncated_what;
  }
  return out;
}

}  // namespace postern::html
