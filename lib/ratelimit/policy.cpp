// [ratelimit.NAME] policy tables (see policy.hpp).
#include "ratelimit/policy.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>

#include "policy/toml_reader.hpp"
#include "scan/registry.hpp"

namespace postern::ratelimit {
namespace {

constexpr size_t kMaxSymbolBytes = 64;
constexpr size_t kMaxExemptions = 10000;

bool upper_snake(std::string_view n) {
  return !n.empty() && n.size() <= kMaxSymbolBytes && n[0] >= 'A' && n[0] <= 'Z' &&
         std::all_of(n.begin(), n.end(), [](char c) {
           return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
         });
}

std::optional<KeyKind> parse_key(std::string_view v) {
  for (KeyKind k : {KeyKind::Sasl, KeyKind::Sender, KeyKind::Ip, KeyKind::RcptDomain})
    if (to_string(k) == v) return k;
  return std::nullopt;
}

// One [ratelimit.NAME] table; nullopt after an error (reported at its position).
std::optional<RateRule> read_rule(policy::TomlSection s, const std::string& name,
                                  const toml::node& table) {
  RateRule r;
  r.name = name;
  r.at = policy::error_at(s.file(), table.source(), "");
  bool ok = true;
  auto fail = [&](const toml::node& n, std::string message) {
    s.error(n, fmt::format("[ratelimit.{}]: {}", name, std::move(message)));
    ok = false;
  };
  if (auto v = s.string("key")) {
    if (auto k = parse_key(*v))
      r.key = *k;
    else
      fail(*s.node("key"),
           fmt::format("'key': \"sasl\", \"sender\", \"ip\" or \"rcpt_domain\", not \"{}\"", *v));
  } else if (!s.node("key")) {
    s.error_here(fmt::format("[ratelimit.{}]: missing 'key'", name)), ok = false;
  } else {
    ok = false;
  }
  r.directions = r.key == KeyKind::Sasl || r.key == KeyKind::Sender
                     ? policy::Directions{false, true}
                     : policy::Directions{true, true};
  if (auto v = s.integer("limit", 1, kMaxLimit))
    r.limit = *v;
  else if (!s.node("limit"))
    s.error_here(fmt::format("[ratelimit.{}]: missing 'limit'", name)), ok = false;
  else
    ok = false;
  if (const toml::node* w = s.node("window")) {
    std::optional<std::chrono::seconds> sec;
    if (auto i = w->value<int64_t>())
      sec = parse_window(std::to_string(*i));
    else if (auto t = w->value<std::string>())
      sec = parse_window(*t);
    if (sec)
      r.window = *sec;
    else
      fail(*w,
           "'window': seconds (an integer) or \"90s\", \"10m\", \"1h\", \"2d\", from 1 s to "
           "366 days");
  } else {
    s.error_here(fmt::format("[ratelimit.{}]: missing 'window'", name)), ok = false;
  }
  if (auto v = s.string("count")) {
    if (*v == "messages")
      r.counting = Counting::Messages;
    else if (*v == "recipients")
      r.counting = Counting::Recipients;
    else
      fail(*s.node("count"),
           fmt::format("'count': \"messages\" or \"recipients\", not \"{}\"", *v));
  }
  if (!policy::read_direction(s, r.directions)) ok = false;
  if (auto v = s.string("action")) {
    auto a = core::parse_action(*v);
    if (a == core::Action::Tempfail || a == core::Action::Quarantine || a == core::Action::Tag)
      r.action = *a;
    else
      fail(*s.node("action"),
           fmt::format("'action': \"tempfail\", \"quarantine\" or \"tag\", not \"{}\"", *v));
  }
  if (auto v = s.string("text")) {
    if (v->size() > 200 ||
        std::any_of(v->begin(), v->end(), [](unsigned char c) { return c < 0x20 || c >= 0x7f; }))
      fail(*s.node("text"), "'text': one line of printable ASCII, at most 200 characters");
    else
      r.text = *v;
  }
  r.symbol = default_symbol(r.key);
  if (auto v = s.string("symbol")) {
    if (!upper_snake(*v))
      fail(*s.node("symbol"),
           fmt::format("'symbol': UPPER_SNAKE ([A-Z][A-Z0-9_]*, at most {} characters)",
                       kMaxSymbolBytes));
    else if (*v != r.symbol && scan::find_builtin_symbol(*v))
      fail(*s.node("symbol"),
           fmt::format("'symbol': {} is a catalogued symbol; name the rule's own", *v));
    else
      r.symbol = *v, r.own_symbol = *v != default_symbol(r.key);
  }
  if (auto v = s.string("on_error")) {
    if (*v == "accept")
      r.on_error = OnError::Accept;
    else if (*v == "tempfail")
      r.on_error = OnError::Tempfail;
    else
      fail(*s.node("on_error"),
           fmt::format("'on_error': \"accept\" or \"tempfail\", not \"{}\"", *v));
  }
  if (auto v = s.strings("exempt_networks")) {
    if (v->size() > kMaxExemptions) fail(*s.node("exempt_networks"), "too many entries");
    for (const auto& e : *v) {
      if (auto c = core::Cidr::parse(e))
        r.exempt_networks.push_back(*c);
      else
        fail(*s.node("exempt_networks"), fmt::format("'exempt_networks': \"{}\" is no CIDR", e));
    }
  }
  if (auto v = s.strings("exempt_users")) {
    if (v->size() > kMaxExemptions) fail(*s.node("exempt_users"), "too many entries");
    for (const auto& e : *v) {
      if (auto a = policy::AddressPattern::parse(e))
        r.exempt_users.push_back(*a);
      else
        fail(*s.node("exempt_users"),
             fmt::format("'exempt_users': \"{}\" is no address, \"@domain\", domain or \"user@\"",
                         e));
    }
  }
  s.finish();
  if (!ok) return std::nullopt;
  return r;
}

}  // namespace

std::string_view to_string(KeyKind k) {
  switch (k) {
    case KeyKind::Sasl:
      return "sasl";
    case KeyKind::Sender:
      return "sender";
    case KeyKind::Ip:
      return "ip";
    case KeyKind::RcptDomain:
      return "rcpt_domain";
  }
  return "?";
}

std::string default_symbol(KeyKind k) {
  std::string s = "RATE_LIMIT_";
  for (char c : to_string(k)) s.push_back(c == '_' ? '_' : static_cast<char>(c - 'a' + 'A'));
  return s;
}

std::optional<std::chrono::seconds> parse_window(std::string_view s) {
  if (s.empty() || s.size() > 16) return std::nullopt;
  int64_t unit = 1;
  switch (s.back()) {
    case 's':
      s.remove_suffix(1);
      break;
    case 'm':
      unit = 60, s.remove_suffix(1);
      break;
    case 'h':
      unit = 3600, s.remove_suffix(1);
      break;
    case 'd':
      unit = 86400, s.remove_suffix(1);
      break;
    default:
      break;
  }
  int64_t n = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), n);
  if (s.empty() || ec != std::errc{} || end != s.data() + s.size() || n < 1) return std::nullopt;
  constexpr int64_t kMax = 366 * 86400;
  if (n > kMax / unit) return std::nullopt;
  return std::chrono::seconds(n * unit);
}

const RateLimitPolicy& ratelimit_policy(const policy::Policy& p) {
  return p.sections.section<RateLimitPolicy>(kSection);
}

void read_ratelimit_policy(policy::TomlSection& s, policy::Policy& p) {
  RateLimitPolicy rp = ratelimit_policy(p);
  for (const std::string& name : s.keys()) {
    const toml::node* n = s.node(name);
    const toml::table* t = n ? n->as_table() : nullptr;
    if (!t) {
      s.error(*n, fmt::format("[ratelimit]: '{}': expected a table [ratelimit.{}]", name, name));
      continue;
    }
    auto it = std::find_if(rp.rules.begin(), rp.rules.end(),
                           [&](const RateRule& r) { return r.name == name; });
    if (const toml::node* en = t->get("enabled"); en && en->value<bool>() == false) {
      if (t->size() != 1)
        s.error(*en, fmt::format("[ratelimit.{}]: enabled = false takes no other key", name));
      else if (it != rp.rules.end())
        rp.rules.erase(it);
      continue;
    }
    auto r =
        read_rule(policy::TomlSection(*t, "ratelimit." + name, s.file(), s.errors()), name, *n);
    if (!r) continue;
    if (it != rp.rules.end())
      *it = std::move(*r);
    else
      rp.rules.push_back(std::move(*r));
  }
  if (rp.rules.size() > kMaxRules)
    s.error_here(fmt::format("[ratelimit]: {} rules, at most {}", rp.rules.size(), kMaxRules));
  // The policy decides: each rule's action is the hard rule of its symbol, in its directions.
  for (size_t i = 0; i < rp.rules.size(); ++i) {
    const RateRule& r = rp.rules[i];
    for (size_t j = 0; j < i; ++j) {
      const RateRule& o = rp.rules[j];
      if (o.symbol == r.symbol && o.action != r.action) {
        policy::Error e = r.at.line ? r.at : o.at;
        e.message = fmt::format(
            "[ratelimit.{}]: its symbol {} is also [ratelimit.{}]'s, with another action: "
            "give one of them a 'symbol' of its own",
            r.name, r.symbol, o.name);
        s.errors().push_back(std::move(e));
      }
    }
    // The reply text is the rule's own: the finding's detail starts with it (stage.cpp).
    const std::string text = r.action == core::Action::Tempfail ? "{detail}" : "";
    for (auto d : {core::Direction::Inbound, core::Direction::Outbound})
      if (r.directions.has(d))
        (d == core::Direction::Inbound ? p.inbound : p.outbound).rules[r.symbol] =
            policy::Rule{r.action, text};
  }
  p.sections.set_section(std::string(kSection), std::move(rp));
}

void ratelimit_defined(const policy::Policy& p, std::vector<core::DefinedSymbol>& out) {
  std::vector<std::string_view> done;  // rules may share a symbol (and then its action)
  for (const RateRule& r : ratelimit_policy(p).rules) {
    if (!r.own_symbol || std::find(done.begin(), done.end(), r.symbol) != done.end()) continue;
    done.push_back(r.symbol);
    out.push_back({r.symbol, 0.0, core::Scope::Recipient,
                   fmt::format("over the rate limit {} ({} per {} s by {})", r.name, r.limit,
                               r.window.count(), to_string(r.key)),
                   fmt::format("[ratelimit.{}]", r.name), r.at.file, r.at.line, r.at.column});
  }
}

}  // namespace postern::ratelimit
