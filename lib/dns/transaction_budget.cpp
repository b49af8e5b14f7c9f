// The DNS budget of one transaction (see transaction_budget.hpp).
#include "dns/transaction_budget.hpp"

namespace postern::dns {
namespace {
struct TransactionBudget {
  mutable Budget budget;
};
}  // namespace

Budget& transaction_budget(core::Transaction& tx, const std::shared_ptr<Resolver>& resolver,
                           size_t max_queries) {
  if (const TransactionBudget* b = tx.get<TransactionBudget>()) return b->budget;
  auto b =
      std::make_shared<const TransactionBudget>(TransactionBudget{Budget(resolver, max_queries)});
  Budget& out = b->budget;
  tx.put<TransactionBudget>(std::move(b));
  return out;
}

}  // namespace postern::dns
