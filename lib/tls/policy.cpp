// [tls]: the reader (see policy.hpp).
#include "tls/policy.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "policy/toml_reader.hpp"

namespace postern::tls {
namespace {

bool is_table_name(std::string_view n) {
  return !n.empty() && n.size() <= 48 && std::all_of(n.begin(), n.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
  });
}

bool is_reply_line(std::string_view m) {
  return m.size() <= 200 &&
         std::none_of(m.begin(), m.end(), [](unsigned char c) { return c < 0x20 || c == 0x7f; });
}

// One [tls.inbound.require.NAME] over `r`; false after an error (reported).
bool read_requirement(policy::TomlSection s, const std::string& name, Requirement& r) {
  r.name = name;
  bool ok = true;
  if (auto e = s.boolean("enabled")) r.enabled = *e;
  if (auto ss = s.strings("senders")) {
    r.senders.clear();
    r.sender_entries.clear();
    if (ss->size() > kMaxEntries) {
      s.error(*s.node("senders"), fmt::format("'senders': at most {} entries", kMaxEntries));
      ok = false;
    }
    for (const auto& e : *ss) {
      auto pat = policy::AddressPattern::parse(e);
      if (!pat) {
        s.error(*s.node("senders"),
                fmt::format("'senders': '{}': expected \"user@example.com\", \"user@\", "
                            "\"@example.com\" or \"example.com\"",
                            e));
        ok = false;
        continue;
      }
      r.senders.push_back(*pat);
      r.sender_entries.push_back(e);
    }
  }
  if (auto ns = s.strings("networks")) {
    r.networks.clear();
    r.network_entries.clear();
    if (ns->size() > kMaxEntries) {
      s.error(*s.node("networks"), fmt::format("'networks': at most {} entries", kMaxEntries));
      ok = false;
    }
    for (const auto& e : *ns) {
      auto c = core::Cidr::parse(e);
      if (!c) {
        s.error(*s.node("networks"),
                fmt::format("'networks': '{}': expected an address or a CIDR network", e));
        ok = false;
        continue;
      }
      r.networks.push_back(*c);
      r.network_entries.push_back(e);
    }
  }
  if (auto v = s.string("min_version")) {
    if (auto mv = min_version_from_name(*v)) {
      r.min_version = *mv;
    } else {
      s.error(*s.node("min_version"),
              "'min_version': expected \"TLSv1\", \"TLSv1.1\", \"TLSv1.2\" or \"TLSv1.3\"");
      ok = false;
    }
  }
  if (auto c = s.boolean("client_cert")) r.client_cert = *c;
  if (ok && r.enabled && r.senders.empty() && r.networks.empty()) {
    s.error_here(fmt::format("[tls.inbound.require.{}]: expected 'senders' or 'networks'", name));
    ok = false;
  }
  s.finish();
  return ok;
}

void read_inbound(policy::TomlSection& s, policy::Policy& p, InboundPolicy& in) {
  if (auto a = s.string("action")) {
    if (*a == "tempfail")
      in.action = core::Action::Tempfail;
    else if (*a == "reject")
      in.action = core::Action::Reject;
    else
      s.error(*s.node("action"), "'action': expected \"tempfail\" or \"reject\"");
  }
  if (auto m = s.string("message")) {
    if (is_reply_line(*m))
      in.message = *m;
    else
      s.error(*s.node("message"), "'message': one line of at most 200 characters");
  }
  if (const auto* rt = s.table("require")) {
    policy::TomlSection rs(*rt, "tls.inbound.require", s.file(), s.errors());
    for (const std::string& name : rs.keys()) {
      const toml::node* n = rs.node(name);
      const toml::table* t = n ? n->as_table() : nullptr;
      if (!t || !is_table_name(name)) {
        rs.error(*n, fmt::format("[tls.inbound.require]: '{}': expected a table "
                                 "[tls.inbound.require.NAME] with NAME of [a-z0-9_-]",
                                 name));
        continue;
      }
      Requirement r =
          in.requirements.contains(name) ? in.requirements.find(name)->second : Requirement{};
      if (read_requirement(
              policy::TomlSection(*t, "tls.inbound.require." + name, s.file(), s.errors()), name,
              r))
        in.requirements[name] = std::move(r);
    }
    rs.finish();
  }
  if (in.requirements.size() > kMaxRequirements)
    s.error_here(fmt::format("[tls.inbound.require]: {} requirements, at most {}",
                             in.requirements.size(), kMaxRequirements));
  s.finish();
  // The hard rules: unmet requirements end in the action (inbound only).
  for (auto sym : {kMissing, kTooLow, kUnverified}) {
    p.inbound.rules.erase(std::string(sym));
    if (in.any_enabled()) p.inbound.rules[std::string(sym)] = {in.action, in.message};
  }
}

bool read_domains(policy::TomlSection& s, std::string_view key, bool leading_dot,
                  std::vector<std::string>& out) {
  auto ds = s.strings(key);
  if (!ds) return true;
  bool ok = true;
  out.clear();
  if (ds->size() > kMaxDomains) {
    s.error(*s.node(key), fmt::format("'{}': at most {} domains", key, kMaxDomains));
    ok = false;
  }
  for (const auto& d : *ds) {
    if (!is_domain(d, leading_dot)) {
      s.error(*s.node(key), fmt::format("'{}': '{}': expected a lower-case domain name{}", key, d,
                                        leading_dot ? " (or .domain for its subdomains)" : ""));
      ok = false;
      continue;
    }
    out.push_back(d);
  }
  return ok;
}

bool read_outbound_rule(policy::TomlSection s, const std::string& name, OutboundRule& r) {
  r.name = name;
  bool ok = true;
  if (auto e = s.boolean("enabled")) r.enabled = *e;
  if (!read_domains(s, "domains", true, r.domains)) ok = false;
  if (auto l = s.string("level")) {
    static constexpr std::string_view kLevels[] = {"none",      "may",    "encrypt", "dane",
                                                   "dane-only", "verify", "secure"};
    if (std::find(std::begin(kLevels), std::end(kLevels), *l) != std::end(kLevels)) {
      r.level = *l;
    } else {
      s.error(*s.node("level"),
              "'level': expected \"none\", \"may\", \"encrypt\", \"dane\", \"dane-only\", "
              "\"verify\" or \"secure\"");
      ok = false;
    }
  }
  if (auto ms = s.strings("match")) {
    r.match.clear();
    for (const auto& m : *ms) {
      if (m == "nexthop" || m == "dot-nexthop" || m == "hostname" || is_domain(m, true)) {
        r.match.push_back(m);
      } else {
        s.error(*s.node("match"),
                fmt::format("'match': '{}': expected \"nexthop\", \"dot-nexthop\", "
                            "\"hostname\" or a domain (\".domain\" for its subdomains)",
                            m));
        ok = false;
      }
    }
  }
  if (auto m = s.boolean("mta_sts")) r.mta_sts = *m;
  if (ok && !r.match.empty() && r.level != "verify" && r.level != "secure") {
    s.error(*s.node("match"), "'match': only for the levels \"verify\" and \"secure\"");
    ok = false;
  }
  if (ok && r.enabled && r.domains.empty()) {
    s.error_here(fmt::format("[tls.outbound.{}]: expected 'domains'", name));
    ok = false;
  }
  s.finish();
  return ok;
}

void read_outbound(policy::TomlSection& s, OutboundPolicy& out) {
  read_domains(s, "mta_sts_domains", false, out.mta_sts_domains);
  if (auto v = s.integer("max_age_cap", 86400, 31557600)) out.max_age_cap = *v;
  if (auto v = s.integer("fetch_timeout_ms", 1000, 60000)) out.fetch_timeout_ms = *v;
  if (auto v = s.string("ca_file")) {
    if (!v->empty() && v->front() != '/')
      s.error(*s.node("ca_file"), "'ca_file': expected an absolute path");
    else
      out.ca_file = *v;
  }
  for (const std::string& name : s.keys()) {
    if (name == "mta_sts_domains" || name == "max_age_cap" || name == "fetch_timeout_ms" ||
        name == "ca_file")
      continue;
    const toml::node* n = s.node(name);
    const toml::table* t = n ? n->as_table() : nullptr;
    if (!t || !is_table_name(name)) {
      s.error(*n, fmt::format("[tls.outbound]: '{}': expected mta_sts_domains, max_age_cap, "
                              "fetch_timeout_ms, ca_file or a table [tls.outbound.NAME] with "
                              "NAME of [a-z0-9_-]",
                              name));
      continue;
    }
    OutboundRule r = out.rules.contains(name) ? out.rules.find(name)->second : OutboundRule{};
    if (read_outbound_rule(policy::TomlSection(*t, "tls.outbound." + name, s.file(), s.errors()),
                           name, r))
      out.rules[name] = std::move(r);
  }
  if (out.rules.size() > kMaxOutboundRules)
    s.error_here(
        fmt::format("[tls.outbound]: {} entries, at most {}", out.rules.size(), kMaxOutboundRules));
  s.finish();
}

}  // namespace

bool is_domain(std::string_view d, bool leading_dot) {
  if (leading_dot && d.starts_with('.')) d.remove_prefix(1);
  if (d.empty() || d.size() > 253) return false;
  size_t label = 0;
  for (size_t i = 0; i < d.size(); ++i) {
    const char c = d[i];
    if (c == '.') {
      if (label == 0 || d[i - 1] == '-') return false;
      label = 0;
      continue;
    }
    const bool ldh = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
    if (!ldh || (label == 0 && c == '-') || ++label > 63) return false;
  }
  return label > 0 && d.back() != '-';
}

void read_tls(policy::TomlSection& s, policy::Policy& p) {
  TlsPolicy tp = p.sections.section<TlsPolicy>("tls");
  if (const auto* it = s.table("inbound")) {
    policy::TomlSection in(*it, "tls.inbound", s.file(), s.errors());
    read_inbound(in, p, tp.inbound);
  }
  if (const auto* ot = s.table("outbound")) {
    policy::TomlSection out(*ot, "tls.outbound", s.file(), s.errors());
    read_outbound(out, tp.outbound);
  }
  s.finish();
  p.sections.set_section("tls", std::move(tp));
}

}  // namespace postern::tls
