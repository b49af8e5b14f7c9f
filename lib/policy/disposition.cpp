// Disposition: hard rules and score thresholds turn findings into one verdict.
#include <fmt/format.h>

#include "policy/policy.hpp"

namespace postern::policy {
using core::Action;

std::string expand_rule_text(std::string_view text, std::string_view detail) {
  static constexpr std::string_view kKey = "{detail}";
  if (text.find(kKey) == std::string_view::npos) return std::string(text);
  std::string clean;
  for (unsigned char c : detail) {
    if (clean.size() >= kMaxDetailInReply) {
      clean.resize(kMaxDetailInReply - 3);
      clean += "...";
      break;
    }
    char out = c >= 0x80 ? '?' : (c < 0x20 || c == 0x7f) ? ' ' : static_cast<char>(c);
    if (out == ' ' && (clean.empty() || clean.back() == ' ')) continue;
    clean.push_back(out);
  }
  while (!clean.empty() && clean.back() == ' ') clean.pop_back();
  std::string r;
  for (size_t pos = 0;;) {
    size_t at = text.find(kKey, pos);
    r.append(text.substr(pos, at - pos));
    if (at == std::string_view::npos) break;
    r += clean;
    pos = at + kKey.size();
  }
  return r;
}

core::SmtpReply reply_for(const Policy& p, Action a, std::string_view text) {
  core::SmtpReply r;
  if (a == Action::Reject)
    r = p.reject_reply;
  else if (a == Action::Tempfail)
    r = p.tempfail_reply;
  else
    return r;
  if (!text.empty()) r.text = std::string(text);
  return r;
}

void settle(const Group& g, core::Verdict& v) {
  if (v.action != Action::Quarantine || g.quarantine) return;
  v.action = Action::Tag;
  v.reason = fmt::format("{} (group {} does not quarantine: tagged)", v.reason, g.name);
  v.reply = {};
}

core::Verdict decide(const Policy& p, core::Direction dir, std::span<const core::Finding> findings,
                     When when) {
  return decide(p, p.default_group, dir, findings, when);
}

core::Verdict decide(const Policy& p, const Group& g, core::Direction dir,
                     std::span<const core::Finding> findings, When when) {
  const DirectionPolicy& d = g.for_direction(dir);
  core::Verdict v;
  std::string rule_text;
  for (const auto& f : findings) {
    v.score += f.score;
    auto it = d.rules.find(f.symbol);
    if (it == d.rules.end()) continue;
    Action a = it->second.action;
    if (when == When::BeforeData && !core::is_final(a)) continue;
    if (core::severity(a) > core::severity(v.action)) {
      v.action = a;
      v.reason = fmt::format("rule {} = {}", f.symbol, core::to_string(a));
      rule_text = expand_rule_text(it->second.text, f.detail);
    }
  }
  if (when == When::EndOfMessage) {
    const Thresholds& t = d.thresholds;
    for (auto [a, th] : {std::pair{Action::Reject, t.reject},
                         {Action::Quarantine, t.quarantine},
                         {Action::Tag, t.tag}}) {
      if (th && v.score >= *th) {
        if (core::severity(a) > core::severity(v.action)) {
          v.action = a;
          v.reason =
              fmt::format("score {:.2f} >= {} threshold {:.2f}", v.score, core::to_string(a), *th);
          rule_text.clear();
        }
        break;
      }
    }
  }
  v.reply = reply_for(p, v.action, rule_text);
  settle(g, v);
  return v;
}

}  // namespace postern::policy
