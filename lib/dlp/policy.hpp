// The [dlp] policy section: the scan's bounds, keywords per detector, and the rules
// ([dlp.rules.NAME]) that turn detector matches into findings and actions.
//
// Contract: `read_dlp` is the [dlp] reader (registered by lib/dlp). Keys of [dlp]:
// window (bytes around a match searched for keywords), max_bytes (text scanned per
// message), max_matches (matches counted per message), attachments (true: read
// the text of attachments, attachment_text.hpp), pdf_reader (the absolute path of
// postern-pdftext, pdf_reader.hpp; "" to read no PDF), pdf_timeout_ms (5000: one PDF),
// pdf_total_ms (10000: all PDFs of a message, at least pdf_timeout_ms), pdf_readers
// (readers at once, 2); [dlp.keywords] detector =
// ["word", ...] replaces that detector's built-in keywords. A rule
// [dlp.rules.NAME] (NAME: [a-z0-9_], the finding is DLP_<NAME upper-cased>): detectors
// (names of dlp::Detector), patterns (RE2, case-insensitive) and dictionary (words or
// phrases, case-insensitive, at word boundaries): at least one of the three;
// min_count (1), min_confidence ("medium"; custom patterns and words count as
// medium), direction ("outbound" by default), action ("block": reject with the
// rule's message or the policy's 5.7.1 reply; "quarantine"; "tag"; "log": the
// finding alone; "encrypt": the finding, and lib/smime encrypts the message or gives it
// [smime.encrypt] missing_cert; "require_tls": delivered with X-Postern-Route:
// tls-required, which `postern setup postfix` routes to the postern-tls transport,
// verified TLS only; "notify": delivered, and the sender is told), notify (false; true:
// the sender gets a notification naming the rule and the masked matches, whatever the
// action, when the message is delivered or held), message, score (0), description,
// enabled (true). [dlp] notify_from ("postmaster"; a local part gets @ this host's
// name) and notify_command (["/usr/sbin/sendmail", "-G", "-i"], "-f <> -- SENDER"
// appended) are the notification's sender and how it is sent. An action other than
// log, encrypt, require_tls and notify becomes a hard rule of the rule's directions
// ([outbound.rules] DLP_NAME = action), so a later [outbound.rules] or a group may
// override it. A later file's [dlp.rules.NAME] layers over NAME key by key (detectors,
// patterns, dictionary: each list replaced whole), so `enabled = true` alone turns a
// shipped rule on. Errors at file:line:column. Plain data afterwards.
#pragma once

#include <array>
#include <chrono>
#include <map>
#include <string>
#include <vector>

#include "core/action.hpp"
#include "core/symbols.hpp"
#include "dlp/detectors.hpp"
#include "policy/error.hpp"
#include "policy/policy.hpp"

namespace postern::policy {
class TomlSection;
}

namespace postern::dlp {

inline constexpr size_t kMaxRules = 200;
inline constexpr size_t kMaxPatterns = 50;      // per rule
inline constexpr size_t kMaxDictionary = 5000;  // words per rule
inline constexpr size_t kMaxPatternBytes = 2000;

struct DlpRule {
  std::string name, symbol, description, message;
  std::vector<Detector> detectors;
  std::vector<std::string> patterns, dictionary;
  size_t min_count = 1;
  Tier min_confidence = Tier::medium;
  policy::Directions directions{false, true};
  std::string action = "log";  // block, quarantine, tag, log, encrypt, require_tls, notify
  bool notify = false;         // the `notify` key
  bool notifies() const { return notify || action == "notify"; }  // the sender is told
  double score = 0;
  bool enabled = true;
  policy::Error at{};
};

struct DlpPolicy {
  size_t window = 50;
  size_t max_bytes = 8u << 20;
  size_t max_matches = 1000;
  bool attachments = true;                                          // read the text of attachments
  std::string pdf_reader = "/usr/libexec/postern/postern-pdftext";  // "" reads no PDF
  std::chrono::milliseconds pdf_timeout{5000};
  std::chrono::milliseconds pdf_total{10000};
  unsigned pdf_readers = 2;
  std::array<std::vector<std::string>, kDetectors> keywords{};
  std::map<std::string, DlpRule, std::less<>> rules;  // by name, the disabled ones too
  std::string notify_from = "postmaster";
  std::vector<std::string> notify_command{"/usr/sbin/sendmail", "-G", "-i"};
  bool any_enabled() const {
    for (const auto& [n, r] : rules)
      if (r.enabled) return true;
    return false;
  }
};

void read_dlp(policy::TomlSection& s, policy::Policy& p);
void dlp_defined(const policy::Policy& p, std::vector<core::DefinedSymbol>& out);

}  // namespace postern::dlp
