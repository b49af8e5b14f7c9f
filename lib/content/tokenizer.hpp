// Tokenizer: the message as the classifier reads it, a bounded list of tokens.
//
// Contract: `tokenize(tx)` reads content::fields(tx) (so the mime stage must
// have run for the body; without it only header tokens come out) and a short
// allowlist of header fields; it never reads any other header, so Received,
// Authentication-Results, List-* and X-Spam-* (attacker-controlled, and list
// artifacts) are never features. Token kinds, each with a prefix:
//   s:WORD      subject words and adjacent pairs "s:a_b", after list tags
//               ("[Usrp-users] ", "Re: [x]") are cut
//   WORD        visible body words (lower case; digit runs become "N<len>"; no
//               pairs, unlike the subject's "s:a_b"); mailing-list footers (a line of at
//               least 20 '_' and up to 6 lines after it, quoted or not) are cut,
//               and so are the link hosts only they name; CJK text gives
//               character bigrams
//   n:WORD      From display-name words ("X via List" munging cut at " via ")
//   fd:DOMAIN   registrable domain of the From address; rd: of Reply-To;
//               rt:differs when they differ. A list-munged From ("X via List")
//               gives no fd: (the list's own address) and takes Reply-To as From.
//   h:HOST d:DOMAIN tld:TLD  per link host; urls:N  the number of links (bucketed);
//               the links are the `url` field: the url stage's web URLs
//   la:all|some|none  how many link domains are the From domain
//   up:WORD     letter runs of link paths and queries (the first 40 links, 200 bytes
//               each); links to hosts only a list footer names are left out
//   cs:CHARSET cte:ENCODING  per text part, as declared ("none" when not)
//   img:N       the number of HTML images (bucketed); len:0..4  visible text size
//   mid:aligned|other|nodomain|none  the Message-ID's domain against the From domain
//   ct:TYPE     the top Content-Type; at:TYPE each attachment type;
//   mime:html_only, mime:password_form, mime:hidden_text, mime:tiny_font
//   xm:FAMILY   the first word of X-Mailer / User-Agent
//   f:SYMBOL    each finding of the MIME engine and the header checks (HTML_*, MIME_*,
//               HEADER_*, lower case): the stages before the classifier in the milter,
//               run by tokenize_message too
//   ftld:TLD    the From domain's top-level domain; fl:WORD  letter runs of its local part
//   nd:yes|no|none  whether the display name names the From domain's first label
//   ht:TAG      the distinct HTML tag names (the first 64 KB of each HTML part, 64 names)
//   ss:SHAPE ns:SHAPE  subject and display-name shape: emoji, caps (mostly capitals),
//               nonascii (letters outside ASCII)
// Bounds: at most `max_tokens` tokens (the rest dropped), each at most
// `max_token_bytes` bytes (longer words become "L:<prefix>"), at most
// `max_text_bytes` of body text read per message. Linear in the input; pure
// apart from fields(tx) caching on the transaction; never throws on hostile bytes.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "core/transaction.hpp"

namespace postern::content {

struct TokenLimits {
  size_t max_tokens = 4000;
  size_t max_token_bytes = 32;
  size_t max_text_bytes = 256 * 1024;
};

std::vector<std::string> tokenize(core::Transaction& tx, const TokenLimits& limits = {});

// The tokens of a message file's bytes, read as the milter would (the message
// as the MTA hands it over, default limits but no CPU budget, so the tokens
// never depend on the machine's load; the mime stage's analysis, the header
// checks and the url stage's list without feeds): for
// `postern train`, `postern learn` and tests.
std::vector<std::string> tokenize_message(std::string_view raw, const TokenLimits& limits = {});

// Whether `symbol` is one the tokenizer reads as an f: token (HTML_*, MIME_*, HEADER_*).
bool is_structure_symbol(std::string_view symbol);

// Subject with leading list tags and reply prefixes ("Re: [list] ") removed.
std::string_view strip_subject_tags(std::string_view subject);
// The text without mailing-list footers: each line of at least 20 '_' (quoted
// with '>' or not) and the lines after it up to a blank line, at most 6. The
// lines cut are appended to `removed` when given.
std::string strip_list_footers(std::string_view text, std::string* removed = nullptr);
// The registrable domain, approximated without the public suffix list: the last
// two labels, three when the second-to-last is a short second-level label under
// a two-letter country code ("example.co.uk"). "" for an IP literal.
std::string registrable_domain(std::string_view host);

}  // namespace postern::content
