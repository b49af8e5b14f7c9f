// HeaderSanityStage: missing, repeated and malformed standard fields.
#include "content/header_sanity.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>

#include "core/date.hpp"
#include "mime/address.hpp"

namespace postern::content {

core::Step HeaderSanityStage::on_message(core::Transaction& tx) const {
  const core::Message* m = tx.message();
  if (!m) return core::Step::next();

  static constexpr std::array<std::pair<std::string_view, std::string_view>, 3> kRequired{
      {{"Date", "HEADER_MISSING_DATE"},
       {"From", "HEADER_MISSING_FROM"},
       {"Message-ID", "HEADER_MISSING_MESSAGE_ID"}}};
  static constexpr std::array<double, 3> kRequiredScore{1.0, 2.0, 1.0};
  for (size_t i = 0; i < kRequired.size(); ++i)
    if (!m->find(kRequired[i].first))
      tx.add_finding(std::string(kRequired[i].second), kRequiredScore[i],
                     fmt::format("no {} header", kRequired[i].first));

  const mime::Author& author = mime::author(tx);
  if (author.fields > 1)
    tx.add_finding("HEADER_MULTIPLE_FROM", 3.0, fmt::format("{} From headers", author.fields));
  for (const auto* f : m->find_all("From")) {
    auto l = mime::parse_mailboxes(f->value);
    size_t with_domain = static_cast<size_t>(
        std::count_if(l.mailboxes.begin(), l.mailboxes.end(),
                      [](const mime::Mailbox& b) { return !b.domain.empty(); }));
    if (with_domain == 0)
      tx.add_finding("HEADER_FROM_NO_ADDRESS", 2.0,
                     fmt::format("From without an address: {}", f->value.substr(0, 100)));
    else if (with_domain > 1)
      tx.add_finding("HEADER_FROM_MULTIPLE_ADDRESSES", 2.0,
                     fmt::format("From with {} addresses", with_domain));
    if (with_domain != 1) break;  // one finding of each kind is enough
  }
  if (author.ambiguous) {
    std::vector<std::string_view> rfc(author.domains.begin(),
                                      author.domains.begin() + author.rfc_domains);
    std::vector<std::string_view> other(author.domains.begin() + author.rfc_domains,
                                        author.domains.end());
    tx.add_finding("HEADER_FROM_AMBIGUOUS", 4.0,
                   fmt::format("From reads as {} by RFC 5322{}, as {} by other readers{}",
                               rfc.empty() ? "no domain" : fmt::format("{}", fmt::join(rfc, ", ")),
                               author.hidden_from ? " (a From hidden behind a bare CR or LF)" : "",
                               fmt::join(other, ", "), author.limit ? ", ..." : ""));
  }
  std::string bare, invalid;
  size_t n_bare = 0, n_invalid = 0;
  for (const auto& h : m->headers()) {
    if (h.bare_line_break && ++n_bare <= 5)
      bare += (bare.empty() ? "" : ", ") + h.name.substr(0, 64);
    if (h.name_invalid && ++n_invalid <= 5)
      invalid += (invalid.empty() ? "\"" : ", \"") + h.name.substr(0, 64) + "\"";
  }
  if (n_bare > 0)
    tx.add_finding(
        "HEADER_BARE_CR", 3.0,
        fmt::format("a CR or LF that is not a line end in {} field(s): {}{}{}", n_bare, bare,
                    n_bare > 5 ? ", ..." : "",
                    m->hidden_fields().empty() ? ""
                                               : fmt::format("; {} field(s) hidden behind it",
                                                             m->hidden_fields().size())));
  if (n_invalid > 0)
    tx.add_finding("HEADER_NAME_INVALID", 2.0,
                   fmt::format("{} field name(s) with bytes RFC 5322 does not allow: {}{}",
                               n_invalid, invalid, n_invalid > 5 ? ", ..." : ""));

  static constexpr std::array<std::string_view, 7> kOnce{
      "Date", "Subject", "Message-ID", "Sender", "Reply-To", "To", "In-Reply-To"};
  std::string dups;
  for (auto name : kOnce)
    if (m->count(name) > 1) dups += (dups.empty() ? "" : ", ") + std::string(name);
  if (!dups.empty()) tx.add_finding("HEADER_DUPLICATE", 1.0, "repeated: " + dups);

  if (const auto* d = m->find("Date"); d && !core::parse_rfc5322_date(d->value))
    tx.add_finding("HEADER_DATE_UNPARSABLE", 1.0, fmt::format("Date: {}", d->value.substr(0, 100)));

  std::string eight;
  size_t n8 = 0;
  for (const auto& h : m->headers()) {
    if (!h.eight_bit) continue;
    if (++n8 <= 5) eight += (eight.empty() ? "" : ", ") + h.name.substr(0, 64);
  }
  if (n8 > 0)
    tx.add_finding(
        "HEADER_8BIT_RAW", 0.5,
        fmt::format("raw 8-bit bytes in {} field(s): {}{}", n8, eight, n8 > 5 ? ", ..." : ""));
  return core::Step::next();
}

}  // namespace postern::content
