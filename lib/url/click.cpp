// Click-time protection settings and the link-rewriting modifier (see click.hpp).
#include "url/click.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>

#include "mime/stage.hpp"
#include "telemetry/log.hpp"
#include "url/rewrite.hpp"

namespace postern::url {
namespace {

bool host_name_ok(std::string_view h) {
  if (h.empty() || h.size() > 253 || h.front() == '.' || h.back() == '.') return false;
  return std::all_of(h.begin(), h.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '-' || c == ':';
  });
}

std::string lower(std::string s) {
  for (char& c : s)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c | 0x20);
  return s;
}

}  // namespace

void read_click_config(policy::TomlSection& s, policy::Config& c, const std::string& dir) {
  ClickConfig k;
  if (auto v = s.string("keys")) k.keys = policy::resolve_path(dir, *v);
  if (auto v = s.string("host")) {
    k.host = lower(*v);
    if (!host_name_ok(k.host))
      s.error(*s.node("host"),
              "'host' in [click]: expected a host name (and port), such as click.example.com");
  }
  if (auto v = s.string("listen")) {
    k.listen = *v;
    size_t colon = k.listen.rfind(':');
    if (colon == std::string::npos || colon + 1 >= k.listen.size() ||
        k.listen.find_first_not_of("0123456789", colon + 1) != std::string::npos ||
        k.listen.size() - colon > 6 || std::stoul(k.listen.substr(colon + 1)) > 65535)
      s.error(*s.node("listen"),
              "'listen' in [click]: expected ADDRESS:PORT, such as 127.0.0.1:8025");
  }
  if (auto v = s.string("events")) k.events = policy::resolve_path(dir, *v);
  if (auto v = s.integer("threads", 1, 1024)) k.threads = static_cast<int>(*v);
  if (auto v = s.integer("timeout_s", 1, 300)) k.timeout_s = static_cast<int>(*v);
  if (k.keys.empty() != k.host.empty()) s.error_here("[click]: 'keys' and 'host' go together");
  s.finish();
  c.set_section(std::string(ClickConfig::kSection), std::move(k));
}

void read_click_policy(policy::TomlSection& s, policy::Policy& p) {
  ClickPolicy c = click_policy(p);
  if (auto v = s.boolean("rewrite")) c.rewrite = *v;
  if (auto v = s.strings("groups")) {
    c.groups = *v;
    c.group_refs.clear();
    const toml::array* arr = s.node("groups")->as_array();
    for (size_t i = 0; i < v->size(); ++i)
      c.group_refs.push_back(policy::error_at(s.file(), arr->get(i)->source(), (*v)[i]));
  }
  if (auto v = s.boolean("text_plain")) c.text_plain = *v;
  if (auto v = s.strings("internal_domains")) {
    c.internal_domains.clear();
    for (auto& d : *v) {
      std::string l = lower(d);
      while (!l.empty() && l.back() == '.') l.pop_back();
      if (!host_name_ok(l) || l.find(':') != std::string::npos) {
        s.error(*s.node("internal_domains"),
                fmt::format("'internal_domains': \"{}\" is not a domain", d.substr(0, 64)));
        break;
      }
      c.internal_domains.push_back(std::move(l));
    }
  }
  if (auto v = s.integer("version", 0, UINT32_MAX)) c.version = static_cast<uint32_t>(*v);
  if (auto v = s.integer("max_age_days", 0, 3650)) c.max_age_days = *v;
  if (auto v = s.integer("max_links", 1, 100000)) c.max_links = static_cast<size_t>(*v);
  if (auto v = s.string("on_listed")) {
    if (*v == "warn")
      c.on_listed = OnListed::Warn;
    else if (*v == "block")
      c.on_listed = OnListed::Block;
    else
      s.error(*s.node("on_listed"), "'on_listed' in [click]: expected \"warn\" or \"block\"");
  }
  s.finish();
  p.sections.set_section(std::string(ClickPolicy::kSection), std::move(c));
}

void check_click_policy(const policy::Policy& p, std::vector<policy::Error>& errors) {
  const ClickPolicy& c = click_policy(p);
  for (const auto& ref : c.group_refs) {
    const std::string& g = ref.message;
    bool known = g == policy::kDefaultGroup ||
                 std::any_of(p.groups.begin(), p.groups.end(),
                             [&](const policy::Group& x) { return x.name == g; });
    if (!known) {
      policy::Error e = ref;
      e.message = fmt::format("'groups' in [click]: no [[group]] named \"{}\"", g);
      errors.push_back(std::move(e));
    }
  }
}

bool ClickRewriteModifier::needs_message(const core::Transaction& tx,
                                         const core::Outcome& out) const {
  if (!p_.rewrite || tx.direction() != core::Direction::Inbound) return false;
  if (core::severity(out.verdict.action) > core::severity(core::Action::Quarantine)) return false;
  // The transaction's group: that of the first recipient accepted (the session defers
  // a recipient of another group, so every accepted one shares it).
  const auto& rcpts = tx.envelope().recipients;
  const std::string& group =
      rcpts.empty() ? groups_.default_group.name : groups_.group_for(rcpts.front()).name;
  return std::find(p_.groups.begin(), p_.groups.end(), group) != p_.groups.end();
}

void ClickRewriteModifier::modify(const core::Transaction& tx, const core::Message& current,
                                  core::Outcome& out) const {
  if (!needs_message(tx, out)) return;
  if (tx.has_finding("LIMIT_SCAN_TIME")) {
    telemetry::log_info("{}: links not rewritten: the message used up its scan time", tx.scan_id());
    return;
  }
  const std::vector<std::string>& rcpts = tx.envelope().recipients;
  Token base;
  base.issued = std::chrono::duration_cast<std::chrono::seconds>(
                    std::chrono::system_clock::now().time_since_epoch())
                    .count();
  base.policy_version = p_.version;
  base.scan_id = tx.scan_id();
  base.recipient = recipient_hash(rcpts);
  RewriteSettings s;
  s.host = host_;
  s.text_plain = p_.text_plain;
  s.internal_domains = p_.internal_domains;
  s.keep = list_unsubscribe_urls(current);
  s.max_links = p_.max_links;
  auto r = rewrite_links(current, *keys_, base, s, mime::analysis_limits(tx.limits()).mime);
  if (!r) {
    telemetry::log_info("{}: links not rewritten: {}", tx.scan_id(), r.error());
    out.event_counts.emplace_back("click.rewritten", 0);
    return;
  }
  out.event_counts.emplace_back("click.rewritten", static_cast<int64_t>(r->links));
  for (const auto& k : r->kept) telemetry::log_info("{}: link not rewritten: {}", tx.scan_id(), k);
  for (const auto& k : r->skipped_parts)
    telemetry::log_info("{}: links not rewritten in {}", tx.scan_id(), k);
  if (r->transfer_encoding) {
    if (const core::HeaderField* f = current.find("Content-Transfer-Encoding"))
      out.changed.push_back({f->name, 1, *r->transfer_encoding});
    else
      out.added.push_back({"Content-Transfer-Encoding", *r->transfer_encoding});
  }
  out.new_body = std::move(r->body);
}

}  // namespace postern::url
