// URL reading: the browser's split, IPv4 forms, IDNA (libidn2), normalization
// (uriparser) and the wrappers (see url.hpp).
#include "url/url.hpp"

#include <arpa/inet.h>
#include <idn2.h>
#include <unicode/uchar.h>
#include <unicode/uscript.h>
#include <unicode/utf8.h>
#include <uriparser/Uri.h>

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <set>
#include <vector>

#include "auth/dmarc.hpp"
#include "core/ip.hpp"

namespace postern::url {
namespace {

char lower(char c) {
  return c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c;
}

std::string to_lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = lower(c);
  return out;
}

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() &&
         std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) { return lower(x) == y; });
}

int hexval(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string percent_decode(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    int hi, lo;
    if (s[i] == '%' && i + 2 < s.size() && (hi = hexval(s[i + 1])) >= 0 &&
        (lo = hexval(s[i + 2])) >= 0) {
      out.push_back(static_cast<char>(hi << 4 | lo));
      i += 2;
    } else {
      out.push_back(s[i]);
    }
  }
  return out;
}

// What a browser drops: leading/trailing C0 controls and spaces; tabs and newlines anywhere.
std::string clean(std::string_view raw) {
  while (!raw.empty() && static_cast<unsigned char>(raw.front()) <= 0x20) raw.remove_prefix(1);
  while (!raw.empty() && static_cast<unsigned char>(raw.back()) <= 0x20) raw.remove_suffix(1);
  std::string out;
  out.reserve(raw.size());
  for (char c : raw)
    if (c != '\t' && c != '\n' && c != '\r') out.push_back(c);
  return out;
}

// The scheme's length when `s` starts with "scheme:", else 0.
size_t scheme_length(std::string_view s) {
  if (s.empty() || !std::isalpha(static_cast<unsigned char>(s[0]))) return 0;
  for (size_t i = 1; i < s.size() && i < 32; ++i) {
    char c = s[i];
    if (c == ':') return i;
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '+' && c != '-' && c != '.') return 0;
  }
  return 0;
}

bool special(std::string_view scheme) {
  return scheme == "http" || scheme == "https" || scheme == "ftp";
}

std::string_view default_port(std::string_view scheme) {
  if (scheme == "http") return "80";
  if (scheme == "https") return "443";
  return "21";
}

// One IPv4 part as browsers read it: 0x hex, 0-led octal, decimal; nullopt when invalid.
std::optional<uint64_t> ipv4_number(std::string_view p, bool& odd) {
  int base = 10;
  if (p.size() >= 2 && p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) {
    base = 16;
    p.remove_prefix(2);
    odd = true;
  } else if (p.size() >= 2 && p[0] == '0') {
    base = 8;
    p.remove_prefix(1);
    odd = true;
  }
  if (p.empty()) return 0;
  uint64_t v = 0;
  for (char c : p) {
    int d = hexval(c);
    if (d < 0 || d >= base) return std::nullopt;
    v = v * static_cast<uint64_t>(base) + static_cast<uint64_t>(d);
    if (v > 0xffffffffull) return std::nullopt;
  }
  return v;
}

// Whether the last label is a number (WHATWG "ends in a number"): the host is then an IPv4
// address or invalid.
bool ends_in_number(std::string_view host) {
  if (!host.empty() && host.back() == '.') host.remove_suffix(1);
  std::string_view last = host.substr(host.find_last_of('.') + 1);
  if (last.empty()) return false;
  if (std::all_of(last.begin(), last.end(), [](char c) { return c >= '0' && c <= '9'; }))
    return true;
  if (last.size() >= 2 && last[0] == '0' && (last[1] == 'x' || last[1] == 'X'))
    return std::all_of(last.begin() + 2, last.end(), [](char c) { return hexval(c) >= 0; });
  return false;
}

// The dotted quad of a browser's IPv4 host, nullopt when out of range.
std::optional<std::string> parse_ipv4(std::string_view host, bool& odd) {
  if (!host.empty() && host.back() == '.') host.remove_suffix(1);
  std::vector<uint64_t> parts;
  size_t i = 0;
  while (true) {
    size_t dot = host.find('.', i);
    std::string_view p = host.substr(i, dot == std::string_view::npos ? host.npos : dot - i);
    if (p.empty() || parts.size() == 4) return std::nullopt;
    auto v = ipv4_number(p, odd);
    if (!v) return std::nullopt;
    parts.push_back(*v);
    if (dot == std::string_view::npos) break;
    i = dot + 1;
  }
  if (parts.size() != 4) odd = true;
  for (size_t k = 0; k + 1 < parts.size(); ++k)
    if (parts[k] > 255) return std::nullopt;
  const uint64_t last_max = 1ull << (8 * (5 - parts.size()));
  if (parts.back() >= last_max) return std::nullopt;
  uint64_t ip = parts.back();
  for (size_t k = 0; k + 1 < parts.size(); ++k) ip += parts[k] << (8 * (3 - k));
  return fmt::format("{}.{}.{}.{}", ip >> 24, (ip >> 16) & 255, (ip >> 8) & 255, ip & 255);
}

struct IdnFree {
  void operator()(char* p) const { idn2_free(p); }
};
using IdnString = std::unique_ptr<char, IdnFree>;

// Script sets a single label may mix (CJK writing uses several scripts at once).
bool allowed_mix(const std::set<int>& s) {
  static const std::array<std::set<int>, 3> kAllowed{
      std::set<int>{USCRIPT_LATIN, USCRIPT_HAN, USCRIPT_HIRAGANA, USCRIPT_KATAKANA},
      std::set<int>{USCRIPT_LATIN, USCRIPT_HAN, USCRIPT_HANGUL},
      std::set<int>{USCRIPT_LATIN, USCRIPT_HAN, USCRIPT_BOPOMOFO}};
  return std::any_of(kAllowed.begin(), kAllowed.end(), [&](const std::set<int>& a) {
    return std::includes(a.begin(), a.end(), s.begin(), s.end());
  });
}

// Whether a label of the Unicode host mixes scripts (Common and Inherited do not count).
bool mixed_scripts(std::string_view host) {
  const auto* p = reinterpret_cast<const uint8_t*>(host.data());
  int32_t n = static_cast<int32_t>(host.size()), i = 0;
  std::set<int> scripts;
  while (i < n) {
    UChar32 c;
    U8_NEXT(p, i, n, c);
    if (c == '.') {
      if (scripts.size() > 1 && !allowed_mix(scripts)) return true;
      scripts.clear();
      continue;
    }
    if (c < 0) continue;
    UErrorCode err = U_ZERO_ERROR;
    UScriptCode sc = uscript_getScript(c, &err);
    if (U_FAILURE(err) || sc == USCRIPT_COMMON || sc == USCRIPT_INHERITED) continue;
    scripts.insert(sc);
  }
  return scripts.size() > 1 && !allowed_mix(scripts);
}

bool ascii_host_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_';
}

// An IPv6 literal "[...]" as browsers read it: the text between the brackets as written (no
// percent escapes, no zone, no "IPv6:" tag) in RFC 4291 syntax, serialized as the WHATWG URL
// standard does (lower-case hex, the first longest run of two or more zero pieces as "::",
// an embedded IPv4 in hex). `ip` is the IPv4 address of an IPv4-mapped one (::ffff:a.b.c.d):
// the address the connection goes to, which feeds and CIDR lists are matched against.
bool read_ipv6_host(std::string_view raw, Url& u) {
  if (raw.size() < 3 || raw.size() > 2 + 45 || raw.back() != ']') return false;
  std::string inner(raw.substr(1, raw.size() - 2));
  if (!std::all_of(inner.begin(), inner.end(),
                   [](char c) { return hexval(c) >= 0 || c == ':' || c == '.'; }))
    return false;
  std::array<uint8_t, 16> b{};
  if (inet_pton(AF_INET6, inner.c_str(), b.data()) != 1) return false;
  std::array<unsigned, 8> piece{};
  for (size_t k = 0; k < 8; ++k) piece[k] = unsigned{b[2 * k]} << 8 | b[2 * k + 1];
  size_t run_at = 8, run_len = 1;  // the first longest run of zero pieces, if longer than 1
  for (size_t k = 0; k < 8;) {
    size_t e = k;
    while (e < 8 && piece[e] == 0) ++e;
    if (e - k > run_len) run_at = k, run_len = e - k;
    k = e == k ? k + 1 : e;
  }
  std::string host = "[";
  for (size_t k = 0; k < 8; ++k) {
    if (k == run_at) {
      host += k == 0 ? "::" : ":";
      k += run_len - 1;
      continue;
    }
    host += fmt::format("{:x}", piece[k]);
    if (k < 7) host.push_back(':');
  }
  host.push_back(']');
  u.host = u.host_unicode = std::move(host);
  u.ip_host = true;
  static constexpr uint8_t kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  if (std::equal(b.begin(), b.begin() + 12, kMapped)) {
    u.ip = fmt::format("{}.{}.{}.{}", b[12], b[13], b[14], b[15]);
    u.ip_obfuscated = true;  // an IPv4 address written as IPv6
  } else {
    u.ip = u.host.substr(1, u.host.size() - 2);
  }
  return true;
}

// The host, ASCII (punycode) and Unicode; false when no browser would read it.
bool read_host(std::string_view raw, Url& u) {
  if (!raw.empty() && raw.front() == '[') return read_ipv6_host(raw, u);
  std::string h = percent_decode(raw);
  if (h.empty() || h.size() > 253 + 1 + 64) return false;
  bool ascii = std::all_of(h.begin(), h.end(), [](char c) { return (c & 0x80) == 0; });
  std::string lower_h = ascii ? to_lower(h) : h;
  if (ascii && lower_h.find("xn--") == std::string::npos) {
    if (ends_in_number(lower_h)) {
      bool odd = false;
      auto quad = parse_ipv4(lower_h, odd);
      if (!quad) return false;
      u.host = u.host_unicode = u.ip = *quad;
      u.ip_host = true;
      u.ip_obfuscated = odd;
      return true;
    }
    u.host = lower_h;
  } else {
    char* out = nullptr;
    int rc = idn2_to_ascii_8z(lower_h.c_str(), &out, IDN2_NFC_INPUT | IDN2_NONTRANSITIONAL);
    IdnString hold(out);
    if (rc != IDN2_OK || !out) return false;
    u.host = to_lower(out);
    u.idn = true;
  }
  while (!u.host.empty() && u.host.back() == '.') u.host.pop_back();
  if (u.host.empty() || u.host.size() > 253 ||
      !std::all_of(u.host.begin(), u.host.end(), ascii_host_char) ||
      u.host.find("..") != std::string::npos || u.host.front() == '.')
    return false;
  if (u.idn || u.host.find("xn--") != std::string::npos) {
    u.idn = true;
    char* uni = nullptr;
    int rc = idn2_to_unicode_8z8z(u.host.c_str(), &uni, 0);
    IdnString hold(uni);
    u.host_unicode = rc == IDN2_OK && uni ? std::string(uni) : u.host;
    u.mixed_script = mixed_scripts(u.host_unicode);
  } else {
    u.host_unicode = u.host;
  }
  if (ends_in_number(u.host)) return false;  // an IDN that maps to digits: ambiguous
  return true;
}

// Percent-encodes every byte uriparser (RFC 3986) refuses in a path or query; a '%' not
// followed by two hex digits becomes "%25"; "%2e" becomes '.' before dot-segments go.
std::string encode_rest(std::string_view s) {
  static constexpr std::string_view kOk = "-._~!$&'()*+,;=:@/?";
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (std::isalnum(c) || kOk.find(static_cast<char>(c)) != std::string_view::npos) {
      out.push_back(static_cast<char>(c));
    } else if (c == '%' && i + 2 < s.size() && s[i + 1] == '2' && (s[i + 2] | 0x20) == 'e') {
      out.push_back('.');  // "%2e" is '.', also in a dot-segment (as browsers read it)
      i += 2;
    } else if (c == '%' && i + 2 < s.size() && hexval(s[i + 1]) >= 0 && hexval(s[i + 2]) >= 0) {
      out.push_back('%');
    } else {
      out += fmt::format("%{:02X}", c);
    }
  }
  return out;
}

// uriparser's syntax normalization of an ASCII URL; nullopt when it refuses it.
std::optional<std::string> normalize_syntax(const std::string& ascii) {
  UriUriA uri;
  const char* error_pos = nullptr;
  if (uriParseSingleUriA(&uri, ascii.c_str(), &error_pos) != URI_SUCCESS) return std::nullopt;
  std::optional<std::string> out;
  if (uriNormalizeSyntaxA(&uri) == URI_SUCCESS) {
    int chars = 0;
    if (uriToStringCharsRequiredA(&uri, &chars) == URI_SUCCESS) {
      std::string s(static_cast<size_t>(chars) + 1, '\0');
      if (uriToStringA(s.data(), &uri, chars + 1, nullptr) == URI_SUCCESS) {
        s.resize(static_cast<size_t>(chars));
        out = std::move(s);
      }
    }
  }
  uriFreeUriMembersA(&uri);
  return out;
}

// The value of `name` in a query ("a=1&name=v"), percent-decoded; nullopt when absent.
std::optional<std::string> query_param(std::string_view path, std::string_view name) {
  size_t q = path.find('?');
  if (q == std::string_view::npos) return std::nullopt;
  std::string_view query = path.substr(q + 1);
  while (!query.empty()) {
    size_t amp = query.find('&');
    std::string_view kv = query.substr(0, amp);
    if (kv.size() > name.size() && kv.substr(0, name.size()) == name && kv[name.size()] == '=')
      return percent_decode(kv.substr(name.size() + 1));
    if (amp == std::string_view::npos) break;
    query.remove_prefix(amp + 1);
  }
  return std::nullopt;
}

std::string_view path_only(std::string_view path) {
  return path.substr(0, path.find('?'));
}

// Proofpoint URL Defense v2: '-' stands for '%' and '_' for '/' before percent-decoding.
std::string urldefense_v2(std::string_view u) {
  std::string s(u);
  for (char& c : s) c = c == '-' ? '%' : c == '_' ? '/' : c;
  return percent_decode(s);
}

// Proofpoint URL Defense v3: "__<url>__;<base64url of the replaced characters>!!...". Each
// '*' in the URL takes the next character of the decoded list, "**X" the next run of
// 2..65 characters (X in A-Z a-z 0-9 - _).
std::optional<std::string> urldefense_v3(std::string_view original) {
  size_t at = original.find("/v3/__");
  if (at == std::string_view::npos) return std::nullopt;
  std::string_view rest = original.substr(at + 6);
  size_t end = rest.find("__;");
  std::string_view enc;
  if (end != std::string_view::npos) {
    enc = rest.substr(end + 3);
    enc = enc.substr(0, enc.find('!'));
  } else {
    end = rest.rfind("__");
    if (end == std::string_view::npos) return std::nullopt;
  }
  std::string_view url = rest.substr(0, end);
  static constexpr std::string_view kB64 =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string bytes;
  uint32_t acc = 0;
  int bits = 0;
  for (char c : enc) {
    size_t v = kB64.find(c);
    if (v == std::string_view::npos) break;
    acc = (acc << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      bytes.push_back(static_cast<char>((acc >> bits) & 0xff));
    }
  }
  // The decoded bytes are UTF-8 characters; a '*' takes one character.
  size_t pos = 0;
  auto next_char = [&]() -> std::string {
    if (pos >= bytes.size()) return {};
    size_t len = 1;
    unsigned char c = static_cast<unsigned char>(bytes[pos]);
    if (c >= 0xf0)
      len = 4;
    else if (c >= 0xe0)
      len = 3;
    else if (c >= 0xc0)
      len = 2;
    std::string out = bytes.substr(pos, len);
    pos += len;
    return out;
  };
  std::string out;
  for (size_t i = 0; i < url.size(); ++i) {
    if (url[i] != '*') {
      out.push_back(url[i]);
      continue;
    }
    if (i + 2 < url.size() && url[i + 1] == '*') {
      size_t run = kB64.find(url[i + 2]);
      if (run == std::string_view::npos) return std::nullopt;
      for (size_t k = 0; k < run + 2; ++k) out += next_char();
      i += 2;
    } else {
      out += next_char();
    }
  }
  return out;
}

struct Redirect {
  std::string_view host, path, param, name;
};

// Open redirects on big sites: host, path, the parameter holding the target.
constexpr std::array<Redirect, 9> kRedirects{{
    {"www.youtube.com", "/redirect", "q", "youtube"},
    {"l.facebook.com", "/l.php", "u", "facebook"},
    {"lm.facebook.com", "/l.php", "u", "facebook"},
    {"l.instagram.com", "/", "u", "instagram"},
    {"www.linkedin.com", "/redir/redirect", "url", "linkedin"},
    {"away.vk.com", "/away.php", "to", "vk"},
    {"slack-redir.net", "/link", "url", "slack"},
    {"steamcommunity.com", "/linkfilter/", "url", "steam"},
    {"t.umblr.com", "/redirect", "z", "tumblr"},
}};

}  // namespace

std::string registrable_domain(std::string_view host) {
  return auth::PublicSuffix::instance().org_domain(host);
}

std::optional<Url> parse_one(std::string_view raw) {
  if (raw.size() > kMaxUrlLength) return std::nullopt;
  std::string s = clean(raw);
  if (s.empty()) return std::nullopt;
  Url u;
  u.original = s;
  size_t sl = scheme_length(s);
  if (sl == 0) {
    if (s.size() > 4 && iequals(std::string_view(s).substr(0, 4), "www.")) {
      s = "http://" + s;
      sl = 4;
    } else {
      return std::nullopt;
    }
  }
  u.scheme = to_lower(std::string_view(s).substr(0, sl));
  if (!special(u.scheme)) {
    u.normalized = u.scheme + s.substr(sl);
    u.path = s.substr(sl + 1);
    return u;
  }
  for (char& c : s)
    if (c == '\\') c = '/';
  size_t i = sl + 1;
  while (i < s.size() && s[i] == '/') ++i;
  size_t auth_end = s.find_first_of("/?#", i);
  if (auth_end == std::string::npos) auth_end = s.size();
  std::string_view authority = std::string_view(s).substr(i, auth_end - i);
  if (size_t at = authority.rfind('@'); at != std::string_view::npos) {
    u.userinfo = std::string(authority.substr(0, at));
    authority.remove_prefix(at + 1);
  }
  std::string_view hostport = authority;
  size_t colon = hostport.rfind(':');
  if (colon != std::string_view::npos && hostport.find(']', colon) == std::string_view::npos) {
    std::string_view port = hostport.substr(colon + 1);
    hostport = hostport.substr(0, colon);
    if (!std::all_of(port.begin(), port.end(), [](char c) { return c >= '0' && c <= '9'; }) ||
        port.size() > 5)
      return std::nullopt;
    while (port.size() > 1 && port.front() == '0') port.remove_prefix(1);
    if (!port.empty()) {
      if (std::atoi(std::string(port).c_str()) > 65535) return std::nullopt;
      if (port != default_port(u.scheme)) u.port = std::string(port);
    }
  }
  if (!read_host(hostport, u)) return std::nullopt;
  std::string_view rest = std::string_view(s).substr(auth_end);
  rest = rest.substr(0, rest.find('#'));
  std::string ascii = u.scheme + "://" + u.host + (u.port.empty() ? "" : ":" + u.port);
  if (rest.empty() || rest.front() == '?') ascii.push_back('/');
  ascii += encode_rest(rest);
  auto norm = normalize_syntax(ascii);
  // Percent-encoding can make the URL longer: the normalized form is bounded too (and so
  // reads back to itself).
  if (!norm || norm->size() > kMaxUrlLength) return std::nullopt;
  if (u.host.front() == '[') {  // uriparser writes an IPv6 literal in full: the browser's form
    const size_t at = u.scheme.size() + 3, end = norm->find(']', at);
    if (end == std::string::npos) return std::nullopt;
    norm->replace(at, end + 1 - at, u.host);
  }
  u.normalized = std::move(*norm);
  size_t path_at = u.normalized.find('/', u.scheme.size() + 3);
  u.path = path_at == std::string::npos ? "/" : u.normalized.substr(path_at);
  if (!u.ip_host) u.registrable = registrable_domain(u.host);
  return u;
}

bool looks_web(std::string_view raw) {
  while (!raw.empty() && static_cast<unsigned char>(raw.front()) <= 0x20) raw.remove_prefix(1);
  auto starts = [&](std::string_view p) {
    return raw.size() >= p.size() && iequals(raw.substr(0, p.size()), p);
  };
  return starts("http:") || starts("https:") || starts("ftp:") || starts("www.");
}

std::optional<std::string> resolve(std::string_view base, std::string_view ref) {
  auto b = parse_one(base);
  if (!b || (b->scheme != "http" && b->scheme != "https")) return std::nullopt;
  if (ref.size() > kMaxUrlLength) return std::nullopt;
  std::string r = clean(ref);
  if (scheme_length(r) != 0) return std::nullopt;
  for (char& c : r)
    if (c == '\\') c = '/';
  if (r.starts_with("//")) return b->scheme + ":" + r;
  std::string origin = b->scheme + "://" + (b->userinfo.empty() ? "" : b->userinfo + "@") +
                       b->host + (b->port.empty() ? "" : ":" + b->port);
  if (r.starts_with("/")) return origin + r;
  if (r.empty() || r.front() == '#') return origin + b->path;
  const std::string_view dir = path_only(b->path);
  if (r.front() == '?') return origin + std::string(dir) + r;
  return origin + std::string(dir.substr(0, dir.rfind('/') + 1)) + r;
}

std::optional<Wrapped> unwrap_once(const Url& u) {
  if (!u.web()) return std::nullopt;
  const std::string_view host = u.host, path = path_only(u.path);
  auto wrapped = [](std::optional<std::string> t, std::string_view by) -> std::optional<Wrapped> {
    if (!t || t->empty()) return std::nullopt;
    return Wrapped{std::move(*t), by};
  };
  if (host.ends_with(".safelinks.protection.outlook.com"))
    return wrapped(query_param(u.path, "url"), "safelinks");
  if (host == "urldefense.proofpoint.com" || host == "urldefense.com") {
    if (path == "/v2/url") {
      auto v = query_param(u.path, "u");
      return wrapped(v ? std::optional(urldefense_v2(*v)) : std::nullopt, "urldefense");
    }
    if (path.starts_with("/v3/__")) return wrapped(urldefense_v3(u.original), "urldefense");
    return std::nullopt;
  }
  if (path == "/url" && (u.registrable.starts_with("google.") || host == "google.com")) {
    auto q = query_param(u.path, "q");
    return wrapped(q ? q : query_param(u.path, "url"), "google");
  }
  for (const auto& r : kRedirects)
    if (host == r.host && path == r.path) return wrapped(query_param(u.path, r.param), r.name);
  return std::nullopt;
}

std::optional<Url> parse(std::string_view raw) {
  auto u = parse_one(raw);
  if (!u) return u;
  const std::string outer = u->normalized;
  std::string_view first_by;
  unsigned depth = 0;
  while (auto w = unwrap_once(*u)) {
    if (depth == kMaxUnwrapDepth) {
      u->unwrap_limit = true;
      break;
    }
    auto inner = parse_one(w->target);
    if (!inner) break;
    if (depth == 0) first_by = w->by;
    *u = std::move(*inner);
    ++depth;
  }
  if (depth > 0) {
    u->wrapped_by = std::string(first_by);
    u->outer = outer;
    u->unwrapped = depth;
  }
  return u;
}

}  // namespace postern::url
