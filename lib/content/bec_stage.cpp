// The bec stage: impersonated names, lookalike domains, payment language and
// first contact on inbound mail; the sender history on outbound mail.
#include "content/bec_stage.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "content/fields.hpp"
#include "core/address.hpp"
#include "core/excerpt.hpp"
#include "mime/address.hpp"
#include "reputation/sender_history.hpp"
#include "state/store.hpp"

namespace postern::content {
namespace {

constexpr size_t kMaxMailboxes = 20;  // From mailboxes checked per message
constexpr size_t kMaxDomains = 20;    // sender domains checked per message
constexpr size_t kMaxRecipients = 1000;

struct KindInfo {
  PhraseKind kind;
  const char* symbol;
  double score;
  const char* what;
};
constexpr KindInfo kKinds[] = {
    {PhraseKind::Payment, "BEC_PAYMENT_LANGUAGE", 1.5, "payment language"},
    {PhraseKind::GiftCard, "BEC_GIFT_CARD", 2.0, "gift card language"},
    {PhraseKind::Urgency, "BEC_URGENCY", 0.5, "urgency language"},
};

std::string quoted(std::string_view text) {
  return core::excerpt(text, 0, text.size());
}

}  // namespace

BecStage::BecStage(std::shared_ptr<const BecChecks> checks,
                   std::shared_ptr<reputation::SenderHistory> history)
    : checks_(std::move(checks)), history_(std::move(history)) {}

core::Step BecStage::on_message(core::Transaction& tx) const {
  if (!tx.message()) return core::Step::next();
  if (tx.direction() == core::Direction::Outbound)
    outbound(tx);
  else
    inbound(tx);
  return core::Step::next();
}

void BecStage::outbound(core::Transaction& tx) const {
  if (!history_) return;
  std::string ours = core::domain_of(tx.envelope().mail_from);
  const mime::Author& au = mime::author(tx);
  if (ours.empty() && !au.mailboxes.empty()) ours = au.mailboxes.front().domain;
  if (ours.empty()) return;
  const auto& rcpts = tx.envelope().recipients;
  for (size_t i = 0; i < rcpts.size() && i < kMaxRecipients; ++i) {
    if (checks_->own(core::domain_of(rcpts[i]))) continue;
    history_->record(rcpts[i], checks_->registrable(ours));
  }
}

void BecStage::inbound(core::Transaction& tx) const {
  const mime::Author& au = mime::author(tx);
  const Fields& f = fields(tx);
  bool strong = false;  // a finding first contact amplifies

  // Display names of protected people from other addresses.
  for (size_t i = 0; i < au.mailboxes.size() && i < kMaxMailboxes; ++i) {
    const mime::Mailbox& mb = au.mailboxes[i];
    if (mb.display_name.empty()) continue;
    if (auto m = checks_->vip(mb.display_name, mb.address())) {
      tx.add_finding(
          "BEC_DISPLAY_NAME_VIP", 5.0,
          fmt::format("protected name \"{}\" shown as {} from {}", m->who->name,
                      core::explain("display name", "from.display", "", quoted(mb.display_name)),
                      core::mask(mb.address())));
      strong = true;
      break;
    }
  }

  // Sender domains that imitate ours or a partner's.
  struct Sender {
    std::string address;
    const char* field;
  };
  std::vector<Sender> senders;
  for (size_t i = 0; i < au.mailboxes.size() && i < kMaxMailboxes; ++i)
    senders.push_back({au.mailboxes[i].address(), "from.address"});
  for (size_t i = 0; i < f.reply_to.size() && i < kMaxMailboxes; ++i)
    senders.push_back({std::string(f.reply_to[i].text), "reply_to"});
  if (!tx.envelope().mail_from.empty())
    senders.push_back({tx.envelope().mail_from, "envelope sender"});
  std::vector<std::string> done;
  for (const auto& s : senders) {
    const std::string d = core::domain_of(s.address);
    if (d.empty() || std::find(done.begin(), done.end(), d) != done.end()) continue;
    if (done.size() >= kMaxDomains) break;
    done.emplace_back(d);
    if (auto l = checks_->lookalike(d)) {
      tx.add_finding("BEC_LOOKALIKE_DOMAIN", 5.0,
                     fmt::format("{} looks like {} ({}) in {}: \"{}\"", d, l->reference, l->how,
                                 s.field, core::mask(s.address)));
      strong = true;
      break;
    }
  }

  // Payment, gift card and urgency language in a short message with few links.
  size_t body_bytes = 0;
  for (const auto& v : f.body_text) body_bytes += v.text.size();
  if (body_bytes <= checks_->policy().max_body_bytes &&
      f.url.size() <= checks_->policy().max_links) {
    for (const auto& k : kKinds) {
      auto scan = [&](const std::vector<Value>& values, const char* field) {
        for (const auto& v : values) {
          tx.budget().tick();
          if (auto m = checks_->phrase(k.kind, v.text)) {
            tx.add_finding(
                k.symbol, k.score,
                core::explain(k.what, field, v.part, core::excerpt(v.text, m->pos, m->len)));
            return true;
          }
        }
        return false;
      };
      if (scan(f.subject, "subject") || scan(f.body_text, "body.text")) {
        if (k.kind != PhraseKind::Urgency) strong = true;
      }
    }
  }

  // First contact: no recipient's domain has written to the author.
  if (!history_ || au.mailboxes.empty()) return;
  const std::string sender = au.mailboxes.front().address();
  const std::string sender_domain = core::domain_of(sender);
  if (sender_domain.empty() || checks_->own(sender_domain)) return;
  const auto& rcpts = tx.envelope().recipients;
  if (rcpts.empty()) return;
  std::vector<std::string> domains;
  for (size_t i = 0; i < rcpts.size() && i < kMaxRecipients; ++i) {
    std::string d = checks_->registrable(core::domain_of(rcpts[i]));
    if (d.empty() || std::find(domains.begin(), domains.end(), d) != domains.end()) continue;
    const auto seen = history_->lookup(sender, d);
    if (seen == reputation::SenderHistory::Seen::Unavailable) {
      // The state store's on_error for the first contact is accept: no score, a finding.
      tx.add_finding("STATE_UNAVAILABLE", 0.0,
                     fmt::format("first contact not checked: the state store ({}) did not answer",
                                 history_->store()->describe()));
      return;
    }
    if (seen == reputation::SenderHistory::Seen::Yes) return;
    domains.push_back(std::move(d));
  }
  if (domains.empty()) return;
  tx.add_finding("BEC_FIRST_CONTACT", 0.1,
                 fmt::format("no mail from {} to {} before", core::mask(sender), domains.front()));
  if (strong)
    tx.add_finding("BEC_FIRST_CONTACT_AMPLIFIED", 2.5,
                   fmt::format("first contact from {} with an impersonation, lookalike or payment "
                               "finding",
                               core::mask(sender)));
}

}  // namespace postern::content
