// The [url] policy section reader (see url_policy.hpp).
#include "url/url_policy.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <set>

#include "core/address.hpp"
#include "policy/toml_reader.hpp"

namespace postern::url {
namespace {

constexpr size_t kMaxFeeds = 100;

bool upper_snake(std::string_view s) {
  return !s.empty() && s.size() <= 64 && s.front() >= 'A' && s.front() <= 'Z' &&
         std::all_of(s.begin(), s.end(), [](char c) {
           return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
         });
}

std::string category_symbol(std::string_view category) {
  std::string s = "URL_FEED_";
  for (char c : category) s.push_back(static_cast<char>(c - 'a' + 'A'));
  return s;
}

// One [[url.feed]] table into `feeds` (replacing the feed of its name, in its place).
void read_feed(policy::TomlSection s, std::vector<FeedConfig>& feeds) {
  FeedConfig f;
  bool ok = true;
  auto name = s.string("name");
  if (!name || name->empty() || name->size() > 64 ||
      name->find_first_of(" \t\r\n\"") != std::string::npos) {
    if (name)
      s.error(*s.node("name"), "'name': expected a short name without spaces");
    else
      s.error_here("[[url.feed]]: missing 'name'");
    ok = false;
  } else {
    f.name = *name;
  }
  bool enabled = s.boolean("enabled").value_or(true);
  if (auto p = s.string("path"); p && !p->empty()) {
    std::filesystem::path fp(*p);
    if (fp.is_relative()) fp = std::filesystem::path(s.file()).parent_path() / fp;
    f.path = fp.lexically_normal().string();
  } else if (p) {
    s.error(*s.node("path"), "'path': expected a file path");
    ok = false;
  } else if (enabled) {
    s.error_here(fmt::format("[[url.feed]] {}: missing 'path'", f.name));
    ok = false;
  }
  if (auto v = s.string("format")) {
    if (*v == "list")
      f.format = FeedConfig::Format::List;
    else if (*v == "csv" || *v == "urlhaus")
      f.format = FeedConfig::Format::Csv;
    else {
      s.error(*s.node("format"), "'format': expected \"list\", \"csv\" or \"urlhaus\"");
      ok = false;
    }
  }
  f.category = "phish";
  if (auto v = s.string("category")) {
    if (*v == "phish" || *v == "malware" || *v == "spam") {
      f.category = *v;
    } else {
      s.error(*s.node("category"), "'category': expected \"phish\", \"malware\" or \"spam\"");
      ok = false;
    }
  }
  f.symbol = category_symbol(f.category);
  if (auto v = s.string("symbol")) {
    if (upper_snake(*v)) {
      f.symbol = *v;
    } else {
      s.error(*s.node("symbol"), "'symbol': expected an UPPER_SNAKE symbol name");
      ok = false;
    }
  }
  if (auto v = s.number("score")) f.score = *v;
  s.finish();
  if (!ok) return;
  auto it = std::find_if(feeds.begin(), feeds.end(),
                         [&](const FeedConfig& x) { return x.name == f.name; });
  if (!enabled) {
    if (it != feeds.end()) feeds.erase(it);
  } else if (it != feeds.end()) {
    *it = std::move(f);
  } else {
    feeds.push_back(std::move(f));
  }
}

}  // namespace

void read_url_policy(policy::TomlSection& s, policy::Policy& pol) {
  UrlPolicy u = pol.sections.section<UrlPolicy>("url");
  if (auto v = s.boolean("enabled")) u.enabled = *v;
  if (auto v = s.integer("max_urls", 1, 100000)) u.max_urls = static_cast<size_t>(*v);
  if (auto v = s.integer("max_uribl_lookups", 0, 1000))
    u.max_uribl_lookups = static_cast<size_t>(*v);
  if (auto v = s.integer("feed_interval", 1, 86400)) u.feed_interval = *v;
  if (const toml::node* n = s.node("feed")) {
    if (const toml::array* arr = n->as_array()) {
      for (const auto& el : *arr) {
        if (const toml::table* t = el.as_table())
          read_feed(policy::TomlSection(*t, "url.feed", s.file(), s.errors()), u.feeds);
        else
          s.error(el, "[[url.feed]]: expected a table");
      }
    } else {
      s.error(*n, "'feed': expected [[url.feed]] tables");
    }
  }
  if (u.feeds.size() > kMaxFeeds) s.error_here(fmt::format("[url]: at most {} feeds", kMaxFeeds));
  if (const toml::table* zones = s.table("uribl")) {
    for (auto&& [k, v] : *zones) {
      std::string name(k.str());
      if (const toml::table* zt = v.as_table()) {
        policy::TomlSection zs(*zt, "url.uribl." + name, s.file(), s.errors());
        policy::read_dnsbl_zone(zs, name, u.uribl);
      } else {
        s.error(v, fmt::format("uribl '{}': expected a table [url.uribl.{}]", name, name));
      }
    }
  }
  s.finish();
  pol.sections.set_section("url", std::move(u));
}

void url_defined_symbols(const policy::Policy& p, std::vector<core::DefinedSymbol>& out) {
  const auto& u = p.sections.section<UrlPolicy>("url");
  std::set<std::string> seen;
  auto add = [&](const std::string& sym, double score, std::string desc, std::string by) {
    if (sym.empty() || !seen.insert(sym).second) return;
    out.push_back({.name = sym,
                   .score = score,
                   .scope = core::Scope::Transaction,
                   .description = std::move(desc),
                   .defined_by = std::move(by)});
  };
  for (const auto& f : u.feeds)
    if (f.symbol != category_symbol(f.category))
      add(f.symbol, f.score, fmt::format("a link listed by the URL feed {}", f.name),
          fmt::format("[[url.feed]] {}", f.name));
  for (const auto& z : u.uribl) {
    add(z.symbol, z.score, fmt::format("a link's domain or address listed by {}", z.zone),
        fmt::format("[url.uribl.{}]", z.name));
    for (const auto& [code, c] : z.codes)
      add(c.symbol, c.score, fmt::format("a link's domain listed by {} with {}", z.zone, code),
          fmt::format("[url.uribl.{}] code {}", z.name, code));
  }
}

UrlFeedsConfig feeds_config(const policy::Policy& p) {
  const auto& u = p.sections.section<UrlPolicy>("url");
  UrlFeedsConfig c;
  if (!u.enabled) return c;
  c.feeds = u.feeds;
  c.interval = std::chrono::seconds(u.feed_interval);
  return c;
}

}  // namespace postern::url
