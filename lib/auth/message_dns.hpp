// The per-message DNS budget: every DNS stage of one transaction (SPF, DKIM,
// ARC, DMARC) spends from the same dns::Budget, so `[dns] max_queries` bounds
// the whole message, not each stage.
//
// Contract: `message_budget(tx, resolver, max)` returns the transaction's
// budget, creating it (with `max` queries) on first use. The budget lives as
// long as the transaction; one thread drives a transaction, so it needs no lock.
#pragma once

#include <memory>

#include "core/transaction.hpp"
#include "dns/resolver.hpp"

namespace postern::auth {

dns::Budget& message_budget(core::Transaction& tx, const std::shared_ptr<dns::Resolver>& resolver,
                            size_t max_queries);

}  // namespace postern::auth
