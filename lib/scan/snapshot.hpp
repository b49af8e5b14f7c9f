// Snapshot: config + policy + the stage pipeline they compile into.
//
// Contract: `load_snapshot` builds a complete, validated snapshot or returns
// every error (file:line:column). A snapshot is immutable and shared by
// shared_ptr: a transaction takes the current one at MAIL FROM and keeps it to
// its end, so a reload never changes the rules under a message in flight. The
// stages and finishers are the registry's (scan/registry), in its order, each
// built by its folder's factory on the services (scan/services) the snapshot
// keeps; a reload with the same services reuses them (a policy-only reload
// rebuilds no resolver).
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/disposer.hpp"
#include "core/expected.hpp"
#include "core/finisher.hpp"
#include "core/modifier.hpp"
#include "core/registration.hpp"
#include "core/stage.hpp"
#include "dns/resolver.hpp"
#include "policy/config.hpp"
#include "policy/policy.hpp"
#include "scan/services.hpp"

namespace postern::scan {

struct Snapshot {
  policy::Config config;
  policy::Policy policy;
  core::Pipeline pipeline;
  std::string authserv_id;                           // config value, or this host's name
  std::shared_ptr<const core::ServiceSet> services;  // what the stages were built on
  // The phases after the decision (scan/phases.hpp), each run in order on every message that
  // leaves: finishers (Authentication-Results, ARC seal, DKIM signature) after the modifiers
  // (banner, archive copy), then the disposers.
  std::vector<std::shared_ptr<const core::Finisher>> finishers;
  std::vector<std::shared_ptr<const core::Modifier>> modifiers;
  std::vector<std::shared_ptr<const core::Disposer>> disposers;
  // Each folder's part of the JSON event (telemetry::make_event).
  std::vector<core::EventWriter> event_writers;

  // The "dns.resolver" service; null without [dns] (then no DNS stage runs).
  std::shared_ptr<dns::Resolver> resolver() const;
};

using SnapshotPtr = std::shared_ptr<const Snapshot>;

// Builds the pipeline for an already loaded config and policy on `services`, or,
// when null, on services made for them. What cannot be built (a resolver, a key
// file) is logged and left out; load_snapshot reports it as a config error instead.
SnapshotPtr make_snapshot(policy::Config config, policy::Policy policy,
                          std::shared_ptr<const core::ServiceSet> services = nullptr);

// Loads the config (missing file allowed when `missing_ok`: then the built-in
// defaults apply, with those default policy directories that exist), then the
// policy directories it names, then builds the pipeline on `services` (prepared
// for them, committed when the snapshot is built; a local Services when null).
// A service or stage that cannot be built ([dns] resolver, [arc] or
// [[dkim.sign]] key) is a config error. `adjust`, when given, changes the loaded
// config before its policy is read (the CLI's --policy-dir, eval's "no state store").
postern::expected<SnapshotPtr, policy::Errors> load_snapshot(
    const std::string& config_path, bool missing_ok = false, Services* services = nullptr,
    const std::function<void(policy::Config&)>& adjust = {});

}  // namespace postern::scan
