// Fuzz harness: clamd's reply parser on arbitrary bytes (what a socket peer may send).
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "attach/clamd.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view reply(reinterpret_cast<const char*>(data), size);
  postern::attach::ScanResult r = postern::attach::parse_clamd_reply(reply);
  using postern::attach::ScanStatus;
  // Found always names something; Clean never does; an Error always says why.
  if (r.status == ScanStatus::Found && r.names.empty()) __builtin_trap();
  if (r.status == ScanStatus::Clean && !r.names.empty()) __builtin_trap();
  if (r.status == ScanStatus::Error && r.error.empty()) __builtin_trap();
  // Clean only for exactly one "stream: OK" reply.
  if (r.status == ScanStatus::Clean && reply != std::string_view("stream: OK\0", 11))
    __builtin_trap();
  auto hits = postern::attach::to_hits(r);
  if (hits.has_value() == (r.status == ScanStatus::Error)) __builtin_trap();
  if (hits)
    for (const auto& h : *hits)
      if (h.detail.size() > 200) __builtin_trap();
  return 0;
}
