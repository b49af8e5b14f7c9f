// Click-time protection settings and the link-rewriting modifier.
//
// Contract: [click] of postern.toml (ClickConfig, read by `read_click_config`)
// names the key file (url/token.hpp) and the click host; [click] of the policy
// (ClickPolicy, `read_click_policy`, layered key by key) says whose mail is
// rewritten and what postern-clickd does. `ClickRewriteModifier` ("click-rewrite")
// rewrites the links of inbound mail whose transaction group (the group of the
// first recipient accepted) is in `groups`, for every verdict that delivers or
// holds the message, through url::rewrite_links; it runs after the verdict
// headers are decided and before the finishers (so Authentication-Results is
// about the message as it came, and the ARC seal and DKIM signature cover the
// rewritten body). It does nothing for a message that used up its scan time
// (LIMIT_SCAN_TIME). Why links were left alone goes to the log; how many were
// rewritten goes to the event as postern.click.rewritten (0 when rewriting was
// due but the message was left as it was: signed, no link, ...). Immutable,
// shared by threads.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/modifier.hpp"
#include "policy/config.hpp"
#include "policy/error.hpp"
#include "policy/policy.hpp"
#include "policy/toml_reader.hpp"
#include "url/token.hpp"

namespace postern::url {

// postern.toml [click]
struct ClickConfig {
  static constexpr std::string_view kSection = "click";
  std::string keys;  // the key file ("" = no rewriting, clickd refuses to start)
  std::string host;  // the click host name, as links will name it
  // postern-clickd
  std::string listen = "127.0.0.1:8025";  // address:port (behind the reverse proxy)
  std::string events = "-";               // click event log: a file, "-" = stdout
  int threads = 8;                        // requests served at once
  int timeout_s = 10;                     // read and write timeout per request
};

// What clickd does with a URL a feed lists.
enum class OnListed { Warn, Block };

// policy [click]
struct ClickPolicy {
  static constexpr std::string_view kSection = "click";
  bool rewrite = false;
  std::vector<std::string> groups{"default"};  // whose inbound mail is rewritten
  std::vector<policy::Error> group_refs;       // where each group was named
  bool text_plain = false;
  std::vector<std::string> internal_domains;  // lower case
  uint32_t version = 1;                       // the policy version tokens carry
  int64_t max_age_days = 90;                  // clickd refuses older tokens; 0 = no limit
  OnListed on_listed = OnListed::Warn;        // Warn: a page with "continue anyway"
  size_t max_links = 1000;
};

void read_click_config(policy::TomlSection& s, policy::Config& c, const std::string& dir);
void read_click_policy(policy::TomlSection& s, policy::Policy& p);
// Every group [click] names must exist.
void check_click_policy(const policy::Policy& p, std::vector<policy::Error>& errors);

inline const ClickConfig& click_config(const policy::Config& c) {
  return c.section<ClickConfig>(ClickConfig::kSection);
}
inline const ClickPolicy& click_policy(const policy::Policy& p) {
  return p.sections.section<ClickPolicy>(ClickPolicy::kSection);
}

class ClickRewriteModifier final : public core::Modifier {
 public:
  // `groups` holds the policy's groups, default group and lists (what group_for reads).
  ClickRewriteModifier(ClickPolicy p, std::string host, std::shared_ptr<const KeyRing> keys,
                       policy::Policy groups)
      : p_(std::move(p)),
        host_(std::move(host)),
        keys_(std::move(keys)),
        groups_(std::move(groups)) {}
  std::string_view name() const override { return "click-rewrite"; }
  bool needs_message(const core::Transaction& tx, const core::Outcome& out) const override;
  void modify(const core::Transaction& tx, const core::Message& current,
              core::Outcome& out) const override;

 private:
  ClickPolicy p_;
  std::string host_;
  std::shared_ptr<const KeyRing> keys_;
  policy::Policy groups_;
};

}  // namespace postern::url
