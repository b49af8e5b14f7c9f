// The url and uribl stages (see stage.hpp).
#include "url/stage.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <unordered_map>
#include <unordered_set>

#include "attach/stage.hpp"
#include "core/finding_groups.hpp"
#include "dns/transaction_budget.hpp"
#include "mime/analysis.hpp"
#include "mime/headers.hpp"
#include "url/symbols.hpp"

namespace postern::url {
namespace {

constexpr size_t kMaxShown = 200;  // bytes of a URL in a detail

struct Candidate {
  std::string_view raw;
  std::string_view part, source;
  bool defanged = false;
  bool based = false;  // a relative link resolved against its part's <base href>
};

// `s` for a detail: at most kMaxShown bytes (whole UTF-8 characters), controls as spaces (a
// raw link may hold line breaks; a detail is one line).
std::string shown(std::string_view s) {
  size_t n = s.size();
  if (n > kMaxShown) {
    n = kMaxShown;
    while (n > 0 && (static_cast<unsigned char>(s[n]) & 0xc0) == 0x80) --n;
  }
  std::string out(s.substr(0, n));
  for (char& c : out)
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = ' ';
  return n < s.size() ? out + "..." : out;
}

// The catalogued score of one of lib/url's symbols, else `score` (a policy's own).
double score_of(std::string_view symbol, double score) {
  for (const auto& s : symbols())
    if (s.name == symbol) return s.score;
  return score;
}

// One finding per symbol (core::FindingGroups), at its catalogued score.
struct Findings : core::FindingGroups {
  void add(std::string_view symbol, double score, std::string detail) {
    FindingGroups::add(symbol, score_of(symbol, score), std::move(detail));
  }
};

// Whether a userinfo reads as a domain ("paypal.com", "www.bank.example:443").
bool domain_like(std::string_view userinfo) {
  userinfo = userinfo.substr(0, userinfo.find(':'));
  if (userinfo.find('.') == std::string_view::npos) return false;
  auto u = parse_one("http://" + std::string(userinfo) + "/");
  return u && !u->ip_host && u->registrable != u->host.substr(u->host.rfind('.') + 1) &&
         u->registrable.find('.') != std::string::npos;
}

bool vendor_wrapper(std::string_view by) {
  return by == "safelinks" || by == "urldefense";
}

}  // namespace

core::Step UrlStage::on_message(core::Transaction& tx) const {
  const mime::Analysis* a = tx.get<mime::Analysis>();
  if (!a) return core::Step::next();
  auto list = std::make_shared<UrlList>();
  // The candidates: views into the analysis, the attach report and `owned`.
  std::vector<Candidate> cands;
  std::vector<std::string> owned;
  std::vector<std::pair<size_t, size_t>> owned_at;  // (index in cands, index in owned)
  const size_t cap = policy_.max_urls * 4 + 100;    // candidates read at most
  auto add_owned = [&](std::string s, std::string_view part, std::string_view source, bool defanged,
                       bool based = false) {
    owned.push_back(std::move(s));
    owned_at.emplace_back(cands.size(), owned.size() - 1);
    cands.push_back({{}, part, source, defanged, based});
  };
  // The base URL of each HTML part: its first <base href> (html::extract gives it in document
  // order), when that is an http(s) URL. A relative link of the part is then resolved against
  // it, as a browser does; without one, relative links stay unchecked.
  std::unordered_map<std::string_view, std::string_view> bases;
  for (const auto& l : a->links)
    if (l.source == "base@href") bases.emplace(l.part, l.url);
  for (const auto& l : a->links) {
    auto base = bases.find(l.part);
    std::optional<std::string> resolved;
    if (base != bases.end() && l.source != "base@href" && !looks_web(l.url))
      resolved = resolve(base->second, l.url);
    if (resolved)
      add_owned(std::move(*resolved), l.part, l.source, false, true);
    else
      cands.push_back({l.url, l.part, l.source, false});
  }
  for (const auto& leaf : a->leaves) {
    if (leaf.part == nullptr || leaf.text.empty() || !leaf.data.empty()) continue;
    for (auto& u : mime::defanged_text_urls(leaf.text, policy_.max_urls))
      add_owned(std::move(u), leaf.part->path, "text-defanged", true);
  }
  for (const auto& subject : mime::user_headers(tx).subjects) {
    for (auto& u : mime::text_urls(subject, 20)) add_owned(std::move(u), "", "subject", false);
    for (auto& u : mime::defanged_text_urls(subject, 20))
      add_owned(std::move(u), "", "subject", true);
  }
  if (const auto* ar = tx.get<attach::AttachReport>())
    for (const auto& fu : ar->urls) cands.push_back({fu.url, fu.part, fu.source, false});
  for (const auto& [ci, oi] : owned_at) cands[ci].raw = owned[oi];

  const std::shared_ptr<const FeedSet> feeds = feeds_ ? feeds_->current() : nullptr;
  const auto feed_config = [&](std::string_view name) -> const FeedConfig* {
    for (const auto& f : policy_.feeds)
      if (f.name == name) return &f;
    return nullptr;
  };
  Findings found;
  std::unordered_set<std::string> seen;
  std::string first_unreadable;
  for (const auto& c : cands) {
    if (list->candidates >= cap || tx.budget().tick()) break;
    ++list->candidates;
    auto u = parse(c.raw);
    if (!u) {
      if (looks_web(c.raw)) {
        ++list->unreadable;
        found.add("URL_UNREADABLE", 0,
                  fmt::format("{} ({} in part {})", shown(c.raw), c.source,
                              c.part.empty() ? "header" : c.part));
      }
      continue;
    }
    if (!u->web()) continue;
    if (seen.contains(u->normalized)) continue;
    if (list->urls.size() >= policy_.max_urls) {
      ++list->dropped;
      continue;
    }
    seen.insert(u->normalized);
    FoundUrl f{std::move(*u), std::string(c.part), std::string(c.source), c.defanged, {}, c.based};
    const Url& x = f.url;
    const std::string where = fmt::format("{} ({}{}{})", shown(x.normalized), f.source,
                                          f.part.empty() ? "" : " in part ", f.part);
    if (!x.userinfo.empty())
      found.add(domain_like(x.userinfo) ? "URL_USERINFO_DOMAIN" : "URL_USERINFO", 0,
                fmt::format("\"{}@\" before the host of {}", shown(x.userinfo), where));
    if (x.ip_obfuscated) found.add("URL_IP_OBFUSCATED", 0, where);
    if (x.mixed_script)
      found.add("URL_IDN_MIXED_SCRIPT", 0, fmt::format("{} = {}", x.host_unicode, where));
    if (f.defanged) found.add("URL_OBFUSCATED", 0, where);
    if (!x.wrapped_by.empty() && !vendor_wrapper(x.wrapped_by))
      found.add("URL_REDIRECTOR", 0, fmt::format("{} through {}", where, x.wrapped_by));
    if (x.unwrap_limit) found.add("URL_UNWRAP_LIMIT", 0, where);
    if (feeds) {
      f.feed_hits = feeds->match(x);
      for (const auto& h : f.feed_hits) {
        const FeedConfig* fc = feed_config(h.feed);
        const std::string symbol = fc ? fc->symbol : "URL_FEED_" + h.category;
        std::string detail =
            fmt::format("{} listed by {} ({} {})", where, h.feed, h.match, shown(h.entry));
        if (!h.label.empty()) detail += ": " + h.label;
        found.add(symbol, fc ? fc->score : 0, std::move(detail));
      }
    }
    list->urls.push_back(std::move(f));
  }
  if (list->dropped > 0)
    found.add("URL_LIMIT", 0,
              fmt::format("{} distinct URLs beyond max_urls = {} not checked", list->dropped,
                          policy_.max_urls));
  found.report(tx);
  tx.put<UrlList>(list);
  return core::Step::next();
}

core::Step UriblStage::on_message(core::Transaction& tx) const {
  const UrlList* list = tx.get<UrlList>();
  if (!list || list->urls.empty() || max_lookups_ == 0) return core::Step::next();
  std::vector<reputation::DnsblName> names;
  std::unordered_set<std::string> asked;
  for (const auto& f : list->urls) {
    if (names.size() >= max_lookups_) break;
    const Url& u = f.url;
    if (u.ip_host) {
      auto ip = core::IpAddress::parse(u.ip);  // an IPv4-mapped literal is its IPv4 address
      if (!ip || reputation::is_local_address(*ip) || !asked.insert(ip->to_string()).second)
        continue;
      names.push_back({reputation::reversed_name(*ip), ip->to_string()});
    } else if (u.registrable.find('.') != std::string::npos && asked.insert(u.registrable).second) {
      names.push_back({u.registrable, u.registrable});
    }
  }
  if (names.empty()) return core::Step::next();
  dns::Budget& budget = dns::transaction_budget(tx, resolver_, max_queries_);
  auto report = std::make_shared<UriblReport>();
  report->lookups = names.size();
  using Kind = reputation::DnsblResult::Kind;
  Findings found;
  auto results = dnsbl_.check_names(names, budget);
  for (size_t n = 0; n < names.size(); ++n) {
    const std::string& name = names[n].id;
    for (const auto& r : results[n]) {
      const policy::DnsblZone& z = *r.zone;
      switch (r.kind) {
        case Kind::NotListed:
          break;
        case Kind::Error:
          found.add("URIBL_ERROR", 0, fmt::format("{} for {}: {}", z.zone, name, r.detail));
          break;
        case Kind::TempError:
          found.add("URIBL_TEMPERROR", 0, fmt::format("{} for {}: {}", z.zone, name, r.detail));
          break;
        case Kind::Listed: {
          report->listings.push_back({name, z.zone, r.codes});
          std::string detail =
              fmt::format("{} listed by {} ({})", name, z.zone, fmt::join(r.codes, ","));
          if (!r.text.empty()) detail += ": " + r.text;
          for (const auto& [sym, score] : reputation::listing_symbols(r))
            found.add(sym, score, detail);
          break;
        }
      }
    }
  }
  found.report(tx);
  tx.put<UriblReport>(report);
  return core::Step::next();
}

}  // namespace postern::url
