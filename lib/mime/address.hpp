// Address fields as a reader sees them: the one parser for From, Sender,
// Reply-To, To and Cc in the whole code base.
//
// Contract: `parse_mailboxes(value)` reads an unfolded address-list value as
// RFC 5322 does, obsolete syntax included (routes, comments and whitespace
// between the parts of an addr-spec, groups, missing commas), with Python's
// email.headerregistry as the reference reader: its mailboxes are what that
// reader shows. Display names are RFC 2047-decoded to UTF-8.
//
// Where readers can differ, the strictest reading wins. Besides that RFC
// reading, `parse_mailboxes` collects every domain another reader could take
// for an address's: the dot-atom right after each '@' outside quoted strings
// and comments (a second angle address, an address before an empty "<>", a
// domain cut at inner whitespace), and addresses spelled by encoded words where
// an address belongs. `author(m)` does this for every From field of a message
// under both of its readings (see core/message.hpp: a bare CR or LF can hide a
// From inside another field): its `domains` are the union, and the field is
// `ambiguous` when they differ from the RFC reading of the MTA's fields.
//
// Cost is linear in the value; at most `kMaxMailboxes` mailboxes and
// `kMaxAuthorDomains` + 1 author domains are kept (one more than the bound, so
// the caller sees that it was passed). Pure functions, thread-safe, never throw.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "core/message.hpp"
#include "core/transaction.hpp"

namespace postern::mime {

inline constexpr size_t kMaxMailboxes = 1000;
inline constexpr size_t kMaxAuthorDomains = 8;

struct Mailbox {
  std::string display_name;  // decoded, UTF-8, "" when none
  std::string local;         // local part, quotes removed
  std::string domain;        // lower-case, no final dot; "[...]" for a domain literal
  std::string address() const { return domain.empty() ? local : local + "@" + domain; }
};

struct AddressList {
  std::vector<Mailbox> mailboxes;   // the RFC reading, mailboxes without a domain included
  std::vector<std::string> others;  // domains other readings see that the RFC reading does not
  bool limit = false;               // more than kMaxMailboxes
};

AddressList parse_mailboxes(std::string_view value);

struct Author {
  std::vector<Mailbox> mailboxes;    // RFC reading of the MTA's From fields, in order
  std::vector<std::string> domains;  // every author domain any reading sees, RFC reading first
  size_t rfc_domains = 0;            // the first this many are the RFC reading's
  size_t fields = 0;                 // From fields the MTA handed over
  bool hidden_from = false;          // a From hidden behind a bare CR or LF
  bool ambiguous = false;            // readings disagree on the author domains
  bool limit = false;                // more than kMaxAuthorDomains domains

  // The one author domain, when every reading agrees on exactly one; else "".
  std::string single_domain() const;
};

Author author(const core::Message& m);

// The author of the transaction's message, read once and kept on the
// transaction (header_sanity, dmarc and lists share it). Requires a message.
const Author& author(core::Transaction& tx);

}  // namespace postern::mime
