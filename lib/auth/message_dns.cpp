// The per-message DNS budget (see message_dns.hpp).
#include "auth/message_dns.hpp"

namespace postern::auth {
namespace {
struct MessageDns {
  mutable dns::Budget budget;
};
}  // namespace

dns::Budget& message_budget(core::Transaction& tx, const std::shared_ptr<dns::Resolver>& resolver,
                            size_t max_queries) {
  if (const MessageDns* m = tx.get<MessageDns>()) return m->budget;
  auto m = std::make_shared<const MessageDns>(MessageDns{dns::Budget(resolver, max_queries)});
  dns::Budget& b = m->budget;
  tx.put<MessageDns>(std::move(m));
  return b;
}

}  // namespace postern::auth
