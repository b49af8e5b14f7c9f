// The end-user digest mail (see quarantine_digest.hpp).
#include "tools/quarantine_digest.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "quarantine/operations.hpp"
#include "quarantine/web_auth.hpp"

namespace postern::tools {
namespace {

using quarantine::Entry;
constexpr size_t kMaxDigestSubject = 120;

std::string lower_ascii(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c | 0x20);
  return out;
}

// One line of printable text: controls, line breaks and tabs as '?'.
std::string one_line(std::string_view s) {
  std::string out = quarantine::printable(s);
  std::replace(out.begin(), out.end(), '\n', '?');
  std::replace(out.begin(), out.end(), '\t', '?');
  return out;
}

// At most `n` bytes of `s`, not cutting a UTF-8 sequence, with "..." when cut.
std::string cut_utf8(std::string_view s, size_t n) {
  if (s.size() <= n) return std::string(s);
  size_t end = n;
  while (end > 0 && (static_cast<unsigned char>(s[end]) & 0xC0) == 0x80) --end;
  return std::string(s.substr(0, end)) + "...";
}

}  // namespace

std::map<std::string, std::vector<Entry>> held_by_recipient(const std::vector<Entry>& entries,
                                                            int64_t since) {
  std::map<std::string, std::vector<Entry>> out;
  for (const auto& e : entries) {
    if (e.direction != "inbound" || e.released_at || e.time < since) continue;
    for (const auto& r : e.recipients) out[lower_ascii(r)].push_back(e);
  }
  for (auto& [rcpt, list] : out)
    std::stable_sort(list.begin(), list.end(),
                     [](const Entry& a, const Entry& b) { return a.time > b.time; });
  return out;
}

std::string digest_message(std::string_view key, const DigestSettings& s, std::string_view rcpt,
                           const std::vector<Entry>& held, int64_t now) {
  const std::string to = lower_ascii(rcpt);
  std::string body = fmt::format(
      "{} message{} addressed to you {} held in quarantine because they looked\n"
      "unsafe or unwanted. Open a message's link to see it and release it to your\n"
      "mailbox, or delete it. The links work until {} and only for {}.\n"
      "Messages you do nothing about are deleted when their retention ends.\n\n",
      held.size(), held.size() == 1 ? "" : "s", held.size() == 1 ? "is" : "are",
      quarantine::iso_time(now + s.link_seconds), to);
  size_t shown = 0;
  for (const auto& e : held) {
    if (shown == kMaxDigestEntries) {
      body += fmt::format("... and {} more.\n", held.size() - shown);
      break;
    }
    ++shown;
    const std::string token = quarantine::digest_token(key, {e.id, to, now + s.link_seconds});
    body += fmt::format(
        "{}  from {}\n  Subject: {}\n  {}/u/{}\n\n", quarantine::iso_time(e.time),
        cut_utf8(one_line(e.sender.empty() ? "<>" : e.sender), 200),
        cut_utf8(one_line(e.subject.empty() ? "(no subject)" : e.subject), kMaxDigestSubject),
        s.url, token);
  }
  std::string msg = fmt::format(
      "From: {}\nTo: {}\nSubject: Quarantine: {} message{} held for you\n"
      "Auto-Submitted: auto-generated\nMIME-Version: 1.0\n"
      "Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: 8bit\n\n",
      s.from, to, held.size(), held.size() == 1 ? "" : "s");
  for (char c : body)
    if (c != '\t' && c != '\n' && static_cast<unsigned char>(c) < 0x20)
      msg.push_back('?');
    else
      msg.push_back(c);
  return msg;
}

}  // namespace postern::tools
