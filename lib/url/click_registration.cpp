// Click-time protection's registration (see click_registration.hpp).
#include "url/click_registration.hpp"

#include "policy/config.hpp"
#include "policy/policy.hpp"
#include "url/click.hpp"

namespace postern::url {

const core::Registration& click_registration() {
  static const core::Registration r{
      .folder = "url",
      .config_sections = {{.name = "click", .read = read_click_config}},
      .policy_sections = {{.name = "click",
                           .read = read_click_policy,
                           .check = check_click_policy}},
      // After the banner (registered earlier, the same tag): the body as it leaves gets
      // its links rewritten; the archive copy (needs body.edited) sees the result.
      .modifiers = {{.name = "click-rewrite",
                     .provides = {"body.edited"},
                     .make =
                         [](const core::StageContext& c) -> std::shared_ptr<const core::Modifier> {
                       const ClickPolicy& p = click_policy(c.policy);
                       const ClickConfig& k = click_config(c.config);
                       if (!p.rewrite) return nullptr;
                       if (k.keys.empty()) {
                         c.errors.push_back({c.config.path, 0, 0,
                                             "[click] rewrite = true in the policy needs [click] "
                                             "keys and host in postern.toml"});
                         return nullptr;
                       }
                       auto ring = KeyRing::load(k.keys);
                       if (!ring) {
                         c.errors.insert(c.errors.end(), ring.error().begin(), ring.error().end());
                         return nullptr;
                       }
                       policy::Policy groups;
                       groups.groups = c.policy.groups;
                       groups.default_group = c.policy.default_group;
                       groups.lists = c.policy.lists;
                       return std::make_shared<ClickRewriteModifier>(
                           p, k.host, std::make_shared<const KeyRing>(std::move(*ring)),
                           std::move(groups));
                     }}},
  };
  return r;
}

}  // namespace postern::url
