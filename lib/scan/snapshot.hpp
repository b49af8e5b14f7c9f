// Snapshot: config + policy + the stage pipeline they compile into.
//
// Contract: `load_snapshot` builds a complete, validated snapshot or returns
// every error (file:line:column). A snapshot is immutable and shared by
// shared_ptr: a transaction takes the current one at MAIL FROM and keeps it to
// its end, so a reload never changes the rules under a message in flight.
#pragma once

#include <memory>
#include <string>
#include "core/expected.hpp"

#include "auth/dkim.hpp"
#include "core/disposer.hpp"
#include "core/finisher.hpp"
#include "core/modifier.hpp"
#include "core/stage.hpp"
#include "dns/resolver.hpp"
#include "policy/config.hpp"
#include "policy/policy.hpp"

namespace postern::scan {

struct Snapshot {
  policy::Config config;
  policy::Policy policy;
  core::Pipeline pipeline;
  std::string authserv_id;                  // config value, or this host's name
  std::shared_ptr<dns::Resolver> resolver;  // from [dns]; null without that section (no DNS stages)
  // The phases after the decision (scan/phases.hpp), each run in order on every message that
  // leaves: modifiers (banner, archive copy), finishers (Authentication-Results, ARC seal,
  // DKIM signature), disposers.
  std::vector<std::shared_ptr<const core::Finisher>> finishers;
  std::vector<std::shared_ptr<const core::Modifier>> modifiers;
  std::vector<std::shared_ptr<const core::Disposer>> disposers;
};

using SnapshotPtr = std::shared_ptr<const Snapshot>;

// Builds the pipeline for an already loaded config and policy. With a [dns]
// section the DNS stages (dnsbl when zones are configured, helo, spf, dkim, arc,
// dmarc) join, on `resolver` or, when null, on one built
// from the config (a resolver that cannot be built is logged and leaves them out;
// load_snapshot reports it as a config error instead).
SnapshotPtr make_snapshot(policy::Config config, policy::Policy policy,
                          std::shared_ptr<dns::Resolver> resolver = nullptr);

// The resolver a config's [dns] section describes.
postern::expected<std::shared_ptr<dns::Resolver>, std::string> make_resolver(
    const policy::Config& config);

// The DKIM parts a config describes: the library (only when `verify`) and the
// signer (only with [[dkim.sign]] keys; every key file loaded and checked). A key
// error is at its [[dkim.sign]] entry and names the file.
struct DkimParts {
  std::shared_ptr<const auth::DkimVerifier> library;
  std::shared_ptr<const auth::DkimSigner> signer;
};
postern::expected<DkimParts, policy::Error> make_dkim(const policy::Config& config, bool verify);

// Loads the config (missing file allowed when `missing_ok`: then the built-in
// defaults apply, with those default policy directories that exist), then the
// policy directories it names, then builds the pipeline. A [dns] resolver that
// cannot be built or an [arc] sealing key that cannot be loaded is a config error.
postern::expected<SnapshotPtr, policy::Errors> load_snapshot(const std::string& config_path,
                                                             bool missing_ok = false);

}  // namespace postern::scan
