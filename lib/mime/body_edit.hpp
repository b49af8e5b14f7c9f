// Body edits: what the steps that rewrite a message's text parts (the banner in
// lib/content, link rewriting in lib/url) share: which parts they may touch, a
// part's content when its transfer encoding is intact, and the new body from
// mime::splice.
//
// Contract: pure functions over a parsed Tree, thread-safe. `refused_whole`
// names why no part of the message may be edited (signed or encrypted anywhere:
// multipart/signed, multipart/encrypted, S/MIME application/pkcs7-mime, PGP;
// a part beyond a MIME limit), nullopt when parts may be. `body_part` is a leaf
// of `type` that a reader sees as the message's text: not an attachment, not
// inside an attached message, not uuencoded or opaque. `editable_content`
// returns the decoded content of such a part, or why it must stay as it is (no
// blank line ends its header block, so text put at its start would read as
// header fields; its charset is not ASCII-based (ascii_compatible, `anywhere`); its transfer
// encoding is damaged, so re-encoding would change what it says; it holds inline PGP).
// `spliced_body` splices the replacements and returns everything after the
// header block, or an error when splicing would have had to change the header
// block (a transfer encoding that no longer fits): the body alone cannot say so.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "core/expected.hpp"
#include "core/message.hpp"
#include "mime/splice.hpp"
#include "mime/tree.hpp"

namespace postern::mime {

std::optional<std::string> refused_whole(const Tree& tree);

bool body_part(const Tree& tree, const Part& p, std::string_view type);

// Charsets in which ASCII bytes mean ASCII characters ("" is us-ascii): at the
// start of the text (ISO-2022-JP starts in ASCII), or `anywhere` in it (not the
// ISO-2022 family, whose escapes make ASCII bytes mean other characters).
bool ascii_compatible(std::string_view charset, bool anywhere);

postern::expected<std::string, std::string> editable_content(const Tree& tree, const Part& p,
                                                             bool anywhere);

postern::expected<std::string, std::string> spliced_body(const core::Message& m, const Tree& tree,
                                                         std::span<const Replacement> reps);

// The same, but a single-part message whose part no longer fits its transfer
// encoding (8-bit bytes in 7bit, a line over 998 bytes) is allowed to change the
// one field that says so: `transfer_encoding` is then the new value of
// Content-Transfer-Encoding (to change, or to add when the message has none),
// and nothing else of the header block differs. A message with more than one
// such field is refused (readers disagree on which one counts).
struct SplicedBody {
  std::string body;
  std::optional<std::string> transfer_encoding;
};
postern::expected<SplicedBody, std::string> spliced_body_or_encoding(
    const core::Message& m, const Tree& tree, std::span<const Replacement> reps);

}  // namespace postern::mime
