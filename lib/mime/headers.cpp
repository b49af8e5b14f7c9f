// Headers as a user sees them: decoded Subject, Reply-To, To and Cc.
#include "mime/headers.hpp"

#include <memory>

namespace postern::mime {

const std::string& UserHeaders::subject() const {
  static const std::string kNone;
  return subjects.empty() ? kNone : subjects.front();
}

namespace {

void read_mailboxes(const core::Message& m, std::string_view name, std::vector<Mailbox>& out,
                    bool& limit) {
  for (const core::HeaderField* f : m.find_all(name)) {
    AddressList list = parse_mailboxes(f->value);
    limit = limit || list.limit;
    for (auto& b : list.mailboxes) {
      if (out.size() >= kMaxMailboxes) {
        limit = true;
        return;
      }
      out.push_back(std::move(b));
    }
  }
}

}  // namespace

UserHeaders user_headers(const core::Message& m) {
  UserHeaders h;
  for (const core::HeaderField* f : m.find_all("Subject"))
    h.subjects.push_back(decode_rfc2047(f->value, h.decode));
  read_mailboxes(m, "Reply-To", h.reply_to, h.mailbox_limit);
  read_mailboxes(m, "To", h.to, h.mailbox_limit);
  read_mailboxes(m, "Cc", h.cc, h.mailbox_limit);
  return h;
}

const UserHeaders& user_headers(core::Transaction& tx) {
  if (const UserHeaders* h = tx.get<UserHeaders>()) return *h;
  auto h = std::make_shared<const UserHeaders>(user_headers(*tx.message()));
  tx.put<UserHeaders>(h);
  return *h;
}

}  // namespace postern::mime
