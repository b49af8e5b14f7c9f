// URL extraction: refanging and defanged URLs in text (see extract.hpp).
#include "url/extract.hpp"

#include <array>

#include "mime/analysis.hpp"

namespace postern::url {
namespace {

struct Swap {
  std::string_view from, to;
};

// Longest first where one is a prefix of another.
constexpr std::array<Swap, 14> kSwaps{{{"[://]", "://"},
                                       {"[dot]", "."},
                                       {"(dot)", "."},
                                       {"[.]", "."},
                                       {"(.)", "."},
                                       {"{.}", "."},
                                       {"[:]", ":"},
                                       {"[/]", "/"},
                                       {"hxxps", "https"},
                                       {"hxxp", "http"},
                                       {"hXXps", "https"},
                                       {"hXXp", "http"},
                                       {"HXXPS", "HTTPS"},
                                       {"HXXP", "HTTP"}}};

bool starts_with_icase(std::string_view s, std::string_view prefix) {
  if (s.size() < prefix.size()) return false;
  for (size_t i = 0; i < prefix.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(s[i])) != prefix[i]) return false;
  return true;
}

}  // namespace

bool maybe_defanged(std::string_view text) {
  return text.find("[.]") != std::string_view::npos || text.find("(.)") != std::string_view::npos ||
         text.find("{.}") != std::string_view::npos || text.find("[:]") != std::string_view::npos ||
         text.find("[dot]") != std::string_view::npos ||
         text.find("(dot)") != std::string_view::npos ||
         text.find("xxp") != std::string_view::npos || text.find("XXP") != std::string_view::npos ||
         text.find("XXp") != std::string_view::npos || text.find("[://]") != std::string_view::npos;
}

Refanged refang(std::string_view text) {
  Refanged r;
  r.text.reserve(text.size());
  r.replaced.reserve(text.size());
  size_t i = 0;
  while (i < text.size()) {
    const char c = text[i];
    bool swapped = false;
    if (c == '[' || c == '(' || c == '{' || c == 'h' || c == 'H') {
      for (const auto& s : kSwaps) {
        if (text.substr(i, s.from.size()) != s.from) continue;
        r.text.append(s.to);
        r.replaced.insert(r.replaced.end(), s.to.size(), true);
        i += s.from.size();
        swapped = r.changed = true;
        break;
      }
    }
    if (!swapped) {
      r.text.push_back(c);
      r.replaced.push_back(false);
      ++i;
    }
  }
  return r;
}

std::vector<std::string> defanged_urls(std::string_view text, size_t max) {
  std::vector<std::string> out;
  if (!maybe_defanged(text)) return out;
  Refanged r = refang(text);
  if (!r.changed) return out;
  size_t from = 0;
  // text_urls returns the URLs in text order: each is found after the previous one.
  for (auto& u : mime::text_urls(r.text, max)) {
    size_t at = r.text.find(u, from);
    if (at == std::string::npos) continue;
    from = at + u.size();
    bool any = false;
    for (size_t k = at; k < from && !any; ++k) any = r.replaced[k];
    if (any) out.push_back(std::move(u));
  }
  return out;
}

bool looks_web(std::string_view raw) {
  while (!raw.empty() && static_cast<unsigned char>(raw.front()) <= 0x20) raw.remove_prefix(1);
  return starts_with_icase(raw, "http:") || starts_with_icase(raw, "https:") ||
         starts_with_icase(raw, "ftp:") || starts_with_icase(raw, "www.");
}

}  // namespace postern::url
