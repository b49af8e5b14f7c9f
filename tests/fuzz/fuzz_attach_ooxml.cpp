// Fuzz harness: the hand-written scanners of lib/attach on arbitrary bytes. The
// OOXML checks read the input as each XML member they scan (relationships, a Word
// part, an Excel external link) and as member names; the password finder reads it
// as mail text; and the archive wrapper expands it (libarchive behind our limits,
// with small limits so that bombs are cheap), then checks its members as OOXML.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "attach/archive.hpp"
#include "attach/ooxml.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace postern::attach;
  std::string_view in(reinterpret_cast<const char*>(data), size);
  std::vector<OoxmlPart> parts{{"word/_rels/settings.xml.rels", in},
                               {"word/document.xml", in},
                               {"xl/externalLinks/externalLink1.xml", in},
                               {in.substr(0, 64), in.substr(in.size() < 64 ? in.size() : 64)}};
  OoxmlLimits ol;
  ol.max_hits = 8;
  auto hits = check_ooxml(parts, ol);
  if (hits.size() > ol.max_hits) __builtin_trap();
  auto pw = passwords_from_text(in, 10);
  if (pw.size() > 10) __builtin_trap();
  ArchiveLimits al;
  al.max_entries = 64;
  al.max_member_bytes = 1 << 20;
  al.max_expanded_bytes = 4 << 20;
  al.max_passwords = 2;
  ArchiveBudget budget(al);
  const std::vector<std::string> tries{"infected", "password"};
  auto x = expand(in, al, budget, tries, nullptr, "fuzz.bin");
  uint64_t total = 0;
  for (const auto& m : x.members) {
    if (m.data.size() > al.max_member_bytes || m.path.size() > al.max_name_bytes) __builtin_trap();
    total += m.data.size();
  }
  if (total > al.max_expanded_bytes || x.members.size() > al.max_entries) __builtin_trap();
  check_ooxml(std::span<const Member>(x.members), ol);
  return 0;
}
