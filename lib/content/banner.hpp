// Banner: a warning line (say "This message came from outside the organization")
// prepended to the first text/plain and the first text/html body part.
//
// Contract: `add_banner(message, text, limits)` returns the message's new body
// (everything after the header block, as it will leave) or why no banner was
// added (empty when every part already starts with it: nothing to log); it never throws on hostile
// input and never changes the header block. The parts are re-spliced over their byte spans
// (mime/splice.hpp): every other byte, the boundaries and the other parts stay as they were; a
// bannered part keeps its charset and its transfer encoding (quoted-printable and base64 are
// re-encoded with lines of at most 76 columns). Plain text gets the line, a
// blank line, then the original text; HTML gets an escaped <div> right after
// the <body> tag (or at the start without one), every non-ASCII character as a
// character reference. Refused as a whole: a message that is signed or
// encrypted anywhere (multipart/signed, multipart/encrypted, S/MIME
// application/pkcs7-mime, PGP) because the banner would break the signature,
// and a message with a part beyond a MIME limit. A part is skipped (the others
// still get the banner) when it is an attachment or inside an attached message,
// no blank line ends its header block (the banner would read as a header field),
// its transfer encoding is damaged (re-encoding would change what it says), it
// holds inline PGP, it already starts with the banner, or its charset cannot
// carry the line: plain text takes an ASCII line in any ASCII-compatible charset
// and a non-ASCII line only in UTF-8; HTML takes any line in an ASCII-compatible
// charset; a part whose transfer encoding would have to change (a UTF-8 line in
// a 7bit part) is skipped too, because the body alone cannot say so.
//
// BannerModifier applies the policy's [banner] (direction, min_action) as a
// core::Modifier; it does nothing for a message buffered only in part (the
// session does not run modifiers on one) nor for one that used up its CPU
// budget in the content stages (LIMIT_SCAN_TIME: parsing it again is what a
// hostile message wants). Immutable, shared by threads.
#pragma once

#include <string>
#include <string_view>

#include "core/expected.hpp"
#include "core/message.hpp"
#include "core/modifier.hpp"
#include "mime/tree.hpp"
#include "policy/policy.hpp"

namespace postern::content {

// The new body, or why the banner was not added (for the log).
postern::expected<std::string, std::string> add_banner(const core::Message& m,
                                                       std::string_view text,
                                                       const mime::Limits& limits = {});

// The HTML the banner line becomes (escaped; ASCII only).
std::string banner_html(std::string_view text);

class BannerModifier final : public core::Modifier {
 public:
  explicit BannerModifier(policy::BannerPolicy p) : p_(std::move(p)) {}
  std::string_view name() const override { return "banner"; }
  // Only when the banner applies to this message's direction and verdict.
  bool needs_message(const core::Transaction& tx, const core::Outcome& out) const override;
  void modify(const core::Transaction& tx, const core::Message& current,
              core::Outcome& out) const override;

 private:
  policy::BannerPolicy p_;
};

}  // namespace postern::content
