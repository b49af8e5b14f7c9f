// Headers as a user sees them: the Subject and the address fields a mail client
// shows, decoded once per message for every stage.
//
// Contract: `user_headers(m)` reads the Subject fields (RFC 2047 decoded to
// UTF-8, charsets through mime/decode's allowlist) and the Reply-To, To and Cc
// fields through the one address parser (mime/address.hpp: display names
// decoded). Every field of a name counts, in order: a client may show the first
// and another the last, so rules must see them all (`subjects`, and the
// mailboxes of every Reply-To/To/Cc field of the message). `subject()` is what
// most clients show (the first). The From field is `mime::author` (read under
// both readings of a bare line break); it is not repeated here.
// `user_headers(tx)` reads the transaction's message once and keeps the result on
// the transaction (Transaction::put), so stages and the event share it; it
// requires a message. Bounded: at most kMaxMailboxes mailboxes per field kind
// (parse_mailboxes' bound), and the message's own header bounds. Pure functions
// otherwise, never throw.
#pragma once

#include <string>
#include <vector>

#include "core/message.hpp"
#include "core/transaction.hpp"
#include "mime/address.hpp"
#include "mime/decode.hpp"

namespace postern::mime {

struct UserHeaders {
  std::vector<std::string> subjects;  // every Subject field, decoded, in order
  std::vector<Mailbox> reply_to, to, cc;
  bool mailbox_limit = false;  // some address field held more than kMaxMailboxes
  DecodeStats decode;          // what decoding the subjects met (unknown charsets, bad bytes)

  // The Subject most clients show: the first; "" when none.
  const std::string& subject() const;
};

UserHeaders user_headers(const core::Message& m);
const UserHeaders& user_headers(core::Transaction& tx);

}  // namespace postern::mime
