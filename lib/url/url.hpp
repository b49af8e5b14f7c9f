// URL parsing and normalization: one URL as a browser would read it, in the
// one form postern compares (feeds, URIBL lookups, the event, click tokens).
//
// Contract: `parse(raw)` reads one URL as written in a message (a link target,
// a URL found in text, a PDF /URI). It reads the way a browser does (WHATWG URL
// for the special schemes http, https and ftp): leading and trailing spaces and
// controls are dropped, tabs and newlines inside are removed, '\' is '/', a
// bare "www." gets "http://"; the userinfo ends at the LAST '@' of the
// authority; an all-numeric host is an IPv4 address in any of the forms
// browsers accept (decimal dword "3232235777", hex "0xc0.0xa8.1.1", octal
// "0300.0250.1.1", fewer than four parts) and is normalized to a dotted quad; an
// IPv6 literal "[...]" is read as written between its brackets and serialized as
// browsers do ("[::ffff:c000:201]"), and an IPv4-mapped one (::ffff:a.b.c.d) is
// that IPv4 address for matching (`ip`) and counts as an obfuscated IP; a
// non-ASCII or "xn--" host goes through IDNA 2008 / UTS #46 (libidn2,
// nontransitional) to punycode, and back to Unicode for `host_unicode`. The
// ASCII URL is then normalized with uriparser (scheme and host case,
// percent-encoding case, unreserved characters decoded, dot-segments removed)
// and the fragment and default port dropped. Any other scheme (mailto:, data:,
// javascript:, ...) is kept with its scheme lower-cased and nothing else
// touched (host empty).
//
// Then known wrappers are unwrapped (`unwrap_depth` levels at most, wrapper in
// wrapper): Microsoft Safe Links, Proofpoint URL Defense v2 and v3,
// google.com/url?q=, and a small table of open redirects on big sites
// (`wrapped_by` names the outermost, `outer` is its normalized form). A wrapper
// whose target does not parse stays the URL.
//
// Returns nullopt for what is no URL we can read: empty, over kMaxUrlLength
// bytes, a special scheme without a host, a host with forbidden characters or
// that IDNA refuses, a bad port, an IPv4 form out of range. The caller decides
// whether that is a finding (a link that browsers and postern may read
// differently is hostile). Pure functions: thread-safe, linear in the input,
// never throw.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace postern::url {

inline constexpr size_t kMaxUrlLength = 8192;  // bytes of a URL read; longer: nullopt
inline constexpr unsigned kMaxUnwrapDepth = 4;

struct Url {               // one normalized http(s)/ftp/other URL
  std::string original;    // as written (after unwrapping a redirector: see `wrapped_by`)
  std::string normalized;  // scheme://host[:port]/path?query, lower-case scheme+host, punycode
                           // host, percent-decoding of unreserved chars, dot-segments removed,
                           // no fragment
  std::string scheme, host /*ASCII, punycode, lower case, no trailing dot*/, host_unicode,
      registrable /*registrable domain by the public suffix list, "" for an IP host*/,
      path /*with query*/;
  bool ip_host = false;  // host is an IP (also decimal/hex/octal forms, normalized to dotted quad)
  std::string ip;        // the address an IP host connects to: the dotted quad (also of an
                         // IPv4-mapped IPv6 literal), else the IPv6 address; "" for a name
  std::string wrapped_by;  // "safelinks", "urldefense", "google", ... when unwrapped, else ""

  // What the reading found (each a finding of the url stage).
  std::string port;            // "" = the scheme's default
  std::string userinfo;        // what stood before the '@' of the authority ("" = none)
  bool ip_obfuscated = false;  // the IPv4 host was not written as a dotted quad of decimals
                               // (also: as an IPv4-mapped IPv6 literal)
  bool idn = false;            // the host has a non-ASCII (or xn--) label
  bool mixed_script = false;   // a host label mixes scripts (Latin with Cyrillic, ...)
  bool unwrap_limit = false;   // wrappers nested deeper than kMaxUnwrapDepth
  std::string outer;           // when unwrapped: the outermost wrapper, normalized
  unsigned unwrapped = 0;      // wrapper levels removed

  bool web() const { return scheme == "http" || scheme == "https" || scheme == "ftp"; }
};

// The URL read, normalized and unwrapped; nullopt when it is none we can read.
std::optional<Url> parse(std::string_view raw);

// The same without unwrapping (what a wrapper's own URL is).
std::optional<Url> parse_one(std::string_view raw);

// When `u` is a known wrapper: the URL it wraps (decoded, as written inside) and
// the wrapper's name; nullopt otherwise.
struct Wrapped {
  std::string target;
  std::string_view by;
};
std::optional<Wrapped> unwrap_once(const Url& u);

// A relative link resolved against a document's base URL (HTML <base href>), as a
// browser resolves it: `base` must read as an http(s) URL (parse_one, its userinfo
// and port kept); `ref` is read as a browser reads a link (spaces and controls
// around it dropped, tabs and newlines removed, '\' as '/'), and "//host/x" takes the
// base's scheme, "/x" its origin, "?q" its path, "" and "#f" the base itself (no
// fragment), "x" the base's directory. nullopt when the base is no http(s) URL or
// `ref` has a scheme of its own (it is no relative link). The result is for parse():
// dot-segments are removed there.
std::optional<std::string> resolve(std::string_view base, std::string_view ref);

// Whether `raw` claims to be a web link ("http:", "https:", "ftp:", "www." after
// spaces, any case): one that does not parse is then hostile, not a relative link.
bool looks_web(std::string_view raw);

// The registrable domain of an ASCII host (public suffix + one label; the host
// itself when it has no known suffix). Lower case.
std::string registrable_domain(std::string_view host);

}  // namespace postern::url
