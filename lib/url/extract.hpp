// URL extraction: where a message's URLs are, including the ones written to
// dodge filters (defanged), as candidates for url::parse.
//
// Contract: `refang(text)` undoes the defanging people and kits use: "hxxp" /
// "hXXp" → "http", "[.]" "(.)" "{.}" "[dot]" "(dot)" → ".", "[:]" → ":",
// "[://]" → "://", "[/]" → "/"; it returns the text changed and, per output
// byte, whether it came from a replacement. `defanged_urls(text, max)` runs
// mime::text_urls over the refanged text and returns only the URLs that
// contain a replacement (the plain ones the MIME analysis already has).
// Linear in the text; pure functions (thread-safe).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace postern::url {

struct Refanged {
  std::string text;
  std::vector<bool> replaced;  // per byte of `text`
  bool changed = false;
};

Refanged refang(std::string_view text);

// Whether `text` may hold a defanged URL (cheap test before refang).
bool maybe_defanged(std::string_view text);

std::vector<std::string> defanged_urls(std::string_view text, size_t max);

// Whether `raw` claims to be a web link ("http:", "https:", "ftp:", "www." after
// spaces, any case): one that does not parse is then hostile, not a relative link.
bool looks_web(std::string_view raw);

}  // namespace postern::url
