// Fuzz harness: header parsing and every header decoder on arbitrary bytes.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/date.hpp"
#include "core/message.hpp"
#include "mime/address.hpp"
#include "mime/decode.hpp"
#include "mime/params.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  postern::core::Message m{std::string(in)};
  for (const auto& h : m.headers()) {
    postern::mime::DecodeStats st;
    (void)postern::mime::decode_rfc2047(h.value, st);
    (void)postern::mime::parse_structured(h.value, st);
    (void)postern::mime::parse_mailboxes(h.value);
    (void)postern::core::parse_rfc5322_date(h.value);
  }
  (void)postern::mime::author(m);
  postern::mime::DecodeStats st;
  (void)postern::mime::decode_rfc2047(in, st);
  (void)postern::mime::parse_structured(in, st);
  (void)postern::mime::to_utf8(in, "windows-1252", st);
  (void)postern::mime::author(postern::core::build_message(in, 1 << 16));
  return 0;
}
