// SenderHistory: hashed (sender, domain) keys in the state store (see sender_history.hpp).
#include "reputation/sender_history.hpp"

#include "core/address.hpp"
#include "core/digest.hpp"
#include "state/store.hpp"
#include "telemetry/metrics.hpp"

namespace postern::reputation {

SenderHistory::SenderHistory(std::shared_ptr<state::Store> store, std::chrono::seconds ttl,
                             std::chrono::seconds refresh)
    : store_(std::move(store)), ttl_(ttl), refresh_(refresh) {}

std::string SenderHistory::key(std::string_view sender, std::string_view domain) {
  std::string in = core::to_lower(sender);
  in.push_back('\n');
  in += core::to_lower(domain);
  return core::sha256_hex(in).substr(0, 32);
}

void SenderHistory::count_error() const {
  telemetry::metrics::count_state_error(store_->describe());
}

SenderHistory::Seen SenderHistory::lookup(std::string_view sender, std::string_view domain) const {
  auto v = store_->get(kHistoryNamespace, key(sender, domain));
  if (!v) {
    ++errors_;
    count_error();
    return Seen::Unavailable;
  }
  return v->has_value() ? Seen::Yes : Seen::No;
}

void SenderHistory::record(std::string_view sender, std::string_view domain) {
  std::string k = key(sender, domain);
  const auto now = std::chrono::steady_clock::now();
  {
    std::lock_guard lock(recent_mutex_);
    auto it = recent_.find(k);
    if (it != recent_.end() && now - it->second < refresh_) return;
  }
  if (!store_->put(kHistoryNamespace, k, "", ttl_)) {
    ++errors_;
    count_error();
    return;
  }
  std::lock_guard lock(recent_mutex_);
  if (recent_.size() >= kMaxRecent) recent_.clear();
  recent_[std::move(k)] = now;
}

}  // namespace postern::reputation
