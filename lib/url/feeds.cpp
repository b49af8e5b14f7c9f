// URL feeds: entries, loading, matching and the reloading service (see feeds.hpp).
#include "url/feeds.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <fstream>

#include "core/feed_fields.hpp"

namespace postern::url {
namespace {

constexpr size_t kMaxPrefixes = 64;  // path prefixes looked up per URL and feed
constexpr size_t kMaxSuffixes = 16;  // domain suffixes looked up per URL and feed
constexpr std::string_view kLabelColumns[] = {"threat", "target", "company", "tags", "signature"};

// "host[:port]/path?query": the URL without its scheme.
std::string_view key_of(const Url& u) {
  return std::string_view(u.normalized).substr(u.scheme.size() + 3);
}

std::string_view hostport_of(const Url& u) {
  std::string_view k = key_of(u);
  return k.substr(0, k.find('/'));
}

// How an address entry is keyed ("192.0.2.1", "[2001:db8::1]"), entry and URL alike.
std::string ip_key(const core::IpAddress& ip) {
  return ip.v6 ? "[" + ip.to_string() + "]" : ip.to_string();
}

}  // namespace

uint32_t Feed::label_index(std::string_view label) {
  if (label.empty() || label == "n/a") return 0;
  label = label.substr(0, 64);
  auto it = label_ids_.find(std::string(label));
  if (it != label_ids_.end()) return it->second;
  if (label_ids_.size() >= 100000) return 0;
  uint32_t id = static_cast<uint32_t>(labels_.size());
  labels_.emplace_back(label);
  label_ids_.emplace(std::string(label), id);
  return id;
}

bool Feed::add(std::string_view e, std::string_view label) {
  e = core::feed_trim(e);
  if (e.empty() || e.size() > kMaxUrlLength) return false;
  const uint32_t l = label_index(label);
  if (e.find("://") == std::string_view::npos) {
    if (auto net = core::Cidr::parse(e)) {
      if (auto ip = core::IpAddress::parse(e)) {
        hosts_.emplace(ip_key(*ip), l);
      } else {
        nets_.emplace_back(*net, l);
      }
      ++size_;
      return true;
    }
  }
  const bool star = e.back() == '*';
  if (star) e.remove_suffix(1);
  const bool bare = e.find("://") == std::string_view::npos;
  auto u = parse_one(bare ? "http://" + std::string(e) : std::string(e));
  if (!u || !u->web()) return false;
  const std::string hp(hostport_of(*u));
  if (bare && e.find('/') == std::string_view::npos && !star) {
    domains_.emplace(u->host, l);
  } else if (star || (u->path.size() > 1 && u->path.back() == '/' &&
                      u->path.find('?') == std::string::npos)) {
    prefixes_.emplace(std::string(key_of(*u)), l);
  } else if (u->path == "/") {
    hosts_.emplace(hp, l);
  } else {
    urls_.emplace(std::string(key_of(*u)), l);
  }
  ++size_;
  return true;
}

FeedHit Feed::hit(std::string_view match, const std::string& key, uint32_t label) const {
  return FeedHit{cfg_.name, std::string(match), labels_[label], cfg_.category, key};
}

std::optional<FeedHit> Feed::match_key(std::string_view key, size_t hp, bool ip_host) const {
  if (auto it = urls_.find(std::string(key)); it != urls_.end())
    return hit("url", it->first, it->second);
  if (!prefixes_.empty()) {
    // Longest first: the most specific prefix names the hit.
    std::vector<size_t> cuts;
    for (size_t i = key.size(); i > hp && cuts.size() < kMaxPrefixes; --i) {
      const char c = i < key.size() ? key[i] : '\0';
      if (i == key.size() || key[i - 1] == '/' || c == '/' || c == '.' || c == '?')
        cuts.push_back(i);
    }
    for (size_t n : cuts)
      if (auto it = prefixes_.find(std::string(key.substr(0, n))); it != prefixes_.end())
        return hit("path", it->first, it->second);
  }
  if (auto it = hosts_.find(std::string(key.substr(0, hp))); it != hosts_.end())
    return hit(ip_host ? "ip" : "host", it->first, it->second);
  return std::nullopt;
}

std::optional<FeedHit> Feed::match(const Url& u) const {
  if (!u.web()) return std::nullopt;
  const std::string_view key = key_of(u);
  if (auto h = match_key(key, hostport_of(u).size(), u.ip_host)) return h;
  if (auto it = hosts_.find(u.host); it != hosts_.end())
    return hit(u.ip_host ? "ip" : "host", it->first, it->second);
  // The address the link connects to: an IPv4-mapped IPv6 literal is its IPv4 address, and
  // the URL is looked up again as if written with it.
  const auto ip = u.ip_host ? core::IpAddress::parse(u.ip) : std::nullopt;
  if (ip && ip_key(*ip) != u.host) {
    const std::string hp = ip_key(*ip) + (u.port.empty() ? "" : ":" + u.port);
    if (auto h = match_key(hp + std::string(key.substr(hostport_of(u).size())), hp.size(), true))
      return h;
    if (auto it = hosts_.find(ip_key(*ip)); it != hosts_.end())
      return hit("ip", it->first, it->second);
  }
  if (!u.ip_host && !domains_.empty()) {
    std::string_view h = u.host;
    for (size_t n = 0; n < kMaxSuffixes && !h.empty(); ++n) {
      if (auto it = domains_.find(std::string(h)); it != domains_.end())
        return hit("domain", it->first, it->second);
      size_t dot = h.find('.');
      if (dot == std::string_view::npos) break;
      h.remove_prefix(dot + 1);
    }
  }
  if (ip)
    for (const auto& [net, label] : nets_)
      if (net.contains(*ip)) return hit("ip", ip->to_string(), label);
  return std::nullopt;
}

postern::expected<Feed, std::string> Feed::load(const FeedConfig& cfg, size_t max_entries) {
  std::ifstream in(cfg.path, std::ios::binary);
  if (!in)
    return postern::unexpected(fmt::format("url feed {}: cannot open {}", cfg.name, cfg.path));
  Feed f;
  f.cfg_ = cfg;
  const bool csv = cfg.format == FeedConfig::Format::Csv;
  size_t url_col = SIZE_MAX, label_col = SIZE_MAX, bad = 0, lineno = 0;
  auto header = [&](const std::vector<std::string_view>& names) {
    auto col = std::find(names.begin(), names.end(), "url");
    if (col == names.end()) return false;
    url_col = static_cast<size_t>(col - names.begin());
    for (auto want : kLabelColumns)
      if (auto it = std::find(names.begin(), names.end(), want); it != names.end()) {
        label_col = static_cast<size_t>(it - names.begin());
        break;
      }
    return true;
  };
  std::string line;
  while (std::getline(in, line)) {
    ++lineno;
    if (line.size() > 64 * 1024)
      return postern::unexpected(
          fmt::format("url feed {}: {}:{}: line over 64 KiB", cfg.name, cfg.path, lineno));
    std::string_view l = core::feed_trim(line);
    if (l.empty()) continue;
    if (l.front() == '#') {
      if (csv) header(core::feed_fields(core::feed_trim(l.substr(1))));
      continue;
    }
    bool ok;
    if (csv) {
      auto fs = core::feed_fields(l);
      if (url_col == SIZE_MAX && header(fs)) continue;
      std::string_view entry, label;
      if (url_col < fs.size()) {
        entry = fs[url_col];
      } else {
        for (auto fld : fs)
          if (fld.find("://") != std::string_view::npos) {
            entry = fld;
            break;
          }
      }
      if (label_col < fs.size()) label = fs[label_col];
      ok = f.add(entry, label);
    } else {
      l = l.substr(0, l.find_first_of(" \t"));
      ok = f.add(l);
    }
    if (!ok) ++bad;
    if (f.size_ > max_entries)
      return postern::unexpected(
          fmt::format("url feed {}: {}: more than {} entries", cfg.name, cfg.path, max_entries));
  }
  if (f.size_ == 0 && bad > 0)
    return postern::unexpected(fmt::format(
        "url feed {}: {}: {} line(s) and no entry in any of them", cfg.name, cfg.path, bad));
  return f;
}

std::vector<FeedHit> FeedSet::match(const Url& u) const {
  std::vector<FeedHit> out;
  for (const auto& f : feeds_)
    if (auto h = f.match(u)) out.push_back(std::move(*h));
  return out;
}

const Feed* FeedSet::feed(std::string_view name) const {
  for (const auto& f : feeds_)
    if (f.config().name == name) return &f;
  return nullptr;
}

size_t FeedSet::entries() const {
  size_t n = 0;
  for (const auto& f : feeds_) n += f.size();
  return n;
}

postern::expected<std::shared_ptr<const FeedSet>, std::string> UrlFeeds::load_all() const {
  std::vector<Feed> feeds;
  for (const auto& c : cfg_.feeds) {
    auto f = Feed::load(c);
    if (!f) return postern::unexpected(f.error());
    feeds.push_back(std::move(*f));
  }
  return std::make_shared<const FeedSet>(std::move(feeds));
}

postern::expected<std::shared_ptr<UrlFeeds>, std::string> UrlFeeds::start(UrlFeedsConfig cfg) {
  std::shared_ptr<UrlFeeds> feeds(new UrlFeeds(std::move(cfg)));
  std::vector<std::string> paths;
  for (const auto& c : feeds->cfg_.feeds) paths.push_back(c.path);
  auto err = feeds->set_.start(std::move(paths), feeds->cfg_.interval,
                               [f = feeds.get()] { return f->load_all(); });
  if (!err.empty()) return postern::unexpected(err);
  return feeds;
}

UrlFeeds::~UrlFeeds() = default;

}  // namespace postern::url
