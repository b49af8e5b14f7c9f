// The finding symbols of ClamAV's verdicts (in-process engine and clamd).
#include <array>

#include "attach/clamav.hpp"

namespace postern::attach {
namespace {

using core::Scope;
constexpr std::array kSymbols{
    // A signature match: the hard malware signal; the policy rejects on it.
    core::SymbolInfo{"ATTACH_VIRUS", 20.0, Scope::Transaction,
                     "ClamAV: an attachment matches a malware signature (detail: its name)"},
    // Macros alone are common in business mail: a hint that adds up with others.
    core::SymbolInfo{"ATTACH_MACRO", 3.0, Scope::Transaction,
                     "an Office document with VBA macros (ClamAV Heuristics.OLE2.ContainsMacros)"},
    // Password archives are the usual way malware passes scanners, but also how
    // some people send confidential files: a medium signal (the archive reader's
    // symbol of the same name scores it alike).
    core::SymbolInfo{"ATTACH_ENCRYPTED_ARCHIVE", 3.0, Scope::Transaction,
                     "an encrypted archive or document that cannot be scanned (ClamAV "
                     "Heuristics.Encrypted.*)"},
    // A malformed executable in mail is rarely innocent, yet ClamAV's PE checks
    // also flag old or odd legitimate installers.
    core::SymbolInfo{"ATTACH_BROKEN_EXECUTABLE", 5.0, Scope::Transaction,
                     "a malformed PE or ELF executable (ClamAV Heuristics.Broken.Executable)"},
    core::SymbolInfo{"ATTACH_CLAMAV_PHISHING", 4.0, Scope::Transaction,
                     "ClamAV's phishing heuristics: a link whose text and target disagree "
                     "(SSL mismatch, cloaked URL)"},
    // Large legitimate files hit the limits too: low, but never clean by silence.
    core::SymbolInfo{"ATTACH_CLAMAV_LIMIT", 1.0, Scope::Transaction,
                     "ClamAV stopped at a limit (file size, scan size, recursion, files, "
                     "time): part of the attachment was not scanned"},
    core::SymbolInfo{"ATTACH_CLAMAV_HEURISTIC", 2.0, Scope::Transaction,
                     "another ClamAV heuristic alert (detail: its name)"},
};

}  // namespace

std::span<const core::SymbolInfo> clam_symbols() {
  return kSymbols;
}

}  // namespace postern::attach
