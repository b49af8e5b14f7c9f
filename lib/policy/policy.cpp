// Policy loading (layered files), list matching, direction.
#include "policy/policy.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <filesystem>
#include <functional>
#include <tuple>

#include "core/address.hpp"
#include "core/message.hpp"
#include "policy/edits.hpp"
#include "policy/toml_reader.hpp"

namespace postern::policy {
namespace fs = std::filesystem;
using core::Action;

bool AddressPattern::matches(std::string_view address) const {
  std::string a = core::to_lower(address);
  switch (kind) {
    case Kind::Address:
      return a == text;
    case Kind::LocalPart:
      return core::to_lower(core::local_part_of(a)) == text && a.find('@') != std::string::npos;
    case Kind::Domain:
      return core::domain_of(a) == text;
    case Kind::DomainTree: {
      std::string d = core::domain_of(a);
      return d == text ||
             (d.size() > text.size() && d.ends_with(text) && d[d.size() - text.size() - 1] == '.');
    }
  }
  return false;
}

std::optional<std::string> List::match_ip(const core::IpAddress& a) const {
  for (size_t i = 0; i < networks.size(); ++i)
    if (networks[i].contains(a)) return entries[i];
  return std::nullopt;
}

std::optional<std::string> List::match_address(std::string_view address) const {
  for (size_t i = 0; i < addresses.size(); ++i)
    if (addresses[i].matches(address)) return entries[i];
  return std::nullopt;
}

double Policy::score_for(std::string_view symbol, double stage_default) const {
  auto it = scores.find(symbol);
  return it != scores.end() ? it->second : stage_default;
}

core::Direction Policy::direction_of(const core::ConnectionInfo& c) const {
  if (!c.sasl_user.empty()) return core::Direction::Outbound;
  if (auto ip = core::IpAddress::parse(c.client_address))
    for (const auto& n : internal_networks)
      if (n.contains(*ip)) return core::Direction::Outbound;
  return core::Direction::Inbound;
}

const Group& Policy::group_for(std::string_view address) const {
  for (const auto& g : groups) {
    for (const auto& a : g.addresses)
      if (a.matches(address)) return g;
    for (const auto& name : g.lists) {
      auto it = std::lower_bound(lists.begin(), lists.end(), name,
                                 [](const List& l, const std::string& n) { return l.name < n; });
      if (it != lists.end() && it->name == name && it->match_address(address)) return g;
    }
  }
  return default_group;
}

bool Policy::is_pass_recipient(std::string_view rcpt) const {
  return std::any_of(lists.begin(), lists.end(), [&](const List& l) {
    return l.pass && l.match == ListMatch::Recipient && l.match_address(rcpt).has_value();
  });
}

namespace {

bool is_symbol(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
  }) && !(s[0] >= '0' && s[0] <= '9');
}

constexpr const char* kActionsExpected =
    "expected one of accept, tag, quarantine, tempfail, discard, reject";

// Where each threshold got its current value ("inbound.tag" -> position), and in
// which order they were set, so that a threshold ordering problem found after
// layering names the line that broke it.
struct ThresholdOrigins {
  struct Origin {
    Error at;
    size_t order = 0;
  };
  std::map<std::string, Origin, std::less<>> by_key;
  size_t next = 0;
  void set(const std::string& key, Error at) { by_key[key] = {std::move(at), next++}; }
};

// A [[group]] as one file wrote it; resolved over the top level once every file is applied.
struct RawGroup {
  std::string name;
  std::vector<AddressPattern> addresses;
  std::vector<std::string> entries;
  std::vector<std::pair<std::string, Error>> lists;  // list name, where it is named
  DirectionPolicy inbound, outbound;  // what the group sets (thresholds: see `origins`)
  ThresholdOrigins origins;           // "group.NAME.inbound.tag" -> where, for the keys it sets
  std::optional<std::string> subject_prefix;
  std::optional<bool> findings_header, quarantine;
};

// What applying the files builds beside the Policy.
struct LoadState {
  ThresholdOrigins origins;
  std::vector<RawGroup> groups;
};

void read_thresholds(TomlSection& s, Thresholds& t, ThresholdOrigins& origins) {
  for (auto [key, slot] :
       {std::pair{"tag", &t.tag}, {"quarantine", &t.quarantine}, {"reject", &t.reject}}) {
    const toml::node* n = s.node(key);
    if (!n) continue;
    if (auto off = n->value_exact<std::string>(); off && *off == "off") {
      *slot = std::nullopt;
      origins.set(s.name() + "." + key, error_at(s.file(), n->source(), ""));
    } else if (auto v = read_number(*n)) {
      *slot = *v;
      origins.set(s.name() + "." + key, error_at(s.file(), n->source(), ""));
    } else if (n->is_floating_point()) {  // nan or inf
      s.error(*n, fmt::format("'{}' in [{}]: {}", key, s.name(), v.error()));
    } else {
      s.error(*n, fmt::format("'{}' in [{}]: expected a score (number) or \"off\"", key, s.name()));
    }
  }
}

void read_rules(TomlSection& parent, const toml::table& t,
                std::map<std::string, Rule, std::less<>>& rules, std::vector<SymbolRef>& refs) {
  std::string section = parent.name() + ".rules";
  for (auto&& [k, v] : t) {
    std::string sym(k.str());
    if (!is_symbol(sym)) {
      parent.error(
          k, fmt::format("rule '{}' in [{}]: expected an UPPER_SNAKE symbol name", sym, section));
      continue;
    }
    refs.push_back({sym, "rule in [" + section + "]", error_at(parent.file(), k.source(), "")});
    Rule r;
    if (auto s = v.value_exact<std::string>()) {
      auto a = core::parse_action(*s);
      if (!a) {
        parent.error(v, fmt::format("rule {}: {}", sym, kActionsExpected));
        continue;
      }
      r.action = *a;
    } else if (const toml::table* rt = v.as_table()) {
      TomlSection rs(*rt, section + "." + sym, parent.file(), parent.errors());
      auto act = rs.string("action");
      auto text = rs.string("text");  // read before any early return, or finish() calls it unknown
      if (!act) {
        if (!rs.node("action")) parent.error(v, fmt::format("rule {}: missing 'action'", sym));
        rs.finish();
        continue;
      }
      auto a = core::parse_action(*act);
      if (!a) {
        rs.error(*rs.node("action"), fmt::format("rule {}: {}", sym, kActionsExpected));
        rs.finish();
        continue;
      }
      r.action = *a;
      if (text) r.text = *text;
      rs.finish();
    } else {
      parent.error(
          v,
          fmt::format("rule {}: expected an action string or {{ action = ..., text = ... }}", sym));
      continue;
    }
    rules[sym] = std::move(r);
  }
}

void read_direction(TomlSection s, DirectionPolicy& d, ThresholdOrigins& origins,
                    std::vector<SymbolRef>& refs) {
  read_thresholds(s, d.thresholds, origins);
  if (const toml::table* r = s.table("rules")) read_rules(s, *r, d.rules, refs);
  s.finish();
}

std::optional<AddressPattern> address_pattern(std::string_view e) {
  std::string t = core::to_lower(core::trim(e));
  if (t.empty() || t.find_first_of(" \t<>,;") != std::string::npos) return std::nullopt;
  size_t at = t.find('@');
  if (at == std::string::npos) return AddressPattern{AddressPattern::Kind::DomainTree, t};
  if (t.find('@', at + 1) != std::string::npos) return std::nullopt;
  if (at == 0)
    return t.size() > 1 ? std::optional{AddressPattern{AddressPattern::Kind::Domain, t.substr(1)}}
                        : std::nullopt;
  if (at == t.size() - 1) return AddressPattern{AddressPattern::Kind::LocalPart, t.substr(0, at)};
  return AddressPattern{AddressPattern::Kind::Address, t};
}

void read_list(TomlSection s, const std::string& name, std::vector<List>& lists) {
  List l;
  l.name = name;
  bool ok = true;
  if (auto m = s.string("match")) {
    if (*m == "client_ip")
      l.match = ListMatch::ClientIp;
    else if (*m == "sender")
      l.match = ListMatch::Sender;
    else if (*m == "recipient")
      l.match = ListMatch::Recipient;
    else {
      s.error(*s.node("match"), "'match': expected \"client_ip\", \"sender\" or \"recipient\"");
      ok = false;
    }
  } else {
    s.error_here(fmt::format(
        "[{}]: missing 'match': expected \"client_ip\", \"sender\" or \"recipient\"", s.name()));
    ok = false;
  }
  if (auto sym = s.string("symbol")) {
    if (is_symbol(*sym))
      l.symbol = *sym;
    else {
      s.error(*s.node("symbol"), "'symbol': expected an UPPER_SNAKE symbol name");
      ok = false;
    }
  } else {
    s.error_here(
        fmt::format("[{}]: missing 'symbol': expected an UPPER_SNAKE symbol name", s.name()));
    ok = false;
  }
  if (auto v = s.number("score")) l.score = *v;
  if (auto v = s.boolean("pass")) l.pass = *v;
  if (l.pass && l.match != ListMatch::Recipient) {
    s.error(*s.node("pass"), "'pass': only recipient lists can let mail pass");
    ok = false;
  }
  if (const toml::node* en = s.node("entries")) {
    const toml::array* arr = en->as_array();
    if (!arr) {
      s.error(*en, "'entries': expected an array of strings");
      ok = false;
    } else {
      for (const auto& el : *arr) {
        auto str = el.value_exact<std::string>();
        if (!str) {
          s.error(el, "'entries': expected a string");
          ok = false;
          continue;
        }
        if (l.match == ListMatch::ClientIp) {
          auto c = core::Cidr::parse(core::trim(*str));
          if (!c) {
            s.error(el,
                    fmt::format("'{}': expected an IPv4 or IPv6 address or CIDR network", *str));
            ok = false;
            continue;
          }
          l.networks.push_back(*c);
        } else {
          auto p = address_pattern(*str);
          if (!p) {
            s.error(el, fmt::format("'{}': expected user@domain, user@, @domain or domain", *str));
            ok = false;
            continue;
          }
          l.addresses.push_back(*p);
        }
        l.entries.push_back(*str);
      }
    }
  }
  s.finish();
  if (!ok) return;
  auto it = std::find_if(lists.begin(), lists.end(), [&](const List& x) { return x.name == name; });
  if (it != lists.end())
    *it = std::move(l);
  else
    lists.push_back(std::move(l));
}

bool is_group_name(std::string_view n) {
  return !n.empty() && n.size() <= 64 && std::all_of(n.begin(), n.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
           c == '-' || c == '_';
  });
}

// One [[group]] table. `defined_here`: the names this file defined already.
void read_group(const toml::table& t, const std::string& path, Errors& errs,
                std::vector<RawGroup>& groups, std::vector<SymbolRef>& refs,
                std::map<std::string, Error, std::less<>>& defined_here) {
  std::string peek = t["name"].value_exact<std::string>().value_or("");
  TomlSection s(t, is_group_name(peek) ? "group." + peek : std::string("group"), path, errs);
  RawGroup g;
  bool ok = true;
  if (auto n = s.string("name")) {
    if (!is_group_name(*n)) {
      s.error(*s.node("name"),
              "'name': expected a group name: 1 to 64 letters, digits, '.', '-' or '_'");
      ok = false;
    } else if (auto it = defined_here.find(*n); it != defined_here.end()) {
      s.error(*s.node("name"), fmt::format("group '{}' is defined twice in this file (first at "
                                           "line {}); a later file may replace it",
                                           *n, it->second.line));
      ok = false;
    } else {
      g.name = *n;
      defined_here.emplace(*n, error_at(path, s.node("name")->source(), ""));
    }
  } else {
    if (!s.node("name")) s.error_here("[[group]]: missing 'name'");
    ok = false;
  }
  const bool is_default = g.name == kDefaultGroup;
  const toml::node* rn = s.node("recipients");
  const toml::node* ln = s.node("lists");
  if (is_default && (rn || ln)) {
    s.error(rn ? *rn : *ln, fmt::format("'{}' in [group.default]: the default group is everyone "
                                        "no other group matches; it takes no addresses",
                                        rn ? "recipients" : "lists"));
    ok = false;
  } else if (!is_default && !g.name.empty() && !rn && !ln) {
    s.error_here(
        fmt::format("[group.{}]: missing 'recipients' or 'lists': the addresses that "
                    "belong to the group",
                    g.name));
    ok = false;
  }
  if (rn) {
    if (const toml::array* arr = rn->as_array()) {
      for (const auto& el : *arr) {
        auto str = el.value_exact<std::string>();
        auto pat = str ? address_pattern(*str) : std::nullopt;
        if (!pat) {
          s.error(el,
                  str ? fmt::format("'{}': expected user@domain, user@, @domain or domain", *str)
                      : std::string("'recipients': expected a string"));
          ok = false;
          continue;
        }
        g.addresses.push_back(*pat);
        g.entries.push_back(*str);
      }
    } else {
      s.error(*rn, "'recipients': expected an array of address patterns");
      ok = false;
    }
  }
  if (ln) {
    if (const toml::array* arr = ln->as_array()) {
      for (const auto& el : *arr) {
        if (auto str = el.value_exact<std::string>()) {
          g.lists.emplace_back(*str, error_at(path, el.source(), ""));
        } else {
          s.error(el, "'lists': expected a list name (a string)");
          ok = false;
        }
      }
    } else {
      s.error(*ln, "'lists': expected an array of list names");
      ok = false;
    }
  }
  if (const auto* d = s.table("inbound"))
    read_direction(TomlSection(*d, s.name() + ".inbound", path, errs), g.inbound, g.origins, refs);
  if (const auto* d = s.table("outbound"))
    read_direction(TomlSection(*d, s.name() + ".outbound", path, errs), g.outbound, g.origins,
                   refs);
  g.subject_prefix = s.string("subject_prefix");
  g.findings_header = s.boolean("findings_header");
  g.quarantine = s.boolean("quarantine");
  s.finish();
  if (!ok) return;
  auto it = std::find_if(groups.begin(), groups.end(),
                         [&](const RawGroup& x) { return x.name == g.name; });
  if (it != groups.end())
    *it = std::move(g);  // replaced whole, in its place
  else
    groups.push_back(std::move(g));
}

// "127.0.0.2" style: an IPv4 address in 127.0.0.0/8, as DNSBLs answer.
bool is_dnsbl_code(std::string_view c) {
  auto ip = core::IpAddress::parse(c);
  return ip && !ip->v6 && ip->bytes[0] == 127 && ip->to_string() == c;
}

void read_dnsbl_code(TomlSection& parent, const toml::key& k, const toml::node& v, DnsblZone& z,
                     bool& ok) {
  std::string code(k.str());
  if (!is_dnsbl_code(code)) {
    parent.error(k, fmt::format("code '{}' in [{}]: expected an address in 127.0.0.0/8 "
                                "such as \"127.0.0.2\"",
                                code, parent.name()));
    ok = false;
    return;
  }
  const toml::table* t = v.as_table();
  if (!t) {
    parent.error(v, fmt::format("code {}: expected {{ symbol = ..., score = ... }}", code));
    ok = false;
    return;
  }
  TomlSection cs(*t, parent.name() + ".codes." + code, parent.file(), parent.errors());
  DnsblCode c;
  if (auto sym = cs.string("symbol"); sym && is_symbol(*sym)) {
    c.symbol = *sym;
  } else {
    if (sym)
      cs.error(*cs.node("symbol"), "'symbol': expected an UPPER_SNAKE symbol name");
    else
      parent.error(v, fmt::format("code {}: missing 'symbol'", code));
    ok = false;
  }
  if (auto sc = cs.number("score")) c.score = *sc;
  cs.finish();
  z.codes[code] = std::move(c);
}

void read_dnsbl(TomlSection s, const std::string& name, std::vector<DnsblZone>& zones) {
  DnsblZone z;
  z.name = name;
  bool ok = true;
  bool enabled = s.boolean("enabled").value_or(true);
  if (auto v = s.string("zone")) {
    std::string zn = core::to_lower(core::trim(*v));
    if (!zn.empty() && zn.back() == '.') zn.pop_back();
    // <32 reversed nibbles of an IPv6 address>.<zone> must stay within 253 characters
    if (core::is_hostname(zn, true) && zn.size() <= 180) {
      z.zone = zn;
    } else {
      s.error(*s.node("zone"), "'zone': expected a DNS zone name such as \"zen.spamhaus.org\"");
      ok = false;
    }
  } else if (enabled) {
    s.error_here(fmt::format("[{}]: missing 'zone'", s.name()));
    ok = false;
  }
  if (auto v = s.integer("timeout_ms", 10, 60000)) z.timeout_ms = static_cast<int>(*v);
  if (auto sym = s.string("symbol")) {
    if (is_symbol(*sym)) {
      z.symbol = *sym;
    } else {
      s.error(*s.node("symbol"), "'symbol': expected an UPPER_SNAKE symbol name");
      ok = false;
    }
  } else if (enabled) {
    s.error_here(
        fmt::format("[{}]: missing 'symbol': expected an UPPER_SNAKE symbol name", s.name()));
    ok = false;
  }
  if (auto v = s.number("score")) z.score = *v;
  if (const toml::table* codes = s.table("codes"))
    for (auto&& [k, v] : *codes) read_dnsbl_code(s, k, v, z, ok);
  s.finish();
  if (!ok) return;
  std::erase_if(zones, [&](const DnsblZone& x) { return x.name == name; });
  if (enabled) zones.push_back(std::move(z));
}

void read_reputation(TomlSection s, Policy& p) {
  if (auto v = s.string("decide_at")) {
    if (*v == "rcpt")
      p.decide_at = DecideAt::Rcpt;
    else if (*v == "connect")
      p.decide_at = DecideAt::Connect;
    else if (*v == "helo")
      p.decide_at = DecideAt::Helo;
    else
      s.error(*s.node("decide_at"), "'decide_at': expected \"rcpt\", \"connect\" or \"helo\"");
  }
  if (auto v = s.integer("dnsbl_cache", 0, 1000000)) p.dnsbl_cache = static_cast<size_t>(*v);
  s.finish();
}

void read_reply(TomlSection s, core::SmtpReply& r, char first_digit) {
  if (auto v = s.string("code")) {
    if (v->size() == 3 && (*v)[0] == first_digit && std::all_of(v->begin(), v->end(), ::isdigit))
      r.code = *v;
    else
      s.error(*s.node("code"),
              fmt::format("'code': expected a three-digit {}xx SMTP code", first_digit));
  }
  if (auto v = s.string("xcode")) {
    if (v->size() >= 5 && (*v)[0] == first_digit && (*v)[1] == '.')
      r.xcode = *v;
    else
      s.error(*s.node("xcode"),
              fmt::format("'xcode': expected an enhanced status code {}.x.y", first_digit));
  }
  if (auto v = s.string("text")) {
    if (v->find_first_of("\r\n") == std::string::npos && !v->empty())
      r.text = *v;
    else
      s.error(*s.node("text"), "'text': expected one non-empty line");
  }
  s.finish();
}

void apply_file(const std::string& path, const toml::table& t, Policy& p, Errors& errs,
                LoadState& state, std::span<const core::PolicySection> readers) {
  ThresholdOrigins& origins = state.origins;
  TomlSection top(t, "", path, errs);
  if (const auto* d = top.table("inbound"))
    read_direction(TomlSection(*d, "inbound", path, errs), p.inbound, origins, p.symbol_refs);
  if (const auto* d = top.table("outbound"))
    read_direction(TomlSection(*d, "outbound", path, errs), p.outbound, origins, p.symbol_refs);
  if (const auto* sc = top.table("scores")) {
    for (auto&& [k, v] : *sc) {
      std::string sym(k.str());
      if (!is_symbol(sym))
        errs.push_back(error_at(
            path, k.source(), fmt::format("score '{}': expected an UPPER_SNAKE symbol name", sym)));
      else if (auto num = read_number(v)) {
        p.scores[sym] = *num;
        p.symbol_refs.push_back({sym, "score", error_at(path, k.source(), "")});
      } else
        errs.push_back(error_at(path, v.source(), fmt::format("score {}: {}", sym, num.error())));
    }
  }
  if (const auto* ls = top.table("lists")) {
    for (auto&& [k, v] : *ls) {
      std::string name(k.str());
      if (const toml::table* lt = v.as_table())
        read_list(TomlSection(*lt, "lists." + name, path, errs), name, p.lists);
      else
        errs.push_back(error_at(path, v.source(),
                                fmt::format("list '{}': expected a table [lists.{}]", name, name)));
    }
  }
  if (const auto* bl = top.table("dnsbl")) {
    for (auto&& [k, v] : *bl) {
      std::string name(k.str());
      if (const toml::table* zt = v.as_table())
        read_dnsbl(TomlSection(*zt, "dnsbl." + name, path, errs), name, p.dnsbl);
      else
        errs.push_back(error_at(
            path, v.source(), fmt::format("dnsbl '{}': expected a table [dnsbl.{}]", name, name)));
    }
  }
  if (const auto* r = top.table("reputation"))
    read_reputation(TomlSection(*r, "reputation", path, errs), p);
  if (const auto* n = top.table("network")) {
    TomlSection s(*n, "network", path, errs);
    if (const toml::node* in = s.node("internal_networks")) {
      if (const toml::array* arr = in->as_array()) {
        std::vector<core::Cidr> nets;
        for (const auto& el : *arr) {
          auto str = el.value_exact<std::string>();
          auto c = str ? core::Cidr::parse(core::trim(*str)) : std::nullopt;
          if (!c)
            s.error(el, "'internal_networks': expected an IPv4 or IPv6 address or CIDR network");
          else
            nets.push_back(*c);
        }
        p.internal_networks = std::move(nets);
      } else {
        s.error(*in, "'internal_networks': expected an array of CIDR networks");
      }
    }
    s.finish();
  }
  if (const auto* r = top.table("replies")) {
    TomlSection s(*r, "replies", path, errs);
    if (const auto* rj = s.table("reject"))
      read_reply(TomlSection(*rj, "replies.reject", path, errs), p.reject_reply, '5');
    if (const auto* tf = s.table("tempfail"))
      read_reply(TomlSection(*tf, "replies.tempfail", path, errs), p.tempfail_reply, '4');
    s.finish();
  }
  if (const auto* tg = top.table("tag")) {
    TomlSection s(*tg, "tag", path, errs);
    if (auto v = s.string("subject_prefix")) p.subject_prefix = *v;
    s.finish();
  }
  if (const auto* h = top.table("headers")) {
    TomlSection s(*h, "headers", path, errs);
    if (auto v = s.boolean("findings")) p.findings_header = *v;
    if (auto v = s.boolean("report")) p.report_header = *v;
    s.finish();
  }
  if (const auto* d = top.table("dmarc")) {
    TomlSection s(*d, "dmarc", path, errs);
    if (auto v = s.strings("trusted_arc_sealers")) {
      p.trusted_arc_sealers.clear();
      for (auto& x : *v) p.trusted_arc_sealers.push_back(core::to_lower(core::trim(x)));
    }
    s.finish();
  }
  if (const auto* b = top.table("banner"))
    read_banner(TomlSection(*b, "banner", path, errs), p.banner);
  if (const auto* a = top.table("archive"))
    read_archive(TomlSection(*a, "archive", path, errs), p.archive);
  if (const toml::node* gn = top.node("group")) {
    const toml::array* arr = gn->as_array();
    std::map<std::string, Error, std::less<>> defined_here;
    if (arr && arr->is_array_of_tables()) {
      for (const auto& el : *arr)
        read_group(*el.as_table(), path, errs, state.groups, p.symbol_refs, defined_here);
    } else {
      errs.push_back(
          error_at(path, gn->source(),
                   "'group': expected [[group]] tables (an array of tables, one per group)"));
    }
  }
  for (const auto& r : readers) {
    if (const auto* st = top.table(r.name)) {
      TomlSection s(*st, std::string(r.name), path, errs);
      r.read(s, p);
    }
  }
  top.finish();
}

}  // namespace

void read_dnsbl_zone(TomlSection& s, const std::string& name, std::vector<DnsblZone>& zones) {
  read_dnsbl(s, name, zones);
}

std::optional<AddressPattern> AddressPattern::parse(std::string_view entry) {
  return address_pattern(entry);
}

namespace {

// The order of thresholds is checked on the layered result; the error points at the
// threshold set last and names where the other one was set. `origin(key)` says where
// "tag", "quarantine" or "reject" got its value; with `group_only`, an ordering that the
// group did not touch (both values inherited) is left to the top level's check.
using OriginOf = std::function<const ThresholdOrigins::Origin*(const char* key, bool& from_group)>;

void check_order(const std::string& label, const Thresholds& t, const OriginOf& origin,
                 bool group_only, Errors& errs) {
  const std::array<std::pair<const char*, std::optional<double>>, 3> v{
      {{"tag", t.tag}, {"quarantine", t.quarantine}, {"reject", t.reject}}};
  for (size_t i = 0; i < v.size(); ++i) {
    for (size_t j = i + 1; j < v.size(); ++j) {
      if (!v[i].second || !v[j].second || *v[i].second <= *v[j].second) continue;
      bool lo_group = false, hi_group = false;
      const ThresholdOrigins::Origin* lo = origin(v[i].first, lo_group);
      const ThresholdOrigins::Origin* hi = origin(v[j].first, hi_group);
      if (!lo || !hi) continue;  // cannot happen: set by a file
      if (group_only && !lo_group && !hi_group) continue;
      // The group's own setting is to blame over an inherited one; else the one set last.
      bool lo_last = lo_group != hi_group ? lo_group : lo->order > hi->order;
      const Error& blame = lo_last ? lo->at : hi->at;
      const Error& other = lo_last ? hi->at : lo->at;
      Error e = blame;
      e.message = fmt::format(
          "[{}] after layering: expected tag <= quarantine <= reject, but {} = {} is above {} = "
          "{} (set at {}:{}:{})",
          label, v[i].first, *v[i].second, v[j].first, *v[j].second, other.file, other.line,
          other.column);
      errs.push_back(std::move(e));
      return;
    }
  }
}

void check_threshold_order(const Policy& p, const ThresholdOrigins& origins, Errors& errs) {
  for (auto [dir_name, d] : {std::pair{"inbound", &p.inbound}, {"outbound", &p.outbound}}) {
    const char* dir = dir_name;  // clang 14: a lambda may not capture a structured binding
    check_order(
        dir, d->thresholds,
        [&](const char* key, bool&) -> const ThresholdOrigins::Origin* {
          auto it = origins.by_key.find(fmt::format("{}.{}", dir, key));
          return it == origins.by_key.end() ? nullptr : &it->second;
        },
        false, errs);
  }
}

// A group over the layered top level: its thresholds key by key, its rules per symbol, its
// tag settings. Checks the lists it names and the order of its thresholds.
Group resolve_group(const Policy& p, const RawGroup& r, const ThresholdOrigins& top, Errors& errs) {
  Group g;
  g.name = r.name;
  g.addresses = r.addresses;
  g.entries = r.entries;
  for (const auto& ref : r.lists) {
    const std::string& name = ref.first;
    auto it =
        std::find_if(p.lists.begin(), p.lists.end(), [&](const List& l) { return l.name == name; });
    Error e = ref.second;
    if (it == p.lists.end())
      e.message = fmt::format("'lists' in [group.{}] names the unknown list '{}'", r.name, name);
    else if (it->match == ListMatch::ClientIp)
      e.message = fmt::format(
          "'lists' in [group.{}]: list '{}' holds client addresses; a group takes address lists "
          "(match = \"recipient\" or \"sender\")",
          r.name, name);
    else {
      g.lists.push_back(name);
      continue;
    }
    errs.push_back(std::move(e));
  }
  const std::string section = "group." + r.name;
  for (auto [dir_name, raw, top_dir, out] :
       {std::tuple{"inbound", &r.inbound, &p.inbound, &g.inbound},
        {"outbound", &r.outbound, &p.outbound, &g.outbound}}) {
    const char* dir = dir_name;  // clang 14: a lambda may not capture a structured binding
    *out = *top_dir;
    for (auto [key, slot, raw_slot] :
         {std::tuple{"tag", &out->thresholds.tag, &raw->thresholds.tag},
          {"quarantine", &out->thresholds.quarantine, &raw->thresholds.quarantine},
          {"reject", &out->thresholds.reject, &raw->thresholds.reject}})
      if (r.origins.by_key.contains(fmt::format("{}.{}.{}", section, dir, key))) *slot = *raw_slot;
    for (const auto& [sym, rule] : raw->rules) out->rules[sym] = rule;
    check_order(
        section + "." + dir, out->thresholds,
        [&](const char* key, bool& from_group) -> const ThresholdOrigins::Origin* {
          auto it = r.origins.by_key.find(fmt::format("{}.{}.{}", section, dir, key));
          if (it != r.origins.by_key.end()) return from_group = true, &it->second;
          auto t = top.by_key.find(fmt::format("{}.{}", dir, key));
          return t == top.by_key.end() ? nullptr : &t->second;
        },
        true, errs);
  }
  g.subject_prefix = r.subject_prefix.value_or(p.subject_prefix);
  g.findings_header = r.findings_header.value_or(p.findings_header);
  g.quarantine = r.quarantine.value_or(true);
  return g;
}

}  // namespace

namespace {

// The checks and ordering that need every file applied.
postern::expected<Policy, Errors> finish_policy(Policy p, const LoadState& state, Errors& errs) {
  check_threshold_order(p, state.origins, errs);
  RawGroup top_default;
  top_default.name = std::string(kDefaultGroup);
  const RawGroup* raw_default = &top_default;
  for (const auto& r : state.groups) {
    if (r.name == kDefaultGroup)
      raw_default = &r;
    else
      p.groups.push_back(resolve_group(p, r, state.origins, errs));
  }
  p.default_group = resolve_group(p, *raw_default, state.origins, errs);
  if (!errs.empty()) return postern::unexpected(errs);
  std::sort(p.lists.begin(), p.lists.end(),
            [](const List& a, const List& b) { return a.name < b.name; });
  std::sort(p.dnsbl.begin(), p.dnsbl.end(),
            [](const DnsblZone& a, const DnsblZone& b) { return a.name < b.name; });
  return p;
}

}  // namespace

postern::expected<Policy, Errors> parse_policy(std::string_view text, const std::string& name,
                                               std::span<const core::PolicySection> readers) {
  Errors errs;
  Policy p;
  LoadState state;
  if (auto t = parse_toml(text, name, errs)) {
    apply_file(name, *t, p, errs, state, readers);
    p.files.push_back(name);
  }
  return finish_policy(std::move(p), state, errs);
}

postern::expected<Policy, Errors> load_policy(const std::vector<std::string>& dirs,
                                              std::span<const core::PolicySection> readers) {
  Errors errs;
  std::map<std::string, std::string> files;  // file name -> path; later dirs replace earlier ones
  for (const auto& d : dirs) {
    std::error_code ec;
    if (!fs::is_directory(d, ec)) {
      errs.push_back(Error{d, 0, 0, "policy directory does not exist or is not a directory"});
      continue;
    }
    for (const auto& e : fs::directory_iterator(d, ec)) {
      if (e.path().extension() != ".toml" || !e.is_regular_file(ec)) continue;
      files[e.path().filename().string()] = e.path().string();
    }
  }
  Policy p;
  LoadState state;
  for (const auto& [name, path] : files) {
    auto t = parse_toml_file(path, errs);
    if (!t) continue;
    apply_file(path, *t, p, errs, state, readers);
    p.files.push_back(path);
  }
  return finish_policy(std::move(p), state, errs);
}

}  // namespace postern::policy
