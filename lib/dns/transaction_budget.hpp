// The DNS budget of one transaction: every DNS stage that runs on it spends
// from the same dns::Budget, so `[dns] max_queries` bounds the whole message
// (SPF, DKIM, ARC), or the whole connection for the connect/HELO stages (DNSBL,
// HELO), which run on the session's connection transaction.
//
// Contract: `transaction_budget(tx, resolver, max)` returns the transaction's
// budget, creating it (with `max` queries) on first use. The budget lives as
// long as the transaction; one thread drives a transaction, so it needs no lock.
#pragma once

#include <memory>

#include "core/transaction.hpp"
#include "dns/resolver.hpp"

namespace postern::dns {

Budget& transaction_budget(core::Transaction& tx, const std::shared_ptr<Resolver>& resolver,
                           size_t max_queries);

}  // namespace postern::dns
