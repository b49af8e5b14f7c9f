// Fuzz harness: the whole MIME analysis (tree, decoders, charsets, HTML) on arbitrary bytes.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "mime/analysis.hpp"
#include "mime/splice.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view raw(reinterpret_cast<const char*>(data), size);
  postern::mime::AnalysisLimits limits;
  limits.mime.max_part_decoded = 1 << 20;
  limits.mime.max_total_decoded = 4 << 20;
  postern::mime::Analysis a = postern::mime::analyze(raw, limits);
  // Splicing every leaf with its own content must always succeed on what the parser produced.
  std::vector<postern::mime::Replacement> reps;
  for (const auto& l : a.leaves)
    if (!l.part->uuencoded && !l.part->opaque && reps.size() < 8) {
      postern::mime::DecodeStats st;
      reps.push_back({l.part, a.tree.decode(*l.part, st, 1 << 16)});
    }
  auto out = postern::mime::splice(a.tree, reps);
  if (!out) __builtin_trap();
  return 0;
}
