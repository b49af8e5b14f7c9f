// HeaderSanityStage: missing, repeated and malformed standard fields.
#include "content/header_sanity.hpp"

#include <fmt/format.h>

#include <array>

#include "core/address.hpp"
#include "core/date.hpp"

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

  auto froms = m->find_all("From");
  if (froms.size() > 1)
    tx.add_finding("HEADER_MULTIPLE_FROM", 3.0, fmt::format("{} From headers", froms.size()));
  for (const auto* f : froms) {
    auto addrs = core::parse_address_list(f->value, 100);
    if (addrs.empty())
      tx.add_finding("HEADER_FROM_NO_ADDRESS", 2.0,
                     fmt::format("From without an address: {}", f->value.substr(0, 100)));
    else if (addrs.size() > 1)
      tx.add_finding("HEADER_FROM_MULTIPLE_ADDRESSES", 2.0,
                     fmt::format("From with {} addresses", addrs.size()));
    if (addrs.size() != 1) break;  // one finding of each kind is enough
  }

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
