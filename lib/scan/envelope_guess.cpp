// guess_envelope: Return-Path or From, and To/Cc, through the one address parser.
#include "scan/envelope_guess.hpp"

#include <algorithm>

#include "core/address.hpp"
#include "core/message.hpp"
#include "mime/address.hpp"

namespace postern::scan {

GuessedEnvelope guess_envelope(std::string_view raw) {
  GuessedEnvelope g;
  core::Message head{std::string(raw.substr(0, std::min<size_t>(raw.size(), 1u << 20)))};
  if (const auto* rp = head.find("Return-Path")) {
    g.from = core::envelope_address(rp->value);
  } else if (const auto* f = head.find("From")) {
    for (const auto& b : mime::parse_mailboxes(f->value).mailboxes)
      if (!b.domain.empty()) {
        g.from = b.address();
        break;
      }
  }
  for (const char* name : {"To", "Cc"})
    for (const auto* h : head.find_all(name))
      for (const auto& b : mime::parse_mailboxes(h->value).mailboxes)
        if (!b.domain.empty() && g.rcpts.size() < 100) g.rcpts.push_back(b.address());
  if (g.rcpts.empty()) g.rcpts.push_back("undisclosed-recipients@localhost");
  return g;
}

}  // namespace postern::scan
