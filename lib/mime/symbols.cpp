// The finding symbols of lib/mime.
#include "mime/symbols.hpp"

#include <array>

namespace postern::mime {
namespace {

using core::Scope;
constexpr std::array kSymbols{
    core::SymbolInfo{
        "MIME_BASE64_BOUNDARY_LINE", 3.0, Scope::Transaction,
        "a line starting with -- inside base64 data (a boundary a gateway might miss)"},
    core::SymbolInfo{"MIME_DEPTH_LIMIT", 3.0, Scope::Transaction,
                     "MIME nesting deeper than limits.mime_depth: the rest is one opaque part"},
    core::SymbolInfo{"MIME_PARTS_LIMIT", 3.0, Scope::Transaction,
                     "more parts than limits.mime_parts: the rest is one opaque part"},
    core::SymbolInfo{"MIME_EPILOGUE_CONTENT", 0.5, Scope::Transaction,
                     "content after the close delimiter"},
    core::SymbolInfo{"MIME_DUPLICATE_CONTENT_TYPE", 2.0, Scope::Transaction,
                     "two Content-Type fields in one part"},
    core::SymbolInfo{"MIME_DUPLICATE_TRANSFER_ENCODING", 2.0, Scope::Transaction,
                     "two Content-Transfer-Encoding fields in one part"},
    core::SymbolInfo{"MIME_MULTIPART_ENCODED", 2.0, Scope::Transaction,
                     "a transfer encoding declared on a multipart"},
    core::SymbolInfo{"MIME_BASE64_DATA_AFTER_PADDING", 2.0, Scope::Transaction,
                     "base64 data after the padding"},
    core::SymbolInfo{"MIME_FILENAME_MISMATCH", 2.0, Scope::Transaction,
                     "filename and name parameters disagree"},
    core::SymbolInfo{"MIME_HEADER_LIMIT", 2.0, Scope::Transaction,
                     "a part header block over limits.mime_header_bytes"},
    core::SymbolInfo{"MIME_BOUNDARY_NOT_FOUND", 1.0, Scope::Transaction,
                     "a multipart whose boundary never occurs"},
    core::SymbolInfo{"MIME_UNTERMINATED_MULTIPART", 1.0, Scope::Transaction,
                     "a multipart without its close delimiter"},
    core::SymbolInfo{"MIME_CONTENT_TYPE_NO_SUBTYPE", 1.0, Scope::Transaction,
                     "a Content-Type without subtype"},
    core::SymbolInfo{"MIME_BASE64_INVALID_CHARS", 1.0, Scope::Transaction,
                     "base64 characters outside the alphabet"},
    core::SymbolInfo{"MIME_DECODED_LIMIT", 1.0, Scope::Transaction,
                     "decoded content over limits.mime_part_decoded or mime_total_decoded"},
    core::SymbolInfo{"MIME_UNKNOWN_TRANSFER_ENCODING", 1.0, Scope::Transaction,
                     "an unknown transfer encoding, read as 7bit"},
    core::SymbolInfo{"MIME_DUPLICATE_PARAMETER", 1.0, Scope::Transaction,
                     "a MIME parameter given twice"},
    core::SymbolInfo{"MIME_MESSAGE_ENCODED", 1.0, Scope::Transaction,
                     "message/rfc822 with base64 or quoted-printable"},
    core::SymbolInfo{"MIME_UUENCODE_UNTERMINATED", 1.0, Scope::Transaction,
                     "a uuencoded block without its end line"},
    core::SymbolInfo{"MIME_UUENCODE_INVALID_CHARS", 1.0, Scope::Transaction,
                     "a uuencoded block with characters outside its alphabet"},
    core::SymbolInfo{"MIME_MULTIPART_NO_BOUNDARY", 1.0, Scope::Transaction,
                     "a multipart without a boundary parameter"},
    core::SymbolInfo{"MIME_CONTENT_TYPE_SYNTAX", 1.0, Scope::Transaction,
                     "Content-Type parameters without \";\""},
    core::SymbolInfo{"MIME_BASE64_NO_PADDING", 0.5, Scope::Transaction, "base64 without padding"},
    core::SymbolInfo{"MIME_QP_INVALID", 0.5, Scope::Transaction,
                     "an invalid quoted-printable escape"},
    core::SymbolInfo{"MIME_UNKNOWN_CHARSET", 0.5, Scope::Transaction,
                     "an unknown charset, read as Latin-1 after a UTF-8 attempt"},
    core::SymbolInfo{"MIME_ENCODED_WORD_IN_PARAMETER", 0.5, Scope::Transaction,
                     "an RFC 2047 encoded-word inside a quoted parameter"},
    core::SymbolInfo{"MIME_CONTENT_TYPE_INVALID", 0.5, Scope::Transaction,
                     "an empty or invalid Content-Type"},
    core::SymbolInfo{"MIME_MISSING_HEADER_SEPARATOR", 0.5, Scope::Transaction,
                     "a part header block not ended by a blank line"},
    core::SymbolInfo{"MIME_CHARSET_INVALID_BYTES", 0.3, Scope::Transaction,
                     "bytes invalid in the declared charset"},
    core::SymbolInfo{"HTML_PASSWORD_FORM", 3.0, Scope::Transaction,
                     "an HTML form asking for a password"},
    core::SymbolInfo{"HTML_INVISIBLE_COLOR", 0.5, Scope::Transaction,
                     "HTML text coloured as its background, or transparent"},
    core::SymbolInfo{"HTML_HIDDEN_TEXT", 0.3, Scope::Transaction, "HTML text in hidden elements"},
    core::SymbolInfo{"HTML_TINY_FONT", 0.3, Scope::Transaction,
                     "HTML text at a font size of 0-2 px"},
    core::SymbolInfo{"HTML_LIMIT", 0.0, Scope::Transaction,
                     "an HTML part cut at a bound (input, text, links, nesting)"},
};

}  // namespace

std::span<const core::SymbolInfo> symbols() {
  return kSymbols;
}

}  // namespace postern::mime
