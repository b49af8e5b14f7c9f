// The end-user digest: the mail `postern quarantine digest` sends each recipient of
// inbound quarantined mail, with a signed link (quarantine/web_auth.hpp, digest
// tokens) per held message to the web page (postern-quarantined, /u/TOKEN), where the
// recipient can release or delete that message.
//
// Contract: `held_by_recipient(entries, since)`: the inbound entries quarantined at or
// after `since` and not released, grouped by each listed recipient (lower-cased,
// sorted), newest first (outbound mail is never announced to its outside recipients).
// `digest_message(key, settings, rcpt, held, now)` is the whole mail (LF line ends, for
// the MTA's local submission): From `settings.from`, To the recipient, Auto-Submitted,
// a text/plain UTF-8 body listing each message (time, sender, subject: printable, cut)
// and its link `url/u/TOKEN` valid for `link_seconds`, at most kMaxDigestEntries
// messages (the rest counted). No value from a message goes into a header. Pure.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "quarantine/store.hpp"

namespace postern::tools {

inline constexpr size_t kMaxDigestEntries = 100;

std::map<std::string, std::vector<quarantine::Entry>> held_by_recipient(
    const std::vector<quarantine::Entry>& entries, int64_t since);

struct DigestSettings {
  std::string url;   // the web page as recipients reach it, e.g. https://quarantine.example.com
  std::string from;  // the digest's sender address
  int64_t link_seconds = 7 * 86400;
};

std::string digest_message(std::string_view key, const DigestSettings& s, std::string_view rcpt,
                           const std::vector<quarantine::Entry>& held, int64_t now);

}  // namespace postern::tools
