// The finding symbols of lib/attach (see symbols.hpp).
#include "attach/symbols.hpp"

#include "attach/archive.hpp"
#include "attach/clamav.hpp"
#include "attach/html_attach.hpp"
#include "attach/office.hpp"
#include "attach/ooxml.hpp"
#include "attach/pdf.hpp"
#include "attach/yara.hpp"

#include <algorithm>
#include <vector>

namespace postern::attach {
namespace {

using core::Scope;
// Scores: a file that is certainly bad (a hash feed) or banned by the site rejects
// through the hard rules in policies/10-rules.toml; the name and type tricks are
// evidence that adds up (a double extension plus a mismatch reaches the tag threshold).
constexpr core::SymbolInfo kStage[] = {
    {"ATTACH_BANNED", 8.0, Scope::Transaction,
     "a file of a type the policy bans, by extension or by what it is (also inside archives)"},
    {"ATTACH_TYPE_MISMATCH", 3.0, Scope::Transaction,
     "a file whose content is another type than its name or declared type says"},
    {"ATTACH_DOUBLE_EXTENSION", 4.0, Scope::Transaction,
     "a document extension hiding a runnable one (bill.pdf.exe, scan.pdf.html)"},
    {"ATTACH_NAME_BIDI", 5.0, Scope::Transaction,
     "a bidirectional control in a file name: it shows another extension than it has"},
    {"ATTACH_NAME_OBFUSCATED", 2.0, Scope::Transaction,
     "invisible or control characters, padding or trailing dots in a file name"},
    {"ATTACH_HASH_FEED", 15.0, Scope::Transaction, "a file whose SHA-256 is on a hash feed"},
    {"ATTACH_LIMIT", 1.0, Scope::Transaction,
     "more files than the attachment checks read: the rest were not checked"},
    {"ATTACH_SANDBOX_MALICIOUS", 20.0, Scope::Transaction,
     "the external sandbox ([sandbox], ICAP) named a file malicious"},
    {"ATTACH_SANDBOX_PENDING", 0.0, Scope::Transaction,
     "the external sandbox did not answer in time: the message is held until it does"},
    {"ATTACH_SANDBOX_UNCHECKED", 0.0, Scope::Transaction,
     "a file the sandbox policy chose was not sent: over max_size or max_files"},
};

}  // namespace

std::span<const core::SymbolInfo> symbols() {
  // The stage's own, then each analyzer's table. A symbol two analyzers can
  // raise (ATTACH_MACRO: the OOXML package, the VBA reader, ClamAV) is
  // catalogued once, by the first table naming it.
  static const std::vector<core::SymbolInfo> all = [] {
    std::vector<core::SymbolInfo> v(std::begin(kStage), std::end(kStage));
    for (auto table : {archive_symbols(), ooxml_symbols(), office_symbols(), pdf_symbols(),
                       html_attach_symbols(), yara_symbols(), clam_symbols()})
      for (const auto& s : table)
        if (std::none_of(v.begin(), v.end(), [&](const auto& e) { return e.name == s.name; }))
          v.push_back(s);
    return v;
  }();
  return all;
}

double default_score(std::string_view symbol) {
  for (const auto& s : symbols())
    if (s.name == symbol) return s.score;
  return 0;
}

}  // namespace postern::attach
