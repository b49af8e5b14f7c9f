// The [heuristics] policy section: the lists HeuristicsStage reads.
#include <fmt/format.h>

#include <algorithm>

#include "content/heuristics.hpp"
#include "core/address.hpp"
#include "policy/policy.hpp"
#include "policy/toml_reader.hpp"

namespace postern::content {
namespace {

using core::to_lower;

// A domain, or a domain with a path ("docs.google.com/forms") when `paths`.
bool valid_entry(std::string_view e, bool paths) {
  size_t slash = e.find('/');
  if (slash != std::string_view::npos && !paths) return false;
  std::string_view host = e.substr(0, slash);
  return !host.empty() && core::is_hostname(host, true);
}

// Appends the lower-cased strings of `key` to `out`, each checked and the whole bounded.
void read_list(policy::TomlSection& s, std::string_view key, std::vector<std::string>& out,
               bool domains, bool paths = false) {
  auto v = s.strings(key);
  if (!v) return;
  const toml::node& n = *s.node(key);
  for (const auto& e : *v) {
    std::string l = to_lower(e);
    if (l.empty() || l.size() > 253 || (domains && !valid_entry(l, paths))) {
      s.error(n, fmt::format("'{}': \"{}\" is not a {}", key, e.substr(0, 64),
                             domains ? (paths ? "domain or domain/path" : "domain") : "word"));
      return;
    }
    if (out.size() >= kMaxListEntries) {
      s.error(n, fmt::format("'{}': more than {} entries", key, kMaxListEntries));
      return;
    }
    if (std::find(out.begin(), out.end(), l) == out.end()) out.push_back(std::move(l));
  }
}

void read_brands(policy::TomlSection& s, HeuristicsPolicy& h) {
  const toml::table* t = s.table("brands");
  if (!t) return;
  for (const auto& [key, node] : *t) {
    const toml::table* bt = node.as_table();
    if (!bt) {
      s.error(key, fmt::format("'brands.{}': expected a table with names and domains",
                               std::string_view(key.str()).substr(0, 64)));
      continue;
    }
    policy::TomlSection b(*bt, fmt::format("{}.brands.{}", s.name(), key.str()), s.file(),
                          s.errors());
    Brand brand{.key = std::string(key.str()), .names = {}, .domains = {}};
    auto names = b.strings("names");
    if (!names || names->empty() || names->size() > kMaxBrandWords)
      b.error_here(fmt::format("'names': expected 1 to {} names", kMaxBrandWords));
    else
      for (auto& n : *names) {
        if (n.empty() || n.size() > 64) {
          b.error(*b.node("names"), "'names': a name is 1 to 64 bytes");
          break;
        }
        brand.names.push_back(n);
      }
    read_list(b, "domains", brand.domains, true);
    if (brand.domains.empty()) b.error_here("'domains': expected at least one domain");
    if (brand.domains.size() > kMaxBrandWords * 4)
      b.error(*b.node("domains"), fmt::format("'domains': at most {}", kMaxBrandWords * 4));
    b.finish();
    auto same = std::find_if(h.brands.begin(), h.brands.end(),
                             [&](const Brand& x) { return x.key == brand.key; });
    if (same != h.brands.end())
      *same = std::move(brand);
    else if (h.brands.size() >= kMaxBrands)
      s.error(key, fmt::format("'brands': more than {} brands", kMaxBrands));
    else
      h.brands.push_back(std::move(brand));
  }
}

}  // namespace

void read_heuristics_policy(policy::TomlSection& s, policy::Policy& p) {
  HeuristicsPolicy h = p.sections.section<HeuristicsPolicy>("heuristics");
  read_list(s, "freemail", h.freemail, true);
  read_list(s, "free_hosting", h.free_hosting, true, true);
  read_list(s, "shorteners", h.shorteners, true);
  read_list(s, "ipfs_gateways", h.ipfs_gateways, true);
  read_list(s, "company_words", h.company_words, false);
  read_list(s, "link_rewriters", h.link_rewriters, true);
  if (auto v = s.integer("date_future_hours", 1, 24 * 365)) h.date_future_hours = *v;
  if (auto v = s.integer("date_past_hours", 1, 24 * 3650)) h.date_past_hours = *v;
  read_brands(s, h);
  s.finish();
  p.sections.set_section("heuristics", std::move(h));
}

}  // namespace postern::content
