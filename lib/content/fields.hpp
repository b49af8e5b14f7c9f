// Fields: the message as content rules, heuristics and the classifier read it,
// one value list per field, built once per message and shared by every stage.
//
// Contract: `fields(tx)` needs the message and the MIME analysis on the
// transaction (the mime stage puts it there; without it the body fields are
// empty), and the url stage's list when the pipeline has one (a stage that
// reads the fields needs "url.list"). The first call builds the Fields and keeps them on the
// transaction (Transaction::put); later calls return the same object. Every value is a view into
// what the transaction keeps alive (the message, the analysis, the decoded headers), valid as long
// as the transaction. Field names are the ones policy rules use:
//   subject        every Subject field, RFC 2047-decoded
//   from.display   the display name of every From mailbox (the RFC reading)
//   from.address   every From address (local@domain, domain lower case), then
//                  "@domain" for each author domain only another reading sees
//                  (a From hidden behind a bare CR, a second angle address):
//                  a rule on the sender's domain sees every domain a reader might
//   reply_to       every Reply-To address
//   body.text      the visible text of each body part: text/plain and text/html
//                  leaves that are not attachments (no filename, not
//                  Content-Disposition: attachment); HTML as a reader sees it
//   body.html      the decoded HTML source of each such text/html part
//   url            every web URL the url stage read (url::UrlList: HTML, text,
//                  defanged text, Subject and attachment links, each once,
//                  normalized, wrappers such as Safe Links removed, relative links
//                  resolved against a <base href>); without a url stage in the
//                  pipeline, every link the analysis found, as written
//   url.host       the host of each url (ASCII: punycode, lower case, no userinfo
//                  or port; IPv6 in brackets)
//   attachment.name  the file name of every leaf that has one
//   attachment.type  the declared content type of every attachment leaf
//   raw            the whole message as received
// `header:NAME` is read from the message by the caller (decoded per field).
// Body values carry their part path (for explanations). Bounded by the
// analysis' own bounds; linear in them. Never throws on hostile input.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/transaction.hpp"

namespace postern::content {

struct Value {
  std::string_view text;
  std::string_view part;  // part path ("1.2"), "" for header fields and raw
};

struct Fields {
  std::vector<Value> subject, from_display, from_address, reply_to;
  std::vector<Value> body_text, body_html;
  std::vector<Value> url, url_host;
  std::vector<Value> attachment_name, attachment_type;
  Value raw;

  // The values of a field by its policy name ("subject", "body.text", ...);
  // nullptr for an unknown name (and for "raw": use `raw`).
  const std::vector<Value>* by_name(std::string_view name) const;
  // Every field name by_name knows, then "raw".
  static const std::vector<std::string_view>& names();
};

const Fields& fields(core::Transaction& tx);

// The host of a URL as a browser would go to: after the scheme's "//" (or the
// whole start for a scheme-less "www." link), userinfo (up to the last '@' of
// the authority) and port removed, lower case, no final dot, IPv6 brackets
// kept. "" when the URL has no host (mailto:, data:, cid:, a relative link).
std::string url_host(std::string_view url);

}  // namespace postern::content
