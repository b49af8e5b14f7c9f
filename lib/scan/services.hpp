// Services: what outlives policy snapshots — the resolver, the public suffix
// list, the DNSBL result cache, and later the ClamAV engine, YARA rules, URL
// feeds, the state and quarantine stores. Each folder registers its services
// (core::ServiceEntry in lib/<folder>/registration.cpp); this holds the current
// instance of each and hands them to the stages at snapshot build.
//
// Lifecycle: one Services is created by the daemon (milter/main.cpp) and by
// `postern scan`, before the first snapshot. `prepare(config, policy)` returns
// the set a snapshot for that config and policy is built on: each service of the
// current set is reused unless its entry's `changed` says otherwise (the
// resolver: [dns] added, removed or edited; the public suffix list: its file's
// mtime; the DNSBL cache: the policy's dnsbl_cache size), the others are made.
// Nothing is swapped yet: `commit(set, config)` swaps it in (one
// std::atomic<shared_ptr>) once the snapshot built on it is in service, so a
// reload that fails leaves the current services as they were. A policy-only
// reload (SIGHUP with postern.toml unchanged) therefore remakes none of them.
// Snapshots keep the set they were built on: a transaction in flight keeps its
// resolver until it ends. Thread-safe: prepare and commit from the thread that
// reloads, current() from any.
#pragma once

#include <atomic>
#include <memory>
#include <vector>

#include "core/expected.hpp"
#include "core/registration.hpp"
#include "policy/config.hpp"
#include "policy/error.hpp"
#include "policy/policy.hpp"

namespace postern::scan {

class Services {
 public:
  // The registry's services (scan/registry), or `entries` (tests).
  Services();
  explicit Services(std::vector<const core::ServiceEntry*> entries);

  // The services for `config` and `policy`: current ones reused unless changed. A
  // service that cannot be made is left out and its error (at the config file)
  // returned with the set.
  struct Prepared {
    std::shared_ptr<const core::ServiceSet> set;
    policy::Errors errors;
  };
  Prepared prepare(const policy::Config& config, const policy::Policy& policy) const;
  // Makes `set` (from prepare) the current one, remembering `config` for the next
  // prepare's comparisons.
  void commit(std::shared_ptr<const core::ServiceSet> set, const policy::Config& config);
  std::shared_ptr<const core::ServiceSet> current() const;

 private:
  struct State {
    std::shared_ptr<const core::ServiceSet> set;
    policy::Config config;
  };
  std::vector<const core::ServiceEntry*> entries_;
  std::atomic<std::shared_ptr<const State>> state_;
};

}  // namespace postern::scan
