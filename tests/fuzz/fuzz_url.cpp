// Fuzz harness: URL reading (parse, normalization, unwrapping), defanged URL
// extraction from text and feed entries, on arbitrary bytes. A web URL that
// parses must read back to itself from its normalized form (normalization is
// idempotent): otherwise two readers of the same link could disagree.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "mime/analysis.hpp"
#include "url/feeds.hpp"
#include "url/url.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  auto check = [](std::string_view raw) {
    auto u = postern::url::parse(raw);
    if (!u || !u->web()) return;
    auto again = postern::url::parse_one(u->normalized);
    if (!again || again->normalized != u->normalized) abort();
  };
  check(in);
  for (const auto& u : postern::mime::text_urls(in, 50)) check(u);
  for (const auto& u : postern::mime::defanged_text_urls(in, 50)) check(u);
  postern::url::Feed feed;
  size_t start = 0, lines = 0;
  while (start < in.size() && lines++ < 50) {
    size_t end = in.find('\n', start);
    if (end == std::string_view::npos) end = in.size();
    feed.add(in.substr(start, end - start), "label");
    start = end + 1;
  }
  if (auto u = postern::url::parse(in)) (void)feed.match(*u);
  return 0;
}
