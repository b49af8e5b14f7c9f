// Quarantine operations shared by the CLI (`postern quarantine`) and the web page
// (postern-quarantined): the safe rendering of a stored message, the release
// through the MTA, the delete, and their audit line.
//
// Contract: `printable(s)` is text a message wrote with every control character
// (C0 but tab and newline, DEL, the C1 range in UTF-8) as '?'. `render(raw)` parses
// the message (lib/mime) and returns its header fields (printable, unfolded), the
// visible text of its text parts (HTML through lib/html: never the raw HTML; CRLF read
// as LF; at most kMaxRenderedText bytes, `cut` when more) and its attachments named, never
// their content. `release(...)` re-injects the stored message through
// [quarantine] sendmail (-f SENDER -- RCPTS, the entry's recipients or `to`) with a
// signed X-Postern-Release field on top, then marks the entry released (by
// `actor`) and writes the audit line; `remove(...)` deletes the entry and writes
// the audit line. The audit line (JSON, event.action quarantine-release or
// quarantine-delete, user.name the actor) goes to syslog (mail) and to
// `event_log` when it is a file. Failures are an OpError: a code (1 store or
// usage, 2 no such entry, 3 the sendmail command failed: the entry is not marked)
// and one line. Both run [quarantine] sendmail through core::run_with_input, bounded by
// kSendmailDeadline. Thread-safe as the store is.
#pragma once

#include <chrono>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/expected.hpp"
#include "quarantine/store.hpp"

namespace postern::quarantine {

struct QuarantineConfig;

inline constexpr size_t kMaxRenderedText = 64 * 1024;

struct Rendering {
  std::vector<std::pair<std::string, std::string>> headers;  // name, value (printable)
  std::string text;                                          // visible text (printable)
  bool cut = false;                                          // text cut at kMaxRenderedText
  struct Attachment {
    std::string filename, content_type;  // printable
    size_t size = 0;
  };
  std::vector<Attachment> attachments;
};

struct OpError {
  int code = 1;  // 1 store or usage, 2 no such entry, 3 sendmail failed
  std::string message;
};

std::string printable(std::string_view s);
Rendering render(std::string_view raw);

// The entry `id`, or OpError 2 when there is none.
postern::expected<Entry, OpError> find_entry(const Store& store, std::string_view id);

// Releases `e` to `to` (its own recipients when empty); the recipients it went to.
postern::expected<std::vector<std::string>, OpError> release(
    const Store& store, const QuarantineConfig& q, const Entry& e,
    const std::vector<std::string>& to, const std::string& actor, const std::string& event_log);
postern::expected<void, OpError> remove(const Store& store, const Entry& e,
                                        const std::string& actor, const std::string& event_log);

// How long [quarantine] sendmail may take with one message (a release or a digest,
// through core::run_with_input) before it is killed and the action fails.
inline constexpr std::chrono::seconds kSendmailDeadline{60};

// The ISO 8601 UTC form of Unix seconds ("2026-12-04T10:00:00Z").
std::string iso_time(int64_t t);

}  // namespace postern::quarantine
