// The [url] policy section: the URL stage's limits, its threat feeds and its
// URIBL zones.
//
//   [url]
//   enabled = true            the url stage (extraction, checks, feeds, URIBL)
//   max_urls = 500            distinct URLs checked per message; beyond: URL_LIMIT
//   max_uribl_lookups = 20    distinct domains and addresses asked of the URIBL zones
//   feed_interval = 60        seconds between checks for changed feed files
//
//   [[url.feed]]              one threat feed (url/feeds.hpp), by name
//   name = "phishunt"
//   path = "feeds/phishunt.txt"       relative to the policy file
//   format = "list"                   "list" | "csv" | "urlhaus" (= csv)
//   category = "phish"                "phish" | "malware" | "spam": URL_FEED_<CATEGORY>
//   symbol = "MY_FEED"                optional: the admin's own symbol instead ...
//   score = 5.0                       ... and its score
//   enabled = false                   removes a feed an earlier file defined
//
//   [url.uribl.NAME]          a URIBL/DBL zone, read as a [dnsbl.NAME] zone
//   zone = "dbl.spamhaus.org"         (zone, timeout_ms, symbol, score, codes)
//
// Layering: a later file sets [url] keys one by one, replaces a feed of the
// same name (in its place) and a zone of the same name. Errors at
// file:line:column.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "core/registration.hpp"
#include "policy/policy.hpp"
#include "url/feeds.hpp"

namespace postern::url {

struct UrlPolicy {
  bool enabled = true;
  size_t max_urls = 500;
  size_t max_uribl_lookups = 20;
  int64_t feed_interval = 60;
  std::vector<FeedConfig> feeds;
  std::vector<policy::DnsblZone> uribl;
};

void read_url_policy(policy::TomlSection& s, policy::Policy& p);
// The symbols the section defines: feeds' own symbols, URIBL zones' and codes'.
void url_defined_symbols(const policy::Policy& p, std::vector<core::DefinedSymbol>& out);

// The feed service's config from the policy (no feeds when [url] is off).
UrlFeedsConfig feeds_config(const policy::Policy& p);

}  // namespace postern::url
