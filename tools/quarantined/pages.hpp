// The HTML pages of postern-quarantined: login, list, show, the result of an action,
// and errors; and the style sheet they link.
//
// Contract: every value from a message, the index or the request is HTML-escaped
// (html::escape) as element text or a quoted attribute value; a page has no
// script and no inline style (the server's Content-Security-Policy allows
// neither), only /style.css. Each action is a POST form carrying the session's CSRF
// token. Pure functions, thread-safe.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "quarantine/operations.hpp"
#include "quarantine/store.hpp"

namespace postern::tools::qweb {

inline constexpr size_t kPageSize = 50;

struct ListView {
  std::string user, csrf;
  std::string query{};  // the search as asked
  std::string field{};
  size_t page = 1;               // 1-based
  bool more = false;             // a next page exists
  size_t scanned_limit_hit = 0;  // > 0: only the newest N entries were searched
  std::vector<quarantine::Entry> entries{};
};

struct ShowView {
  std::string user, csrf;
  quarantine::Entry entry;
  quarantine::Rendering rendering{};
  std::string read_error{};  // the message file could not be read
};

// A recipient's own held message, opened from a digest link (/u/TOKEN).
struct RecipientView {
  std::string token, csrf, rcpt;
  quarantine::Entry entry{};
  quarantine::Rendering rendering{};
  bool can_delete = false;  // the message has no other recipient
};

std::string_view style_sheet();
std::string recipient_page(const RecipientView& v);
std::string login_page(std::string_view error, std::string_view user);
std::string list_page(const ListView& v);
std::string show_page(const ShowView& v);
// After a release or delete, or an error: a heading, a line, and a link onward.
std::string message_page(std::string_view user, std::string_view csrf, std::string_view title,
                         std::string_view line, std::string_view link, std::string_view link_text);

}  // namespace postern::tools::qweb
