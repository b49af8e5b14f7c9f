// Link rewriting: every http(s) link of a message's text becomes a link to the
// click service, https://<click host>/v1/<token> (url/token.hpp), which checks
// the destination again when someone clicks.
//
// Contract: `rewrite_links(message, keys, base, settings)` returns the message's
// new body (everything after the header block) and what was done, or why the
// message stays as it is; it never throws on hostile input and never changes
// the header block. Rewritten: in each text/html body part (mime/body_edit.hpp:
// not attachments, not inside attached messages) the value of every href of <a>
// and <area>, action of <form> and formaction of <button> and <input> (every one
// of a repeated attribute: readers disagree on which one counts), and, with
// `settings.text_plain`, each http(s) URL in text/plain body parts. Only the
// attribute values change: every other byte of the HTML stays as it was (anchor
// text, markup, comments, scripts and styles are skipped as lib/html reads them:
// html::attribute_spans, the tokenizer and tree model of html::extract, so the
// links rewritten are the links the checks read, also in foreign content where
// an <svg> <style> holds markup). A link is rewritten when its value, read as a browser reads it
// (character references decoded, tabs and line breaks dropped, surrounding
// spaces trimmed), starts with http:, https: or // (then kept as https:), or is
// relative in a part whose first <base href> is an http(s) URL (the absolute URL it
// resolves to, url::resolve, is what the token holds); it is
// left as it is when its host is one of `internal_domains` (or under one), when
// it is one of `keep` (List-Unsubscribe URLs), when it is longer than
// url::kMaxUrl (`kept` says so), or past `max_links` per message. Refused as a
// whole: a message signed or encrypted anywhere, with a part beyond a MIME
// limit, or with no link to rewrite. A part is skipped when body_edit says so
// (no blank line after its header block, a charset that is not ASCII-based
// throughout, a damaged transfer encoding, inline PGP). The parts are re-spliced
// (mime/splice.hpp): same charset, same transfer encoding (quoted-printable and
// base64 at <= 76 columns), same boundaries; only a single-part 7bit or 8bit
// message that the links no longer let fit (a line over 998 bytes, 8-bit bytes
// under 7bit) becomes quoted-printable, with `transfer_encoding` saying so (else
// a long line would be a way around the rewriting). Thread-safe (pure).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/expected.hpp"
#include "core/message.hpp"
#include "mime/tree.hpp"
#include "url/token.hpp"

namespace postern::url {

// One link in a text: the bytes [begin, end) to replace, and the URL they mean.
struct LinkSpan {
  size_t begin = 0, end = 0;
  std::string value;  // decoded attribute value (HTML) or the text as written
  std::string where;  // "a@href", "form@action", "text", ...
};

// Every link-carrying attribute of the tags above, in document order, whatever its scheme,
// and the href of every <base> (where "base@href": read, never rewritten).
std::vector<LinkSpan> html_link_spans(std::string_view html, size_t max = 10000);
// Every http:// and https:// URL in plain text (closing punctuation left out).
std::vector<LinkSpan> text_link_spans(std::string_view text, size_t max = 10000);

// The URL a browser goes to for a link value when it is http(s): tabs and line breaks
// removed, C0 controls and spaces trimmed, "//host" as "https://host"; nullopt otherwise.
std::optional<std::string> web_target(std::string_view value);

// The host of an http(s) URL as a browser reads it: url::parse_one's host (after the last
// '@', '\' as '/', percent escapes and IDNA applied, punycode, no trailing dot); "" when no
// browser would read it.
std::string host_of(std::string_view url);

// True when `host` is one of `domains` or under one.
bool under_domains(std::string_view host, const std::vector<std::string>& domains);

// The http(s) URLs of the message's List-Unsubscribe fields.
std::vector<std::string> list_unsubscribe_urls(const core::Message& m);

std::string click_url(std::string_view host, std::string_view token);

struct RewriteSettings {
  std::string host;                           // the click host
  bool text_plain = false;                    // rewrite URLs in text/plain too
  std::vector<std::string> internal_domains;  // lower case
  std::vector<std::string> keep;              // URLs left alone (List-Unsubscribe)
  size_t max_links = 1000;                    // rewritten per message
};

struct Rewritten {
  std::string body;
  // A single-part message re-encoded (its part no longer fits 7bit or 8bit): the new
  // Content-Transfer-Encoding value (mime/body_edit.hpp); the body is in it.
  std::optional<std::string> transfer_encoding;
  size_t links = 0;               // rewritten
  std::vector<std::string> kept;  // "why: URL" for links left alone that a reader may wonder about
  std::vector<std::string> skipped_parts;
};

// `base`: the token fields every link shares (issue time, policy version, scan id,
// recipient hash); each link's URL is filled in.
postern::expected<Rewritten, std::string> rewrite_links(const core::Message& m, const KeyRing& keys,
                                                        const Token& base,
                                                        const RewriteSettings& settings,
                                                        const mime::Limits& limits = {});

}  // namespace postern::url
