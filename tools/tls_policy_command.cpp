// `postern tls-policy export` (see tls_policy_command.hpp).
#include "tools/tls_policy_command.hpp"

#include <fmt/format.h>

#include <cstdio>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "dns/config.hpp"
#include "dns/resolver.hpp"
#include "policy/config.hpp"
#include "scan/registry.hpp"
#include "state/config.hpp"
#include "state/store.hpp"
#include "tls/mta_sts.hpp"
#include "tls/policy.hpp"
#include "tools/mta_sts_fetch.hpp"

namespace postern::tools {
namespace {

constexpr std::string_view kCacheNs = "tls.mta-sts";

struct StsResult {
  std::optional<tls::StsPolicy> policy;
  std::string source;  // "fetched", "cache", "none"
  std::string result;  // "ok", "no-record", "fetch-error", "invalid-policy", "dns-error"
  std::string detail;
};

// The cached "id<TAB>policy" of `domain`, when the store has it.
std::optional<std::pair<std::string, tls::StsPolicy>> cached(state::Store* st,
                                                             const std::string& domain) {
  if (!st) return std::nullopt;
  auto v = st->get(kCacheNs, domain);
  if (!v || !*v) return std::nullopt;
  const std::string& s = **v;
  size_t tab = s.find('\t');
  if (tab == std::string::npos) return std::nullopt;
  auto p = tls::from_cache(std::string_view(s).substr(tab + 1));
  if (!p) return std::nullopt;
  return std::make_pair(s.substr(0, tab), *p);
}

StsResult lookup(const std::string& domain, dns::Resolver* resolver, state::Store* st,
                 const FetchOptions& fo, int64_t max_age_cap, bool refresh) {
  StsResult r;
  auto old = cached(st, domain);
  auto fall_back = [&](std::string result, std::string detail) {
    r.result = std::move(result);
    r.detail = std::move(detail);
    if (old) {
      r.policy = old->second;
      r.source = "cache";
    } else {
      r.source = "none";
    }
    return r;
  };
  std::string id;
  if (resolver) {
    auto a = resolver->resolve("_mta-sts." + domain, dns::Type::TXT);
    if (a.status == dns::Status::NxDomain || a.status == dns::Status::NoData)
      return fall_back("no-record", "no _mta-sts TXT record");
    if (a.status != dns::Status::Ok)
      return fall_back("dns-error", fmt::format("_mta-sts TXT: {}", dns::to_string(a.status)));
    std::vector<std::string> ids;
    for (const auto& rec : a.records)
      if (auto i = tls::parse_sts_txt(rec)) ids.push_back(*i);
    if (ids.size() != 1)  // RFC 8461 3.1: not exactly one STSv1 record = no policy
      return fall_back("no-record", fmt::format("{} valid _mta-sts TXT records", ids.size()));
    id = ids.front();
    if (old && old->first == id && !refresh) {
      r.policy = old->second;
      r.source = "cache";
      r.result = "ok";
      r.detail = "id " + id + " unchanged";
      return r;
    }
  }
  // The policy host's addresses come from postern's resolver too: curl is given them
  // and asks no resolver of its own (the system's would bypass [dns] and its DNSSEC).
  FetchOptions f = fo;
  if (resolver) {
    const std::string host = "mta-sts." + domain;
    auto q4 = resolver->query(host, dns::Type::A);
    auto q6 = resolver->query(host, dns::Type::AAAA);
    std::string failed;
    for (auto* q : {&q4, &q6}) {
      const dns::Answer& a = q->get();
      if (a.status == dns::Status::Ok)
        f.addresses.insert(f.addresses.end(), a.records.begin(), a.records.end());
      else if (a.status != dns::Status::NxDomain && a.status != dns::Status::NoData)
        failed = fmt::format("{} {}: {}", host, q == &q4 ? "A" : "AAAA", dns::to_string(a.status));
    }
    if (f.addresses.empty() && !failed.empty()) return fall_back("dns-error", failed);
    if (f.addresses.empty())
      return fall_back("fetch-error", fmt::format("{} has no A or AAAA record", host));
  }
  auto body = fetch_sts_policy(domain, f);
  if (!body) return fall_back("fetch-error", body.error());
  auto p = tls::parse_sts_policy(*body, max_age_cap);
  if (!p) return fall_back("invalid-policy", p.error());
  r.policy = *p;
  r.source = "fetched";
  r.result = "ok";
  r.detail = id.empty() ? "fetched" : "id " + id;
  if (st && p->max_age > 0)
    (void)st->put(kCacheNs, domain, id + "\t" + tls::to_cache(*p),
                  std::chrono::seconds(p->max_age));
  return r;
}

bool write_output(const std::string& path, const std::string& text) {
  if (path.empty() || path == "-") {
    fmt::print("{}", text);
    return true;
  }
  const std::string tmp = path + ".tmp";
  FILE* f = std::fopen(tmp.c_str(), "wb");
  if (!f) return false;
  bool ok = std::fwrite(text.data(), 1, text.size(), f) == text.size();
  ok = (std::fclose(f) == 0) && ok;
  return ok && std::rename(tmp.c_str(), path.c_str()) == 0;
}

}  // namespace

int run_tls_policy_export(const TlsPolicyOptions& o) {
  auto cfg = scan::load_config(o.config, !o.config_explicit);
  if (!cfg) {
    for (const auto& e : cfg.error()) fmt::print(stderr, "{}\n", e.to_string());
    return 1;
  }
  auto pol = scan::load_checked_policy(o.policy_dirs.empty() ? cfg->policy_dirs : o.policy_dirs);
  if (!pol) {
    for (const auto& e : pol.error()) fmt::print(stderr, "{}\n", e.to_string());
    return 1;
  }
  const tls::OutboundPolicy& out = pol->sections.section<tls::TlsPolicy>("tls").outbound;
  std::map<std::string, std::string> lines;  // domain -> the rest of its line
  std::set<std::string> sts(out.mta_sts_domains.begin(), out.mta_sts_domains.end());
  for (const auto& [name, r] : out.rules) {
    if (!r.enabled) continue;
    std::string rest = r.level;
    if (!r.match.empty()) {
      rest += " match=";
      for (size_t i = 0; i < r.match.size(); ++i) rest += (i ? ":" : "") + r.match[i];
    }
    for (const auto& d : r.domains) {
      lines[d] = rest;
      if (r.mta_sts && !d.starts_with('.')) sts.insert(d);
    }
  }
  std::shared_ptr<dns::Resolver> resolver;
  std::shared_ptr<state::Store> store;
  if (!sts.empty()) {
    auto res = dns::Resolver::create(dns::options(dns::config_of(*cfg)));
    if (!res) {
      fmt::print(stderr, "postern tls-policy: the DNS resolver: {}\n", res.error());
      return 1;
    }
    resolver = *res;
    auto st = state::open_store(*cfg);
    if (!st) {
      fmt::print(stderr, "postern tls-policy: the state store: {}\n", st.error());
      return 1;
    }
    store = *st;
  }
  FetchOptions fo;
  fo.ca_file = o.ca_file.empty() ? out.ca_file : o.ca_file;
  fo.timeout_ms = static_cast<long>(out.fetch_timeout_ms);
  fo.port = o.port;
  for (const auto& d : sts) {
    StsResult r = lookup(d, resolver.get(), store.get(), fo, out.max_age_cap, o.refresh);
    nlohmann::json rpt = {{"policy-domain", d}};
    nlohmann::json mx = nlohmann::json::array();
    std::string table_line;
    if (r.policy) {
      std::vector<std::string> ps = {"version: STSv1",
                                     fmt::format("mode: {}", tls::mode_name(r.policy->mode))};
      for (const auto& m : r.policy->mx) {
        ps.push_back("mx: " + m);
        mx.push_back(m);
      }
      ps.push_back(fmt::format("max_age: {}", r.policy->max_age));
      rpt["policy-type"] = "sts";
      rpt["policy-string"] = ps;
      rpt["mx-host"] = mx;
      table_line = tls::policy_line(d, *r.policy);
      if (r.policy->mode == tls::StsPolicy::Mode::Enforce)
        lines[d] = table_line.substr(d.size() + 1);
      else if (r.policy->mode == tls::StsPolicy::Mode::Testing && !lines.contains(d))
        lines[d] = "may";
    } else {
      rpt["policy-type"] = "no-policy-found";
    }
    nlohmann::json j = {{"event",
                         {{"kind", "event"},
                          {"action", "tls-policy"},
                          {"outcome", r.result == "ok" ? "success" : "failure"}}},
                        {"tls_rpt", rpt},
                        {"postern",
                         {{"tls_policy",
                           {{"source", r.source},
                            {"result", r.result},
                            {"detail", r.detail},
                            {"line", lines.contains(d) ? d + " " + lines[d] : ""}}}}}};
    fmt::print(stderr, "{}\n", j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
  }
  std::string text =
      "# smtp_tls_policy_maps for Postfix, written by `postern tls-policy export`:\n"
      "# [tls.outbound] entries and MTA-STS policies. Do not edit: the next export replaces it.\n";
  for (const auto& [d, rest] : lines) text += d + " " + rest + "\n";
  if (!write_output(o.output, text)) {
    fmt::print(stderr, "postern tls-policy: cannot write {}\n", o.output);
    return 1;
  }
  return 0;
}

}  // namespace postern::tools
