// Fuzz harness: click tokens (verify on arbitrary strings, base64url both ways, and an
// issue/verify round trip with the input as the URL) and the link rewriter's readers
// (HTML attributes, plain-text URLs, web targets and hosts) on arbitrary bytes.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "url/rewrite.hpp"
#include "url/token.hpp"

namespace {

const postern::url::KeyRing& ring() {
  static const postern::url::KeyRing r = *postern::url::KeyRing::from(
      {{"k2", std::string(32, 'k'), false}, {"k1", std::string(40, 'j'), true}}, "k2");
  return r;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  namespace url = postern::url;
  std::string_view in(reinterpret_cast<const char*>(data), size);
  const auto now = std::chrono::system_clock::time_point(std::chrono::seconds(1'700'000'000));
  (void)ring().verify(in, std::chrono::hours(24), now);
  if (auto raw = url::unbase64url(in)) {
    if (url::base64url(*raw) != in) std::abort();  // one spelling per byte string
  }
  url::Token t;
  t.issued = 1'700'000'000;
  t.scan_id = "fuzz";
  t.url = std::string(in.substr(0, url::kMaxUrl));
  auto tok = ring().issue(t);
  if (!tok) std::abort();
  auto back = ring().verify(*tok, std::chrono::hours(1), now);
  if (!back || back->url != t.url || back->key_id != "k2") std::abort();
  for (const auto& s : url::html_link_spans(in)) {
    if (s.begin > s.end || s.end > in.size()) std::abort();
    if (auto w = url::web_target(s.value)) (void)url::host_of(*w);
  }
  for (const auto& s : url::text_link_spans(in))
    if (s.begin >= s.end || s.end > in.size()) std::abort();
  return 0;
}
