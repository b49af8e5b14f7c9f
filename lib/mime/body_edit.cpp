// Body edits: see body_edit.hpp.
#include "mime/body_edit.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>

namespace postern::mime {
namespace {

// Types whose signature or encryption an edit would break.
bool signed_or_encrypted(const Part& p) {
  static constexpr std::array<std::string_view, 5> kTypes{
      "multipart/signed", "multipart/encrypted", "application/pkcs7-mime",
      "application/x-pkcs7-mime", "application/pgp-encrypted"};
  for (auto t : kTypes)
    if (p.content_type == t) return true;
  return false;
}

bool inside_attached_message(const Tree& t, const Part& p) {
  for (int i = p.parent; i >= 0; i = t.parts()[static_cast<size_t>(i)].parent)
    if (t.parts()[static_cast<size_t>(i)].message) return true;
  return false;
}

// A blank line ends the part's header block: without one, text put at the start of the
// body would read as header fields (or a continuation) to the next parser.
bool blank_line_after_header(const Tree& t, const Part& p) {
  std::string_view block = t.raw().substr(p.header_begin, p.header_end - p.header_begin);
  return block == "\n" || block == "\r\n" || block.ends_with("\n\n") || block.ends_with("\r\n\r\n");
}

}  // namespace

std::optional<std::string> refused_whole(const Tree& tree) {
  for (const auto& p : tree.parts()) {
    if (signed_or_encrypted(p)) return "signed or encrypted (" + p.content_type + ")";
    if (p.opaque) return std::string("a part beyond a MIME limit");
  }
  return std::nullopt;
}

bool body_part(const Tree& t, const Part& p, std::string_view type) {
  return p.content_type == type && p.is_leaf() && !p.uuencoded && !p.opaque &&
         p.disposition != "attachment" && p.filename.empty() && !inside_attached_message(t, p);
}

bool ascii_compatible(std::string_view cs, bool anywhere) {
  static constexpr std::array<std::string_view, 13> kNames{
      "",       "us-ascii", "ascii",   "utf-8", "utf8",   "koi8-r", "koi8-u",
      "gb2312", "gbk",      "gb18030", "big5",  "euc-jp", "euc-kr"};
  for (auto n : kNames)
    if (cs == n) return true;
  if (!anywhere && cs == "iso-2022-jp") return true;
  for (std::string_view prefix : {"iso-8859-", "windows-125", "cp125"})
    if (cs.starts_with(prefix) && cs.size() > prefix.size()) return true;
  return false;
}

postern::expected<std::string, std::string> editable_content(const Tree& tree, const Part& p,
                                                             bool anywhere) {
  if (!blank_line_after_header(tree, p))
    return postern::unexpected(std::string("no blank line ends its header block"));
  if (!ascii_compatible(p.charset, anywhere))
    return postern::unexpected("charset " + p.charset + " is not ASCII-based");
  DecodeStats st;
  std::string content = tree.decode(p, st);
  if (st.invalid_chars || st.missing_padding || st.data_after_padding || st.invalid_escapes ||
      st.truncated)
    return postern::unexpected(std::string("its transfer encoding is damaged"));
  if (content.find("-----BEGIN PGP ") != std::string::npos)
    return postern::unexpected(std::string("inline PGP"));
  return content;
}

postern::expected<std::string, std::string> spliced_body(const core::Message& m, const Tree& tree,
                                                         std::span<const Replacement> reps) {
  auto spliced = splice(tree, reps);
  if (!spliced) return postern::unexpected(spliced.error());
  size_t header = m.body_offset();
  if (spliced->size() < header || spliced->compare(0, header, m.raw(), 0, header) != 0)
    return postern::unexpected(std::string(
        "the part's transfer encoding would have to change (the header block cannot be edited "
        "with the body)"));
  return spliced->substr(header);
}

postern::expected<SplicedBody, std::string> spliced_body_or_encoding(
    const core::Message& m, const Tree& tree, std::span<const Replacement> reps) {
  auto spliced = splice(tree, reps);
  if (!spliced) return postern::unexpected(spliced.error());
  size_t header = m.body_offset();
  if (spliced->size() >= header && spliced->compare(0, header, m.raw(), 0, header) == 0)
    return SplicedBody{spliced->substr(header), std::nullopt};
  constexpr std::string_view kCte = "Content-Transfer-Encoding";
  if (m.count(kCte) > 1)
    return postern::unexpected(std::string("more than one Content-Transfer-Encoding field"));
  core::Message after(std::move(*spliced));
  // Every field but Content-Transfer-Encoding, as written.
  auto others = [&](const core::Message& x) {
    std::string out;
    for (const auto& h : x.headers())
      if (h.name.size() != kCte.size() ||
          !std::equal(h.name.begin(), h.name.end(), kCte.begin(),
                      [](char a, char b) { return (a | 0x20) == (b | 0x20); }))
        out.append(x.raw_field(h));
    return out;
  };
  const core::HeaderField* cte = after.find(kCte);
  if (!cte || after.count(kCte) != 1 || others(after) != others(m))
    return postern::unexpected(
        std::string("the header block would change beyond Content-Transfer-Encoding"));
  return SplicedBody{std::string(after.body()), cte->value};
}

}  // namespace postern::mime
