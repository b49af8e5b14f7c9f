// Decoders: table-driven base64, quoted-printable, uuencode; iconv for charsets.
#include "mime/decode.hpp"

#include "core/address.hpp"
#include "core/forward_find.hpp"
#include "core/message.hpp"

#include <iconv.h>

#include <array>
#include <bit>
#include <cerrno>
#include <cstring>
#include <map>
#include <memory>

namespace postern::mime {
namespace {

constexpr std::array<int8_t, 256> make_b64_table() {
  std::array<int8_t, 256> t{};
  for (auto& v : t) v = -1;
  const char* alpha = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  for (int i = 0; i < 64; ++i) t[static_cast<unsigned char>(alpha[i])] = static_cast<int8_t>(i);
  return t;
}
constexpr auto kB64 = make_b64_table();

// The value of a base64 character at each place of a quantum, shifted into place; an
// invalid character has bits above the 24 of the quantum.
constexpr std::array<std::array<uint32_t, 256>, 4> make_b64_place_tables() {
  std::array<std::array<uint32_t, 256>, 4> t{};
  for (int k = 0; k < 4; ++k)
    for (int c = 0; c < 256; ++c)
      t[static_cast<size_t>(k)][static_cast<size_t>(c)] =
          kB64[static_cast<size_t>(c)] < 0
              ? 0xFF000000u
              : static_cast<uint32_t>(kB64[static_cast<size_t>(c)]) << (18 - 6 * k);
  return t;
}
constexpr auto kB64Place = make_b64_place_tables();

constexpr std::array<int8_t, 256> make_hex_table() {
  std::array<int8_t, 256> t{};
  for (auto& v : t) v = -1;
  for (int i = 0; i < 10; ++i) t[static_cast<size_t>('0' + i)] = static_cast<int8_t>(i);
  for (int i = 0; i < 6; ++i) {
    t[static_cast<size_t>('A' + i)] = static_cast<int8_t>(10 + i);
    t[static_cast<size_t>('a' + i)] = static_cast<int8_t>(10 + i);
  }
  return t;
}
constexpr auto kHex = make_hex_table();

bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

// The end of the run of ASCII bytes starting at `i`, eight bytes at a time.
size_t ascii_run_end(std::string_view in, size_t i) {
  while (i + 8 <= in.size()) {
    uint64_t word;
    std::memcpy(&word, in.data() + i, 8);
    if (word & 0x8080808080808080ULL) break;
    i += 8;
  }
  while (i < in.size() && static_cast<unsigned char>(in[i]) < 0x80) ++i;
  return i;
}

}  // namespace

std::string decode_base64(std::string_view in, DecodeStats& st, size_t max_out) {
  // Bytes out are at most 3 per 4 alphabet characters, plus the 2 of a partial quantum
  // flushed at '=' (which may pass max_out: cut at the end, as before).
  const size_t cap =
      std::min(max_out > SIZE_MAX - 2 ? SIZE_MAX : max_out + 2, in.size() / 4 * 3 + 3);
  std::string out;
  out.resize_and_overwrite(cap, [&](char* o, size_t room) {
    const auto* s = reinterpret_cast<const unsigned char*>(in.data());
    const size_t size = in.size();
    size_t w = 0;
    uint32_t acc = 0;
    int n = 0;
    bool padded = false;
    bool line_start = true;
    size_t i = 0;
    while (i < size) {
      // fast path: whole quanta of alphabet characters (no '-', '\n' or '=' among them)
      if (n == 0 && !padded) {
        size_t start = i;
        // each quantum is stored as four bytes (the fourth is overwritten or cut): room for it
        while (i + 4 <= size && w + 3 <= max_out && w + 4 <= room) {
          uint32_t v = kB64Place[0][s[i]] | kB64Place[1][s[i + 1]] | kB64Place[2][s[i + 2]] |
                       kB64Place[3][s[i + 3]];
          if (v >> 24) break;
          uint32_t bytes = v << 8;  // v's three bytes, high first, in memory order
          if constexpr (std::endian::native == std::endian::little) bytes = std::byteswap(bytes);
          std::memcpy(o + w, &bytes, 4);
          w += 3;
          i += 4;
        }
        if (i != start) line_start = false;
        if (i >= size) break;
      }
      unsigned char c = s[i];
      if (line_start && c == '-' && i + 1 < size && s[i + 1] == '-') ++st.boundary_like_lines;
      line_start = (c == '\n');
      int8_t v = kB64[c];
      ++i;
      if (v >= 0) {
        if (padded) {
          ++st.data_after_padding;
          continue;
        }
        acc = (acc << 6) | static_cast<uint32_t>(v);
        if (++n == 4) {
          if (w + 3 > max_out) {  // keep what fits: the output is cut exactly at max_out
            const char q[3] = {static_cast<char>(acc >> 16), static_cast<char>(acc >> 8),
                               static_cast<char>(acc)};
            for (size_t k = 0; w < max_out; ++k) o[w++] = q[k];
            st.truncated = true;
            return w;
          }
          o[w++] = static_cast<char>(acc >> 16);
          o[w++] = static_cast<char>(acc >> 8);
          o[w++] = static_cast<char>(acc);
          acc = 0;
          n = 0;
        }
      } else if (c == '=') {
        if (!padded && n >= 2) {  // end of data: flush the partial quantum
          if (n == 2) {
            o[w++] = static_cast<char>(acc >> 4);
          } else {
            o[w++] = static_cast<char>(acc >> 10);
            o[w++] = static_cast<char>(acc >> 2);
          }
          acc = 0;
          n = 0;
          padded = true;
        } else if (!padded && n != 0) {
          ++st.invalid_chars;
        }
      } else if (!is_space(static_cast<char>(c))) {
        ++st.invalid_chars;
      }
    }
    if (n != 0) {  // missing padding
      st.missing_padding = true;
      if (n == 2) {
        o[w++] = static_cast<char>(acc >> 4);
      } else if (n == 3) {
        o[w++] = static_cast<char>(acc >> 10);
        o[w++] = static_cast<char>(acc >> 2);
      }
    }
    if (w > max_out) {
      w = max_out;
      st.truncated = true;
    }
    return w;
  });
  return out;
}

std::string decode_quoted_printable(std::string_view in, DecodeStats& st, bool header_q,
                                    size_t max_out) {
  // One input byte gives at most one output byte: the output is written in place.
  std::string out;
  out.resize_and_overwrite(std::min(max_out, in.size()), [&](char* o, size_t) {
    const char* s = in.data();
    const size_t size = in.size();
    size_t w = 0;
    size_t i = 0;
    while (i < size) {
      if (w >= max_out) {
        st.truncated = true;
        break;
      }
      char c = s[i];
      if (c != '=' && !(header_q && c == '_')) {  // a run of literal bytes, copied at once
        size_t end = i + 1;
        if (header_q) {
          while (end < size && s[end] != '=' && s[end] != '_') ++end;
        } else {
          const void* eq = std::memchr(s + end, '=', size - end);
          end = eq ? static_cast<size_t>(static_cast<const char*>(eq) - s) : size;
        }
        size_t len = std::min(end - i, max_out - w);
        std::memcpy(o + w, s + i, len);
        w += len;
        i += len;
        continue;
      }
      if (c == '_') {
        o[w++] = ' ';
        ++i;
        continue;
      }
      if (i + 2 < size && kHex[static_cast<unsigned char>(s[i + 1])] >= 0 &&
          kHex[static_cast<unsigned char>(s[i + 2])] >= 0) {
        o[w++] = static_cast<char>(kHex[static_cast<unsigned char>(s[i + 1])] * 16 +
                                   kHex[static_cast<unsigned char>(s[i + 2])]);
        i += 3;
        continue;
      }
      // soft line break: '=' then optional whitespace then line end
      size_t j = i + 1;
      while (j < size && (s[j] == ' ' || s[j] == '\t')) ++j;
      if (j < size && s[j] == '\r' && j + 1 < size && s[j + 1] == '\n') {
        i = j + 2;
        continue;
      }
      if (j < size && s[j] == '\n') {
        i = j + 1;
        continue;
      }
      if (j >= size) break;  // '=' at the very end: a soft break without a line end
      ++st.invalid_escapes;
      o[w++] = c;
      ++i;
    }
    return w;
  });
  return out;
}

std::string decode_uuencode_lines(std::string_view lines, DecodeStats& st, size_t max_out) {
  std::string out;
  size_t pos = 0;
  while (pos < lines.size()) {
    size_t nl = lines.find('\n', pos);
    std::string_view line =
        lines.substr(pos, nl == std::string_view::npos ? std::string_view::npos : nl - pos);
    pos = nl == std::string_view::npos ? lines.size() : nl + 1;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty()) continue;
    if (line == "end") break;
    int len = (line[0] - 0x20) & 0x3f;
    if (len == 0) break;  // the "`" or " " line before "end"
    size_t need = (static_cast<size_t>(len) + 2) / 3 * 4;
    std::array<uint8_t, 4> q{};
    int got = 0;
    for (size_t i = 1; i <= need && len > 0; ++i) {
      char c = i < line.size() ? line[i] : ' ';
      if (c < 0x20 || c > 0x60) ++st.invalid_chars;
      q[static_cast<size_t>(got++)] = static_cast<uint8_t>((c - 0x20) & 0x3f);
      if (got == 4) {
        uint8_t b[3] = {static_cast<uint8_t>(q[0] << 2 | q[1] >> 4),
                        static_cast<uint8_t>(q[1] << 4 | q[2] >> 2),
                        static_cast<uint8_t>(q[2] << 6 | q[3])};
        for (int k = 0; k < 3 && len > 0; ++k, --len) {
          if (out.size() >= max_out) {
            st.truncated = true;
            return out;
          }
          out.push_back(static_cast<char>(b[k]));
        }
        got = 0;
      }
    }
  }
  return out;
}

std::string encode_base64(std::string_view in, size_t line_len, std::string_view eol) {
  static const char* alpha = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve(in.size() * 4 / 3 + in.size() / 57 * eol.size() + 8);
  size_t col = 0;
  auto put = [&](char c) {
    out.push_back(c);
    if (++col == line_len) {
      out += eol;
      col = 0;
    }
  };
  size_t i = 0;
  for (; i + 3 <= in.size(); i += 3) {
    uint32_t v = static_cast<uint8_t>(in[i]) << 16 | static_cast<uint8_t>(in[i + 1]) << 8 |
                 static_cast<uint8_t>(in[i + 2]);
    put(alpha[v >> 18 & 63]), put(alpha[v >> 12 & 63]), put(alpha[v >> 6 & 63]), put(alpha[v & 63]);
  }
  if (i < in.size()) {
    uint32_t v = static_cast<uint8_t>(in[i]) << 16;
    if (i + 1 < in.size()) v |= static_cast<uint8_t>(in[i + 1]) << 8;
    put(alpha[v >> 18 & 63]);
    put(alpha[v >> 12 & 63]);
    put(i + 1 < in.size() ? alpha[v >> 6 & 63] : '=');
    put('=');
  }
  if (col != 0) out += eol;
  return out;
}

std::string encode_quoted_printable(std::string_view in, std::string_view eol) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  out.reserve(in.size() + in.size() / 8);
  size_t col = 0;
  auto soft_break = [&] {
    out += '=';
    out += eol;
    col = 0;
  };
  // Only the line end `eol` itself is a hard line break: any other CR or LF is encoded
  // (=0D, =0A), so decoding gives back exactly the input bytes, binary included.
  const bool eol_ok = !eol.empty();
  for (size_t i = 0; i < in.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(in[i]);
    if (eol_ok && in.substr(i, eol.size()) == eol) {
      out += eol;
      col = 0;
      i += eol.size() - 1;
      continue;
    }
    bool at_line_end = i + 1 == in.size() || (eol_ok && in.substr(i + 1, eol.size()) == eol);
    bool literal = (c >= 33 && c <= 126 && c != '=') || ((c == ' ' || c == '\t') && !at_line_end);
    size_t width = literal ? 1 : 3;
    if (col + width > 75) soft_break();  // leaves room for the '=' of a soft break: lines <= 76
    // a '.' or "From " at the start of an output line survives every MTA when encoded
    if (col == 0 && literal && (c == '.' || (c == 'F' && in.substr(i, 5) == "From "))) {
      literal = false;
      width = 3;
    }
    if (literal) {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('=');
      out.push_back(hex[c >> 4]);
      out.push_back(hex[c & 15]);
    }
    col += width;
  }
  return out;
}

namespace {

// Where the next invalid UTF-8 sequence at or after `i` starts; in.size() when none.
size_t next_invalid_utf8(std::string_view in, size_t i) {
  while (true) {
    i = ascii_run_end(in, i);
    if (i >= in.size()) return in.size();
    unsigned char c = static_cast<unsigned char>(in[i]);
    size_t len = (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
    bool ok = len > 0 && i + len <= in.size();
    for (size_t k = 1; ok && k < len; ++k)
      ok = (static_cast<unsigned char>(in[i + k]) & 0xC0) == 0x80;
    if (ok) {
      uint32_t cp = c & (0x7F >> len);
      for (size_t k = 1; k < len; ++k)
        cp = cp << 6 | (static_cast<unsigned char>(in[i + k]) & 0x3F);
      static constexpr uint32_t kMin[] = {0, 0, 0x80, 0x800, 0x10000};
      ok = cp >= kMin[len] && cp <= 0x10FFFF && !(cp >= 0xD800 && cp <= 0xDFFF);
    }
    if (!ok) return i;
    i += len;
  }
}

}  // namespace

std::string sanitize_utf8(std::string_view in, DecodeStats& st) {
  size_t bad = next_invalid_utf8(in, 0);
  if (bad == in.size()) return std::string(in);
  std::string out;
  out.reserve(in.size() + 16);
  size_t i = 0;
  while (bad < in.size()) {  // each invalid byte becomes one U+FFFD
    out.append(in.data() + i, bad - i);
    out += "\xEF\xBF\xBD";
    ++st.replaced;
    i = bad + 1;
    bad = next_invalid_utf8(in, i);
  }
  out.append(in.data() + i, in.size() - i);
  return out;
}

namespace {

bool is_utf8_name(std::string_view cs) {
  return cs.empty() || core::iequals(cs, "utf-8") || core::iequals(cs, "utf8") ||
         core::iequals(cs, "us-ascii") || core::iequals(cs, "ascii");
}

// Charsets in which every ASCII byte stands for itself whatever comes before it:
// all those of the allowlist but the stateful or wide ones.
// WINDOWS-1255 and WINDOWS-1258 are left to iconv too: glibc composes their base letters
// with the marks that follow, keeping the last character back until the end (which
// to_utf8 never asks for), so iconv's output of pure ASCII is not the input.
bool ascii_transparent(std::string_view iconv_name) {
  return !iconv_name.starts_with("UTF-") && iconv_name != "ISO-2022-JP" &&
         iconv_name != "WINDOWS-1255" && iconv_name != "WINDOWS-1258";
}

struct IconvCloser {
  void operator()(void* cd) const { iconv_close(static_cast<iconv_t>(cd)); }
};

// The iconv name of a charset mail really uses, or "" when the name is not on
// the allowlist: iconv never gets a name a sender invents (its converters for
// rare charsets are where its bugs were, CVE-2024-2961). Names are matched
// without case, '-' and '_' ("ISO_8859-1", "iso88591" and "ISO-8859-1" alike).
std::string_view allowed_charset(std::string_view name) {
  std::string key;
  for (char c : name.substr(0, 64)) {
    if (c == '-' || c == '_' || c == ' ') continue;
    key.push_back(c >= 'A' && c <= 'Z' ? char(c + 32) : c);
  }
  static const std::map<std::string_view, std::string_view> kAllowed{
      {"usascii", "US-ASCII"},
      {"ascii", "US-ASCII"},
      {"ansix3.41968", "US-ASCII"},
      {"latin1", "ISO-8859-1"},
      {"l1", "ISO-8859-1"},
      {"iso88591", "ISO-8859-1"},
      {"iso88592", "ISO-8859-2"},
      {"iso88593", "ISO-8859-3"},
      {"iso88594", "ISO-8859-4"},
      {"iso88595", "ISO-8859-5"},
      {"iso88596", "ISO-8859-6"},
      {"iso88597", "ISO-8859-7"},
      {"iso88598", "ISO-8859-8"},
      {"iso88598i", "ISO-8859-8"},
      {"iso88599", "ISO-8859-9"},
      {"iso885910", "ISO-8859-10"},
      {"iso885911", "ISO-8859-11"},
      {"iso885913", "ISO-8859-13"},
      {"iso885914", "ISO-8859-14"},
      {"iso885915", "ISO-8859-15"},
      {"latin9", "ISO-8859-15"},
      {"iso885916", "ISO-8859-16"},
      {"windows1250", "WINDOWS-1250"},
      {"cp1250", "WINDOWS-1250"},
      {"windows1251", "WINDOWS-1251"},
      {"cp1251", "WINDOWS-1251"},
      {"windows1252", "WINDOWS-1252"},
      {"cp1252", "WINDOWS-1252"},
      {"windows1253", "WINDOWS-1253"},
      {"cp1253", "WINDOWS-1253"},
      {"windows1254", "WINDOWS-1254"},
      {"cp1254", "WINDOWS-1254"},
      {"windows1255", "WINDOWS-1255"},
      {"cp1255", "WINDOWS-1255"},
      {"windows1256", "WINDOWS-1256"},
      {"cp1256", "WINDOWS-1256"},
      {"windows1257", "WINDOWS-1257"},
      {"cp1257", "WINDOWS-1257"},
      {"windows1258", "WINDOWS-1258"},
      {"cp1258", "WINDOWS-1258"},
      {"windows874", "CP874"},
      {"cp874", "CP874"},
      {"tis620", "TIS-620"},
      {"koi8r", "KOI8-R"},
      {"koi8u", "KOI8-U"},
      {"cp866", "CP866"},
      {"ibm866", "CP866"},
      {"cp437", "CP437"},
      {"ibm437", "CP437"},
      {"cp850", "CP850"},
      {"ibm850", "CP850"},
      {"macintosh", "MACINTOSH"},
      {"mac", "MACINTOSH"},
      {"gb2312", "GBK"},
      {"gbk", "GBK"},
      {"cp936", "GBK"},
      {"gb18030", "GB18030"},
      {"big5", "BIG5"},
      {"big5hkscs", "BIG5-HKSCS"},
      {"shiftjis", "CP932"},
      {"sjis", "CP932"},
      {"cp932", "CP932"},
      {"windows31j", "CP932"},
      {"eucjp", "EUC-JP"},
      {"iso2022jp", "ISO-2022-JP"},
      {"euckr", "CP949"},
      {"ksc56011987", "CP949"},
      {"cp949", "CP949"},
      {"utf16", "UTF-16"},
      {"utf16le", "UTF-16LE"},
      {"utf16be", "UTF-16BE"},
      {"utf7", "UTF-7"},
  };
  auto it = kAllowed.find(key);
  return it == kAllowed.end() ? std::string_view() : it->second;
}

// Pure ASCII in an allowed charset that reads ASCII as itself: what iconv would give back.
bool ascii_as_is(std::string_view in, std::string_view allowed) {
  return !allowed.empty() && ascii_transparent(allowed) && ascii_run_end(in, 0) == in.size();
}

// A single-byte charset read as iconv reads it, one byte at a time: the UTF-8 of each
// byte, or none (iconv refuses it: the caller puts U+FFFD). Those charsets have no state,
// so a text converts byte by byte exactly as iconv converts it whole.
struct ByteTable {
  std::array<std::array<char, 8>, 256> utf8{};
  std::array<uint8_t, 256> len{};  // 0: no character
};

// The tables of the allowlist's single-byte charsets that iconv has, by iconv name; built
// once (every byte through iconv).
const std::map<std::string_view, ByteTable>& byte_tables() {
  static const std::map<std::string_view, ByteTable> tables = [] {
    std::map<std::string_view, ByteTable> m;
    for (std::string_view name :
         {"ISO-8859-1",   "ISO-8859-2",   "ISO-8859-3",   "ISO-8859-4",   "ISO-8859-5",
          "ISO-8859-6",   "ISO-8859-7",   "ISO-8859-8",   "ISO-8859-9",   "ISO-8859-10",
          "ISO-8859-11",  "ISO-8859-13",  "ISO-8859-14",  "ISO-8859-15",  "ISO-8859-16",
          "WINDOWS-1250", "WINDOWS-1251", "WINDOWS-1252", "WINDOWS-1253", "WINDOWS-1254",
          "WINDOWS-1256", "WINDOWS-1257", "CP874",        "TIS-620",      "KOI8-R",
          "KOI8-U",       "CP866",        "CP437",        "CP850",        "MACINTOSH"}) {
      iconv_t cd = iconv_open("UTF-8", std::string(name).c_str());
      if (cd == reinterpret_cast<iconv_t>(-1)) continue;
      std::unique_ptr<void, IconvCloser> guard(cd);
      ByteTable t;
      bool ok = true;
      for (int b = 0; b < 256 && ok; ++b) {
        char in = static_cast<char>(b);
        char* src = &in;
        size_t src_left = 1;
        auto& out = t.utf8[static_cast<size_t>(b)];
        char* dst = out.data();
        size_t dst_left = out.size();
        iconv(cd, nullptr, nullptr, nullptr, nullptr);
        size_t r = iconv(cd, &src, &src_left, &dst, &dst_left);
        if (r == static_cast<size_t>(-1) && errno == E2BIG) ok = false;  // not one to tabulate
        t.len[static_cast<size_t>(b)] =
            r == static_cast<size_t>(-1) ? 0 : static_cast<uint8_t>(out.size() - dst_left);
        if (b < 0x80 && (t.len[static_cast<size_t>(b)] != 1 || out[0] != in))
          ok = false;  // the conversion copies ASCII runs as they are
      }
      if (ok) m.emplace(name, t);
    }
    return m;
  }();
  return tables;
}

}  // namespace

std::string to_utf8(std::string&& in, std::string_view charset, DecodeStats& st) {
  bool as_is = is_utf8_name(charset) ? next_invalid_utf8(in, 0) == in.size()
                                     : ascii_as_is(in, allowed_charset(charset));
  if (as_is) return std::move(in);
  return to_utf8(std::string_view(in), charset, st);
}

std::string to_utf8(std::string_view in, std::string_view charset, DecodeStats& st) {
  if (is_utf8_name(charset)) return sanitize_utf8(in, st);
  std::string allowed(allowed_charset(charset));  // "" for a name not on the allowlist
  if (ascii_as_is(in, allowed)) return std::string(in);
  if (auto it = byte_tables().find(allowed); it != byte_tables().end()) {
    const ByteTable& t = it->second;
    std::string out;
    out.reserve(in.size() + in.size() / 2 + 16);
    for (size_t i = 0; i < in.size();) {
      size_t run = ascii_run_end(in, i);  // ASCII stands for itself in all of them
      out.append(in.data() + i, run - i);
      for (i = run; i < in.size() && static_cast<unsigned char>(in[i]) >= 0x80; ++i) {
        auto b = static_cast<unsigned char>(in[i]);
        if (t.len[b] == 0) {
          out += "\xEF\xBF\xBD";
          ++st.replaced;
        } else {
          out.append(t.utf8[b].data(), t.len[b]);
        }
      }
    }
    return out;
  }
  iconv_t cd =
      allowed.empty() ? reinterpret_cast<iconv_t>(-1) : iconv_open("UTF-8", allowed.c_str());
  if (cd == reinterpret_cast<iconv_t>(-1)) {
    st.unknown_charset = true;
    DecodeStats tmp;
    std::string utf8 = sanitize_utf8(in, tmp);
    if (tmp.replaced == 0) return utf8;      // valid UTF-8: read as such
    cd = iconv_open("UTF-8", "ISO-8859-1");  // what most clients fall back to
    if (cd == reinterpret_cast<iconv_t>(-1)) return sanitize_utf8(in, st);
  }
  std::unique_ptr<void, IconvCloser> guard(cd);
  std::string out;
  out.resize(in.size() * 2 + 16);
  char* src = const_cast<char*>(in.data());
  size_t src_left = in.size();
  size_t used = 0;
  // What the converter holds back (windows-1258 and windows-1255 keep a base letter until
  // they know no combining mark follows) is written out at the end and before a
  // replacement: resetting without an output buffer would drop it.
  auto flush_held = [&] {
    for (;;) {
      char* dst = out.data() + used;
      size_t dst_left = out.size() - used;
      size_t r = iconv(cd, nullptr, nullptr, &dst, &dst_left);
      used = out.size() - dst_left;
      if (r != static_cast<size_t>(-1) || errno != E2BIG) return;
      out.resize(out.size() * 2);
    }
  };
  while (src_left > 0) {
    char* dst = out.data() + used;
    size_t dst_left = out.size() - used;
    size_t r = iconv(cd, &src, &src_left, &dst, &dst_left);
    used = out.size() - dst_left;
    if (r != static_cast<size_t>(-1)) break;
    if (errno == E2BIG) {
      out.resize(out.size() * 2);
    } else {  // EILSEQ or EINVAL: replace one byte and go on
      flush_held();
      if (out.size() - used < 3) out.resize(out.size() * 2);
      std::memcpy(out.data() + used, "\xEF\xBF\xBD", 3);
      used += 3;
      ++st.replaced;
      ++src;
      --src_left;
      iconv(cd, nullptr, nullptr, nullptr, nullptr);
    }
  }
  flush_held();
  out.resize(used);
  return out;
}

std::string decode_rfc2047(std::string_view in, DecodeStats& st) {
  std::string out;
  std::string pend_bytes,
      pend_charset;  // adjacent encoded-words in one charset are decoded together
  auto flush = [&] {
    if (!pend_bytes.empty()) out += to_utf8(pend_bytes, pend_charset, st);
    pend_bytes.clear();
  };
  auto raw_text = [&](std::string_view t) {
    flush();
    DecodeStats tmp;
    std::string s = sanitize_utf8(t, tmp);
    out += tmp.replaced == 0 ? s : to_utf8(t, "ISO-8859-1", st);
  };
  // Every search goes forward from where the last one stood: each needle's next
  // occurrence is remembered, so a value of many openings without an end is read once.
  core::ForwardFind opening(in, "=?"), question(in, "?"), closing(in, "?="),
      space(in, " \t\r\n", core::ForwardFind::Mode::AnyOf);
  size_t i = 0;
  bool last_was_word = false;
  while (i < in.size()) {
    size_t start = opening.from(i);
    if (start == std::string_view::npos) break;
    size_t q1 = question.from(start + 2);  // =?charset?enc?text?=
    size_t q2 = q1 == std::string_view::npos ? q1 : question.from(q1 + 1);
    size_t end = q2 == std::string_view::npos ? q2 : closing.from(q2 + 1);
    if (end == std::string_view::npos || q2 != q1 + 2 || space.from(start) < end) {
      raw_text(in.substr(i, start + 2 - i));
      i = start + 2;
      last_was_word = false;
      continue;
    }
    std::string_view between = in.substr(i, start - i);
    bool only_ws = between.find_first_not_of(" \t\r\n") == std::string_view::npos;
    if (!(last_was_word && only_ws))
      raw_text(between);  // whitespace between encoded-words is dropped
    std::string charset(in.substr(start + 2, q1 - start - 2));
    if (size_t star = charset.find('*'); star != std::string::npos)
      charset.resize(star);  // RFC 2231 language
    char enc = in[q1 + 1];
    std::string_view text = in.substr(q2 + 1, end - q2 - 1);
    if (charset != pend_charset) flush();
    pend_charset = charset;
    if (enc == 'B' || enc == 'b')
      pend_bytes += decode_base64(text, st);
    else if (enc == 'Q' || enc == 'q')
      pend_bytes += decode_quoted_printable(text, st, true);
    else
      pend_bytes += std::string(in.substr(start, end + 2 - start));
    i = end + 2;
    last_was_word = true;
  }
  if (i < in.size()) raw_text(in.substr(i));
  flush();
  return out;
}

}  // namespace postern::mime
