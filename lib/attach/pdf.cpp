// PDF active content: the lexer, the stream decoders and the findings (see pdf.hpp).
#include "attach/pdf.hpp"

#include <fmt/format.h>
#include <zlib.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <memory>
#include <optional>

namespace postern::attach {
namespace {

using core::Scope;
constexpr std::array kSymbols{
    core::SymbolInfo{"ATTACH_PDF_JAVASCRIPT", 3.0, Scope::Transaction,
                     "a PDF attachment carries JavaScript (/JavaScript, /JS)"},
    // Graded: /OpenAction alone mostly sets the first page's view (0.5); opening into
    // JavaScript or /Launch is how PDF droppers start without a click (4.0).
    core::SymbolInfo{"ATTACH_PDF_OPENACTION", 4.0, Scope::Transaction,
                     "a PDF attachment acts when opened (/OpenAction, /AA); strongest with "
                     "JavaScript or /Launch",
                     true},
    // Starting a program from a PDF has no business use in mail.
    core::SymbolInfo{"ATTACH_PDF_LAUNCH", 6.0, Scope::Transaction,
                     "a PDF attachment launches a program or file (/Launch)"},
    // Low: e-invoices (ZUGFeRD, Factur-X) and portfolios embed files; the embedded
    // bytes go to the other checks, which score what they are.
    core::SymbolInfo{"ATTACH_PDF_EMBEDDED_FILE", 0.5, Scope::Transaction,
                     "a PDF attachment embeds a file"},
    core::SymbolInfo{"ATTACH_PDF_XFA", 1.0, Scope::Transaction,
                     "a PDF attachment holds an XFA form (scriptable XML forms)"},
    core::SymbolInfo{"ATTACH_PDF_ACTIVE_CONTENT", 1.0, Scope::Transaction,
                     "a PDF attachment submits forms, opens other documents or plays rich "
                     "media (/SubmitForm, /GoToR, /GoToE, /RichMedia)"},
    // A PDF whose pages hold almost no text but a link is the modern phishing lure
    // (a blurred "document" image with a button); a PDF with text and links is not.
    core::SymbolInfo{"ATTACH_PDF_URIS", 2.0, Scope::Transaction,
                     "a PDF attachment with links and almost no text (a link lure)"},
    // Password-protected statements are legitimate; but nothing inside can be checked.
    core::SymbolInfo{"ATTACH_PDF_ENCRYPTED", 1.0, Scope::Transaction,
                     "a PDF attachment is encrypted: its content could not be checked"},
    // No PDF writer hex-escapes a keyword: this is done to evade scanners.
    core::SymbolInfo{"ATTACH_PDF_OBFUSCATED_NAME", 4.0, Scope::Transaction,
                     "a PDF attachment spells an action keyword with #xx escapes"},
    // A string where a font matrix holds numbers runs script in PDF.js (CVE-2024-4367).
    core::SymbolInfo{"ATTACH_PDF_EXPLOIT", 6.0, Scope::Transaction,
                     "a PDF attachment carries a known reader exploit (a string in a "
                     "/FontMatrix: PDF.js CVE-2024-4367)"},
    core::SymbolInfo{"ATTACH_PDF_MALFORMED", 0.5, Scope::Transaction,
                     "a PDF attachment has an unterminated string or stream (readers differ)"},
    core::SymbolInfo{"ATTACH_PDF_LIMIT", 1.0, Scope::Transaction,
                     "a PDF attachment passed a size, ratio, count or CPU limit: only part "
                     "was checked"},
};

bool is_ws(unsigned char c) {
  return c == 0 || c == '\t' || c == '\n' || c == '\f' || c == '\r' || c == ' ';
}
bool is_delim(unsigned char c) {
  return c == '(' || c == ')' || c == '<' || c == '>' || c == '[' || c == ']' || c == '{' ||
         c == '}' || c == '/' || c == '%';
}
int hex_value(unsigned char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// What the findings count: one entry per keyword kind.
enum Kind { kJs, kAuto, kLaunch, kEmbedded, kXfa, kActive, kEncrypt, kExploit, kKinds };

struct Keyword {
  std::string_view name;
  int kind;  // Kind, or -1: structural (still an obfuscation when escaped)
};
constexpr std::array kKeywords{
    Keyword{"JavaScript", kJs},
    Keyword{"JS", kJs},
    Keyword{"OpenAction", kAuto},
    Keyword{"AA", kAuto},
    Keyword{"Launch", kLaunch},
    Keyword{"EmbeddedFile", kEmbedded},
    Keyword{"EmbeddedFiles", kEmbedded},
    Keyword{"XFA", kXfa},
    Keyword{"RichMedia", kActive},
    Keyword{"SubmitForm", kActive},
    Keyword{"GoToR", kActive},
    Keyword{"GoToE", kActive},
    Keyword{"Encrypt", kEncrypt},
    Keyword{"URI", -1},
    Keyword{"ObjStm", -1},
    Keyword{"Filter", -1},
    Keyword{"FlateDecode", -1},
    Keyword{"Type", -1},
    Keyword{"S", -1},
    Keyword{"Names", -1},
};

// The dictionary keys whose value the lexer reads.
enum class Key { None, Uri, Filter, Type, Subtype, Length };

// What the dictionaries of the current object said about its stream.
struct ObjState {
  std::vector<std::string> filters;
  bool filter_array = false;
  std::string type, subtype;
  long long length = -1;
  bool font = false;        // /Length1../Length3: a font program
  size_t length_token = 0;  // token number of the /Length value (to see "n 0 R")
  void reset() { *this = ObjState{}; }
};

// The stream decoders other than Flate. Each appends to `out`; those that can
// grow past their input return true when they stopped at `cap`.

void ascii_hex(std::string_view in, std::string& out) {
  int hi = -1;
  for (unsigned char c : in) {
    if (c == '>') break;
    const int h = hex_value(c);
    if (h < 0) continue;
    if (hi < 0) {
      hi = h;
    } else {
      out.push_back(static_cast<char>(hi * 16 + h));
      hi = -1;
    }
  }
  if (hi >= 0) out.push_back(static_cast<char>(hi * 16));
}

bool ascii85(std::string_view in, std::string& out, size_t cap) {
  uint32_t acc = 0;
  int k = 0;
  size_t j = in.starts_with("<~") ? 2 : 0;
  for (; j < in.size(); ++j) {
    if (out.size() >= cap) return true;
    const auto c = static_cast<unsigned char>(in[j]);
    if (c == '~') break;
    if (is_ws(c)) continue;
    if (c == 'z' && k == 0) {
      out.append(4, '\0');
      continue;
    }
    if (c < '!' || c > 'u') break;  // not ASCII85: readers stop here
    acc = acc * 85 + (c - '!');
    if (++k == 5) {
      for (int b = 3; b >= 0; --b) out.push_back(static_cast<char>((acc >> (8 * b)) & 0xff));
      acc = 0;
      k = 0;
    }
  }
  if (k > 1) {
    for (int p = k; p < 5; ++p) acc = acc * 85 + 84;
    for (int b = 3; b > 4 - k; --b) out.push_back(static_cast<char>((acc >> (8 * b)) & 0xff));
  }
  return false;
}

bool run_length(std::string_view in, std::string& out, size_t cap) {
  for (size_t j = 0; j < in.size();) {
    if (out.size() > cap) return true;
    const auto len = static_cast<unsigned char>(in[j++]);
    if (len == 128) break;
    if (len < 128) {
      const size_t cnt = std::min<size_t>(len + 1, in.size() - j);
      out.append(in.substr(j, cnt));
      j += cnt;
    } else if (j < in.size()) {
      out.append(257 - len, in[j++]);
    }
  }
  return out.size() > cap;
}

// LZW as PDF writes it: 9 to 12 bit codes, most significant bit first, 256 clears
// the table, 257 ends, and the code width grows one code early (EarlyChange 1, the
// default). A code that cannot occur ends the data (what was decoded stays). Each
// code costs the bytes it emits, so the work is linear in the output.
bool lzw(std::string_view in, std::string& out, size_t cap) {
  struct Entry {
    int prefix;
    unsigned char last;
    unsigned short len;
  };
  std::vector<Entry> table(4096);
  for (int i = 0; i < 256; ++i) table[i] = {-1, static_cast<unsigned char>(i), 1};
  int next = 258, bits = 9, prev = -1;
  uint32_t acc = 0;
  int have = 0;
  std::string word;
  auto first_byte = [&](int code) {
    while (table[code].prefix >= 0) code = table[code].prefix;
    return table[code].last;
  };
  for (unsigned char byte : in) {
    acc = (acc << 8) | byte;
    have += 8;
    while (have >= bits) {
      const int code = static_cast<int>((acc >> (have - bits)) & ((1u << bits) - 1));
      have -= bits;
      if (code == 256) {
        next = 258;
        bits = 9;
        prev = -1;
        continue;
      }
      if (code == 257) return false;
      unsigned char first;
      if (code < 256 || (code >= 258 && code < next)) {
        first = first_byte(code);
      } else if (code == next && prev >= 0) {
        first = first_byte(prev);  // the KwKwK case: the previous word plus its first byte
      } else {
        return false;
      }
      if (prev >= 0 && next < 4096) {
        table[next] = {prev, first, static_cast<unsigned short>(table[prev].len + 1)};
        ++next;
        if (next + 1 >= (1 << bits) && bits < 12) ++bits;
      }
      word.resize(table[code].len);
      for (int c = code, k = table[code].len - 1; c >= 0 && k >= 0; c = table[c].prefix, --k)
        word[k] = static_cast<char>(table[c].last);
      out += word;
      if (out.size() > cap) return true;
      prev = code;
    }
  }
  return false;
}

struct Found {
  size_t count = 0;
  size_t first = 0;
  bool in_stream = false;
};

class Scanner {
 public:
  Scanner(const PdfLimits& l, core::CpuBudget* b) : lim_(l), budget_(b) {}

  void run(std::string_view data);
  PdfReport finish();

 private:
  // Lexes `s`; `top`: the file itself (streams are decoded), else a decoded stream.
  void lex(std::string_view s, bool top);
  void lex_from(std::string_view s, size_t i, bool top, bool strings);
  void name(std::string_view s, size_t& i, bool top);
  // Returns false when the string runs to the end of `s` (unterminated).
  bool literal(std::string_view s, size_t& i, bool top);
  bool hex(std::string_view s, size_t& i, bool top);
  void stream(std::string_view s, size_t& i);
  std::optional<std::string> decode(std::string_view raw, size_t at);
  bool inflate(std::string_view in, std::string& out, size_t cap, size_t at);
  void value_string(std::string&& v, size_t len, bool top);
  void limit(std::string why);
  bool out_of_time() {
    if (budget_ && budget_->tick()) {
      if (!timed_out_) limit("the CPU budget ran out");
      timed_out_ = true;
    }
    return timed_out_;
  }

  const PdfLimits& lim_;
  core::CpuBudget* budget_;
  PdfReport rep_;
  std::array<Found, kKinds> found_{};
  std::array<std::string, kKinds> what_{};  // the first spelling seen of each kind
  size_t obfuscated_ = 0;
  std::string obfuscated_first_;
  size_t malformed_ = 0;
  std::string malformed_first_;
  size_t limits_hit_ = 0;
  std::string limit_first_;
  bool timed_out_ = false;
  bool streams_capped_ = false;
  bool text_unknown_ = false;  // a content stream could not be decoded
  size_t total_out_ = 0;
  size_t embedded_bytes_ = 0;
  size_t tokens_ = 0;
  size_t stream_base_ = 0;  // file offset of the stream being lexed (0: top)
  ObjState obj_;
  Key pending_ = Key::None;
  bool font_matrix_ = false;  // inside the value of a /FontMatrix
};

void Scanner::limit(std::string why) {
  if (limits_hit_++ == 0) limit_first_ = std::move(why);
}

void Scanner::run(std::string_view data) {
  if (data.size() > lim_.max_input) {
    limit(fmt::format("the file has {} bytes, only the first {} were checked", data.size(),
                      lim_.max_input));
    data = data.substr(0, lim_.max_input);
  }
  lex(data, true);
}

void Scanner::lex(std::string_view s, bool top) {
  obj_.reset();
  pending_ = Key::None;
  lex_from(s, 0, top, true);
}

void Scanner::lex_from(std::string_view s, size_t i, bool top, bool strings) {
  const size_t n = s.size();
  while (i < n) {
    if (out_of_time()) return;
    const auto c = static_cast<unsigned char>(s[i]);
    if (is_ws(c)) {
      ++i;
      continue;
    }
    ++tokens_;
    if (c == '%') {  // comment to the end of the line
      while (i < n && s[i] != '\n' && s[i] != '\r') ++i;
      continue;
    }
    if (c == '/') {
      name(s, i, top);
      continue;
    }
    if ((c == '(' || (c == '<' && i + 1 < n && s[i + 1] != '<')) && font_matrix_) {
      auto& f = found_[kExploit];
      if (f.count++ == 0) {
        f.first = stream_base_ + i;
        f.in_stream = !top;
        what_[kExploit] = "FontMatrix with a string";
      }
      font_matrix_ = false;
    }
    if (c == '(' && strings) {
      const size_t at = i;
      if (!literal(s, i, top)) {
        // Unterminated: a lenient reader ends it somewhere; lex the rest as PDF too.
        if (top && malformed_++ == 0)
          malformed_first_ = fmt::format("an unterminated string at byte {}", stream_base_ + at);
        lex_from(s, at + 1, top, false);
        return;
      }
      continue;
    }
    if (c == '<') {
      if (i + 1 < n && s[i + 1] == '<') {
        i += 2;
        pending_ = Key::None;
        continue;
      }
      if (strings) {
        const size_t at = i;
        if (!hex(s, i, top)) {
          if (top && malformed_++ == 0)
            malformed_first_ = fmt::format("a hex string with non-hex bytes or no end at byte {}",
                                           stream_base_ + at);
          lex_from(s, at + 1, top, false);
          return;
        }
        continue;
      }
      ++i;
      continue;
    }
    if (c == '[') {
      if (pending_ == Key::Filter) obj_.filter_array = true;
      ++i;
      continue;
    }
    if (c == ']') {
      font_matrix_ = false;
      if (obj_.filter_array) {
        obj_.filter_array = false;
        pending_ = Key::None;
      }
      ++i;
      continue;
    }
    if (is_delim(c)) {  // > ) { } (and ( when strings are off)
      if (c == '>' && i + 1 < n && s[i + 1] == '>') ++i;
      font_matrix_ = false;
      ++i;
      if (!obj_.filter_array) pending_ = Key::None;
      continue;
    }
    // A regular token: a number or a keyword.
    const size_t b = i;
    while (i < n && !is_ws(static_cast<unsigned char>(s[i])) &&
           !is_delim(static_cast<unsigned char>(s[i])))
      ++i;
    const std::string_view tok = s.substr(b, i - b);
    if (pending_ == Key::Length) {
      long long v = 0;
      bool digits = !tok.empty() && tok.size() <= 15;  // 15 digits cannot overflow
      for (size_t k = 0; digits && k < tok.size(); ++k) {
        if (tok[k] < '0' || tok[k] > '9')
          digits = false;
        else
          v = v * 10 + (tok[k] - '0');
      }
      obj_.length = digits ? v : -1;
      obj_.length_token = tokens_;
    } else if (tok == "R" && obj_.length >= 0 && obj_.length_token + 2 == tokens_) {
      obj_.length = -1;  // "/Length 12 0 R": an indirect length, not the number 12
    }
    if (!obj_.filter_array) pending_ = Key::None;
    if (tok == "obj" || tok == "endobj") {
      obj_.reset();
    } else if (tok == "stream" && top) {
      stream(s, i);
      obj_.reset();
    }
  }
}

void Scanner::name(std::string_view s, size_t& i, bool top) {
  const size_t at = i++;
  std::string nm;
  bool escaped = false;
  const size_t n = s.size();
  while (i < n && !is_ws(static_cast<unsigned char>(s[i])) &&
         !is_delim(static_cast<unsigned char>(s[i]))) {
    if (s[i] == '#' && i + 2 < n && hex_value(s[i + 1]) >= 0 && hex_value(s[i + 2]) >= 0) {
      if (nm.size() < 128)
        nm.push_back(static_cast<char>(hex_value(s[i + 1]) * 16 + hex_value(s[i + 2])));
      escaped = true;
      i += 3;
    } else {
      if (nm.size() < 128) nm.push_back(s[i]);
      ++i;
    }
  }
  const size_t pos = stream_base_ + at;
  font_matrix_ = nm == "FontMatrix";
  for (const auto& k : kKeywords) {
    if (k.name != nm) continue;
    if (escaped && obfuscated_++ == 0)
      obfuscated_first_ = fmt::format("{} for /{} at byte {}", s.substr(at, i - at), nm, pos);
    if (k.kind >= 0) {
      auto& f = found_[k.kind];
      if (f.count++ == 0) {
        f.first = pos;
        f.in_stream = !top;
        what_[k.kind] = nm;
      }
    }
    break;
  }
  // A name that is a value: a filter, a type.
  if (pending_ == Key::Filter) {
    if (obj_.filters.size() <= lim_.max_filters) obj_.filters.push_back(nm);
    if (!obj_.filter_array) pending_ = Key::None;
    return;
  }
  if (pending_ == Key::Type || pending_ == Key::Subtype) {
    (pending_ == Key::Type ? obj_.type : obj_.subtype) = nm;
    pending_ = Key::None;
    return;
  }
  if (nm == "Length1" || nm == "Length2" || nm == "Length3") obj_.font = true;
  pending_ = nm == "URI"       ? Key::Uri
             : nm == "Filter"  ? Key::Filter
             : nm == "Type"    ? Key::Type
             : nm == "Subtype" ? Key::Subtype
             : nm == "Length"  ? Key::Length
                               : Key::None;
  obj_.filter_array = false;
}

// A string token ended: a /URI value is kept; in a content stream it is page text.
void Scanner::value_string(std::string&& v, size_t len, bool top) {
  if (pending_ == Key::Uri) {
    ++rep_.uri_count;
    if (rep_.uris.size() < lim_.max_uris) rep_.uris.push_back(std::move(v));
  } else if (!top) {
    rep_.text_bytes += len;
  }
  pending_ = Key::None;
}

bool Scanner::literal(std::string_view s, size_t& i, bool top) {
  const bool keep = pending_ == Key::Uri;
  std::string v;
  size_t len = 0;
  size_t depth = 1;
  const size_t n = s.size();
  ++i;
  auto put = [&](char ch) {
    ++len;
    if (keep && v.size() < lim_.max_uri_length) v.push_back(ch);
  };
  while (i < n) {
    const char c = s[i++];
    if (c == '\\') {
      if (i >= n) break;
      const char e = s[i++];
      switch (e) {
        case 'n':
          put('\n');
          break;
        case 'r':
          put('\r');
          break;
        case 't':
          put('\t');
          break;
        case 'b':
          put('\b');
          break;
        case 'f':
          put('\f');
          break;
        case '\r':
          if (i < n && s[i] == '\n') ++i;
          break;
        case '\n':
          break;
        default:
          if (e >= '0' && e <= '7') {
            int v8 = e - '0';
            for (int k = 0; k < 2 && i < n && s[i] >= '0' && s[i] <= '7'; ++k)
              v8 = v8 * 8 + (s[i++] - '0');
            put(static_cast<char>(v8 & 0xff));
          } else {
            put(e);
          }
      }
      continue;
    }
    if (c == '(') {
      ++depth;
    } else if (c == ')') {
      if (--depth == 0) {
        value_string(std::move(v), len, top);
        return true;
      }
    }
    put(c);
  }
  return false;
}

bool Scanner::hex(std::string_view s, size_t& i, bool top) {
  const bool keep = pending_ == Key::Uri;
  std::string v;
  size_t len = 0;
  int hi = -1;
  const size_t n = s.size();
  ++i;
  while (i < n) {
    const auto c = static_cast<unsigned char>(s[i++]);
    if (c == '>') {
      if (hi >= 0) {
        ++len;
        if (keep && v.size() < lim_.max_uri_length) v.push_back(static_cast<char>(hi * 16));
      }
      value_string(std::move(v), len, top);
      return true;
    }
    const int h = hex_value(c);
    if (h < 0) {
      if (is_ws(c)) continue;
      return false;  // not hex: a lenient reader skips it, a strict one stops; read both ways
    }
    if (hi < 0) {
      hi = h;
    } else {
      ++len;
      if (keep && v.size() < lim_.max_uri_length) v.push_back(static_cast<char>(hi * 16 + h));
      hi = -1;
    }
  }
  return false;
}

// The data of the stream whose keyword ends at `i`; moves `i` past it.
void Scanner::stream(std::string_view s, size_t& i) {
  const size_t n = s.size();
  if (i < n && s[i] == '\r') ++i;
  if (i < n && s[i] == '\n') ++i;
  const size_t begin = i;
  size_t end = std::string_view::npos;
  if (obj_.length >= 0 && static_cast<unsigned long long>(obj_.length) <= n - begin) {
    size_t j = begin + static_cast<size_t>(obj_.length);
    while (j < n && is_ws(static_cast<unsigned char>(s[j]))) ++j;
    if (s.substr(j, 9) == "endstream") end = begin + static_cast<size_t>(obj_.length);
  }
  if (end == std::string_view::npos) {
    end = s.find("endstream", begin);
    if (end == std::string_view::npos) {
      if (malformed_++ == 0)
        malformed_first_ = fmt::format("a stream at byte {} has no endstream", begin);
      end = n;
    }
  }
  i = end;
  ++rep_.streams;
  const ObjState st = obj_;
  const bool embedded = st.type == "EmbeddedFile";
  // Bytes that are not PDF syntax: not lexed (embedded files are kept, though).
  const bool opaque = st.type == "Metadata" || st.type == "XRef" || st.subtype == "Image" ||
                      st.subtype == "XML" || st.subtype == "Type1C" ||
                      st.subtype == "CIDFontType0C" || st.subtype == "OpenType" || st.font;
  if (opaque && !embedded) return;
  if (rep_.streams_decoded >= lim_.max_streams) {
    if (!streams_capped_)
      limit(fmt::format("more than {} streams: the rest were not decoded", lim_.max_streams));
    streams_capped_ = true;
    text_unknown_ = true;
    return;
  }
  auto raw = s.substr(begin, end - begin);
  auto out = decode(raw, begin);
  if (!out) {
    if (st.type.empty()) text_unknown_ = true;
    return;
  }
  ++rep_.streams_decoded;
  if (embedded) {
    if (rep_.embedded_files.size() < lim_.max_embedded_files &&
        embedded_bytes_ + out->size() <= lim_.max_embedded_bytes) {
      embedded_bytes_ += out->size();
      rep_.embedded_files.push_back(std::move(*out));
    } else {
      limit(fmt::format("the embedded file at byte {} was not kept (count or size bound)", begin));
    }
    return;
  }
  const auto saved_pending = pending_;
  stream_base_ = begin;
  obj_.reset();
  pending_ = Key::None;
  lex_from(*out, 0, false, true);
  stream_base_ = 0;
  obj_.reset();
  pending_ = saved_pending;
}

// The stream's bytes through its filters; nullopt when a filter is not one we read.
std::optional<std::string> Scanner::decode(std::string_view raw, size_t at) {
  const auto& filters = obj_.filters;
  if (filters.size() > lim_.max_filters) {
    limit(fmt::format("the stream at byte {} has more than {} filters", at, lim_.max_filters));
    return std::nullopt;
  }
  std::string cur(raw);
  for (const auto& f : filters) {
    const size_t room = lim_.max_total_output > total_out_ ? lim_.max_total_output - total_out_ : 0;
    const size_t ratio_cap = lim_.max_ratio * cur.size() + (64u << 10);
    const size_t cap = std::min({lim_.max_stream_output, room, ratio_cap});
    std::string out;
    bool full = false;  // the decoder stopped at the cap
    if (f == "FlateDecode" || f == "Fl") {
      if (!inflate(cur, out, cap, at)) return std::nullopt;
    } else if (f == "ASCIIHexDecode" || f == "AHx") {
      ascii_hex(cur, out);
    } else if (f == "ASCII85Decode" || f == "A85") {
      full = ascii85(cur, out, cap);
    } else if (f == "RunLengthDecode" || f == "RL") {
      full = run_length(cur, out, cap);
    } else if (f == "LZWDecode" || f == "LZW") {
      full = lzw(cur, out, cap);
    } else {
      return std::nullopt;  // images, Crypt: not PDF syntax we need to read
    }
    if (full || out.size() > cap) {
      out.resize(std::min(out.size(), cap));
      limit(fmt::format("the stream at byte {} decodes to more than {} bytes", at, cap));
    }
    total_out_ += out.size();
    cur = std::move(out);
    if (timed_out_) break;
  }
  return cur;
}

struct ZStream {
  z_stream z{};
  bool live = false;
  ~ZStream() {
    if (live) inflateEnd(&z);
  }
};

// Inflates `in` into `out`, at most `cap` bytes; past it a LIMIT. A corrupt stream
// keeps what was inflated before the damage (what readers show).
bool Scanner::inflate(std::string_view in, std::string& out, size_t cap, size_t at) {
  ZStream zs;
  if (inflateInit(&zs.z) != Z_OK) return false;
  zs.live = true;
  zs.z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  zs.z.avail_in = static_cast<uInt>(std::min<size_t>(in.size(), UINT32_MAX));
  std::array<char, 64 * 1024> buf;
  while (true) {
    zs.z.next_out = reinterpret_cast<Bytef*>(buf.data());
    zs.z.avail_out = buf.size();
    const int rc = ::inflate(&zs.z, Z_NO_FLUSH);
    const size_t got = buf.size() - zs.z.avail_out;
    if (out.size() + got > cap) {
      out.append(buf.data(), cap - out.size());
      limit(fmt::format("a compressed stream at byte {} inflates to more than {} bytes", at, cap));
      return true;
    }
    out.append(buf.data(), got);
    if (rc == Z_STREAM_END || rc != Z_OK) return true;
    if (got == 0 && zs.z.avail_in == 0) return true;
    if (out_of_time()) return true;
  }
}

PdfReport Scanner::finish() {
  auto where = [&](int k) {
    const auto& f = found_[k];
    return fmt::format("{}/{} at byte {}{}",
                       f.count > 1 ? fmt::format("{} times, first ", f.count) : "", what_[k],
                       f.first, f.in_stream ? " (inside a stream)" : "");
  };
  auto& hits = rep_.hits;
  const bool js = found_[kJs].count > 0, launch = found_[kLaunch].count > 0;
  if (js) hits.push_back({"ATTACH_PDF_JAVASCRIPT", where(kJs)});
  if (found_[kAuto].count > 0) {
    Hit h{"ATTACH_PDF_OPENACTION", where(kAuto)};
    h.score = js || launch ? 4.0 : 0.5;
    if (js || launch) h.detail += js ? " with JavaScript" : " with /Launch";
    hits.push_back(std::move(h));
  }
  if (launch) hits.push_back({"ATTACH_PDF_LAUNCH", where(kLaunch)});
  if (found_[kEmbedded].count > 0)
    hits.push_back({"ATTACH_PDF_EMBEDDED_FILE", fmt::format("{}; {} file(s) kept", where(kEmbedded),
                                                            rep_.embedded_files.size())});
  if (found_[kXfa].count > 0) hits.push_back({"ATTACH_PDF_XFA", where(kXfa)});
  if (found_[kExploit].count > 0) hits.push_back({"ATTACH_PDF_EXPLOIT", where(kExploit)});
  if (found_[kActive].count > 0) hits.push_back({"ATTACH_PDF_ACTIVE_CONTENT", where(kActive)});
  const bool encrypted = found_[kEncrypt].count > 0;
  if (encrypted) hits.push_back({"ATTACH_PDF_ENCRYPTED", where(kEncrypt)});
  if (rep_.uri_count > 0 && rep_.text_bytes < lim_.lure_max_text && !text_unknown_ && !encrypted &&
      !timed_out_) {
    std::string first = rep_.uris.empty() ? std::string() : rep_.uris.front().substr(0, 100);
    hits.push_back({"ATTACH_PDF_URIS", fmt::format("{} link(s) and {} bytes of page text; first {}",
                                                   rep_.uri_count, rep_.text_bytes, first)});
  }
  if (obfuscated_ > 0)
    hits.push_back({"ATTACH_PDF_OBFUSCATED_NAME",
                    fmt::format("{} escaped keyword(s): {}", obfuscated_, obfuscated_first_)});
  if (malformed_ > 0) hits.push_back({"ATTACH_PDF_MALFORMED", malformed_first_});
  if (limits_hit_ > 0)
    hits.push_back({"ATTACH_PDF_LIMIT",
                    limits_hit_ > 1 ? fmt::format("{} (and {} more)", limit_first_, limits_hit_ - 1)
                                    : limit_first_});
  for (auto& h : hits)
    if (h.detail.size() > 200) h.detail.resize(200);
  return std::move(rep_);
}

}  // namespace

PdfReport analyze_pdf(std::string_view data, const PdfLimits& limits, core::CpuBudget* budget) {
  Scanner s(limits, budget);
  s.run(data);
  return s.finish();
}

std::vector<Hit> scan_pdf(std::string_view data, const PdfLimits& limits, core::CpuBudget* budget) {
  return analyze_pdf(data, limits, budget).hits;
}

std::span<const core::SymbolInfo> pdf_symbols() {
  return kSymbols;
}

}  // namespace postern::attach
