// URL threat feeds: lists of known-bad URLs, hosts, domains and addresses as
// admins download them, and the reloading service that holds them.
//
// Contract: `Feed::load(cfg)` reads one file. Blank lines and '#' comments are
// skipped. Format "list": one entry a line (the first whitespace-separated
// field). Format "csv" (alias "urlhaus"): CSV with a header naming a "url"
// column (URLhaus puts it in a '#' comment line: "# id,dateadded,url,...";
// phishunt and PhishTank on the first line); the label is the "threat",
// "target", "company", "tags" or "signature" column, the first present; a
// CSV without a header takes the first field holding "://". An entry is:
//   "1.2.3.4", "10.0.0.0/8", "2001:db8::/32"          ip     the address (range)
//   "example.com"                                      domain that name and every name under it
//   "http://example.com" or "http://example.com/"      host   that host exactly (any scheme)
//   "http://example.com/dir/", ".../login*"            path   URLs whose path starts so
//                                                             (at a '/', '.' or '?' boundary)
//   "http://example.com/a/b?c=d"                       url    that URL (any scheme), normalized
// An entry is read with url::parse_one (normalized as the URLs it is compared
// with: punycode, case, dot-segments, default port) but never unwrapped. A
// line with no entry counts as bad; a file with bad lines and no entry at
// all, more than `max_entries` entries or a line over 64 KiB is an error (a
// truncated download must not load as an empty feed). Memory: a hash map
// entry per URL, host, path or domain (~80 bytes plus the key), labels shared.
//
// `FeedSet::match(url)` asks every feed; a feed gives at most one hit, the
// most specific one (url, then path, host, domain, ip). Cost per URL: a few
// hash lookups per feed (at most 64 path prefixes and 16 domain suffixes) and
// a scan of the feed's CIDR ranges (exact addresses are hashed): linear in the
// URL's length. A URL whose host is an IPv4-mapped IPv6 literal
// ("http://[::ffff:192.0.2.1]/x") is matched as the IPv4 address it connects to
// as well ("http://192.0.2.1/x", the address and the ranges). Immutable, shared
// by threads.
//
// `UrlFeeds` is the service ("url.feeds", made by lib/url's registration from
// the policy's [[url.feed]] entries, so `postern scan`, postern-milter and
// postern-clickd share it): every feed loaded once, shared read-only;
// `current()` is what a scan (or a click) uses. Like attach::HashFeeds it
// reloads the whole set when a file changes (core::FileWatcher, every
// `interval`), off to the side, and swaps it in atomically; a scan in flight
// keeps the set it took; a failed reload keeps the old set and its error is
// kept (`last_error`).
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/expected.hpp"
#include "core/file_watcher.hpp"
#include "core/ip.hpp"
#include "url/url.hpp"

namespace postern::url {

inline constexpr std::string_view kFeedsService = "url.feeds";

struct FeedConfig {
  enum class Format { List, Csv };
  std::string name;  // the [[url.feed]] name, in findings and the event
  std::string path;  // absolute
  Format format = Format::List;
  std::string category;  // "phish", "malware" or "spam": the symbol URL_FEED_<CATEGORY>
  std::string symbol;    // the finding (the category's, or the admin's own)
  double score = 0;      // for the admin's own symbol
  bool operator==(const FeedConfig&) const = default;
};

struct FeedHit {
  std::string feed;      // the feed's name
  std::string match;     // "url"|"path"|"host"|"domain"|"ip"
  std::string label;     // the feed's label (threat, target), "" when none
  std::string category;  // the feed's category
  std::string entry;     // the entry that matched (its key: host/path, host, domain, address)
};

class Feed {
 public:
  static constexpr size_t kDefaultMaxEntries = 5'000'000;
  static postern::expected<Feed, std::string> load(const FeedConfig& cfg,
                                                   size_t max_entries = kDefaultMaxEntries);
  // Adds one entry as a line of a list gives it; false when it is none.
  bool add(std::string_view entry, std::string_view label = {});

  std::optional<FeedHit> match(const Url& u) const;
  size_t size() const { return size_; }
  const FeedConfig& config() const { return cfg_; }

 private:
  using Map = std::unordered_map<std::string, uint32_t>;  // key -> label index
  uint32_t label_index(std::string_view label);
  FeedHit hit(std::string_view match, const std::string& key, uint32_t label) const;
  // The url, path and host[:port] hits of "host[:port]/path?query" (`hp`: host[:port] bytes).
  std::optional<FeedHit> match_key(std::string_view key, size_t hp, bool ip_host) const;

  FeedConfig cfg_;
  Map urls_, prefixes_, hosts_, domains_;
  std::vector<std::pair<core::Cidr, uint32_t>> nets_;
  std::vector<std::string> labels_{""};
  std::unordered_map<std::string, uint32_t> label_ids_;
  size_t size_ = 0;
};

class FeedSet {
 public:
  FeedSet() = default;
  explicit FeedSet(std::vector<Feed> feeds) : feeds_(std::move(feeds)) {}
  // One hit per listing feed, in feed order.
  std::vector<FeedHit> match(const Url& u) const;
  const std::vector<Feed>& feeds() const { return feeds_; }
  const Feed* feed(std::string_view name) const;
  size_t entries() const;

 private:
  std::vector<Feed> feeds_;
};

struct UrlFeedsConfig {
  std::vector<FeedConfig> feeds;
  std::chrono::milliseconds interval{60'000};
  bool operator==(const UrlFeedsConfig&) const = default;
};

class UrlFeeds {
 public:
  // Loads every feed; the first error fails (a config error at startup).
  static postern::expected<std::shared_ptr<UrlFeeds>, std::string> start(UrlFeedsConfig cfg);
  ~UrlFeeds();
  UrlFeeds(const UrlFeeds&) = delete;
  UrlFeeds& operator=(const UrlFeeds&) = delete;

  std::shared_ptr<const FeedSet> current() const { return set_.current(); }
  const UrlFeedsConfig& config() const { return cfg_; }
  // Checks the files now (what the thread does each interval); true when it swapped.
  bool check_now() { return set_.check_now(); }
  std::string last_error() const { return set_.last_error(); }
  uint64_t reloads() const { return set_.reloads(); }

 private:
  explicit UrlFeeds(UrlFeedsConfig cfg) : cfg_(std::move(cfg)) {}
  postern::expected<std::shared_ptr<const FeedSet>, std::string> load_all() const;

  UrlFeedsConfig cfg_;
  core::Reloading<FeedSet> set_;  // last member: its watcher stops first
};

}  // namespace postern::url
