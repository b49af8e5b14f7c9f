// UrlStage ("url"): every URL of a message, read as a browser would, checked
// against the threat feeds; UriblStage ("uribl"): their domains and addresses
// asked of the URIBL/DBL zones.
//
// Contract (url): a content stage, after the mime and attach stages
// ("mime.analysis", "attach.files"). The candidates, in this order: the links
// the MIME analysis found (HTML href/src/action..., URLs in text/plain, each
// with its part path and source; in an HTML part with a <base href>, the first
// one when it is an http(s) URL, a relative link is resolved against it as a
// browser does: url::resolve, `based`; without one it stays unchecked), defanged URLs in the text
// parts (mime::defanged_text_urls, source "text-defanged"), URLs in the Subject fields (source
// "subject", defanged ones too), and the URLs the attach stage read from attachments (PDF /URI:
// "pdf", Office relationships: "ooxml"). Each is read with url::parse (normalized, unwrapped); a
// candidate that claims to be a web link and does not parse is URL_UNREADABLE; other schemes
// (mailto:, cid:, relative links) are left to lib/content. Web URLs are kept once each (by
// normalized form, the first place found), at most `max_urls`; beyond,
// URL_LIMIT and the rest are counted, not checked. Each kept URL gives the
// findings of its reading (URL_USERINFO[_DOMAIN], URL_IP_OBFUSCATED,
// URL_IDN_MIXED_SCRIPT, URL_OBFUSCATED, URL_REDIRECTOR, URL_UNWRAP_LIMIT) and
// is matched against the feed set current at the start of the message
// ("url.feeds", when configured): each hit adds its feed's symbol. One finding
// per symbol: the first URL in the detail and how many more. The list is put
// on the transaction (UrlList) for later stages and the event. Ticks the CPU
// budget per candidate; stops early when spent. Immutable, shared by threads.
//
// Contract (uribl): after "url.list", with "dns.resolver": the distinct
// registrable domains and public IP hosts of the list, in order, at most
// `max_uribl_lookups`, looked up in every [url.uribl.NAME] zone at once through
// the transaction's DNS budget (reputation::Dnsbl::check_names: domains as
// "<domain>.<zone>", addresses reversed; the DNSBL cache, answer rules and
// timeouts). A listing adds its code's symbol (or the zone's) once, detail
// "<name> listed by <zone> (<codes>)"; URIBL_ERROR / URIBL_TEMPERROR as the
// DNSBL stage does. The listings are put on the transaction (UriblReport).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "core/stage.hpp"
#include "dns/resolver.hpp"
#include "reputation/dnsbl.hpp"
#include "url/feeds.hpp"
#include "url/list.hpp"
#include "url/url.hpp"
#include "url/url_policy.hpp"

namespace postern::url {

struct UriblListing {
  std::string name;  // the domain or address looked up
  std::string zone;
  std::vector<std::string> codes;
};

struct UriblReport {
  std::vector<UriblListing> listings;
  size_t lookups = 0;  // names looked up
};

class UrlStage final : public core::Stage {
 public:
  UrlStage(UrlPolicy policy, std::shared_ptr<UrlFeeds> feeds)
      : policy_(std::move(policy)), feeds_(std::move(feeds)) {}
  std::string_view name() const override { return "url"; }
  bool content() const override { return true; }
  core::Step on_message(core::Transaction& tx) const override;

 private:
  UrlPolicy policy_;
  std::shared_ptr<UrlFeeds> feeds_;
};

class UriblStage final : public core::Stage {
 public:
  UriblStage(std::shared_ptr<dns::Resolver> resolver, size_t max_queries, size_t max_lookups,
             std::vector<policy::DnsblZone> zones, std::shared_ptr<reputation::DnsblCache> cache)
      : resolver_(std::move(resolver)),
        max_queries_(max_queries),
        max_lookups_(max_lookups),
        dnsbl_(std::move(zones), std::move(cache)) {}
  std::string_view name() const override { return "uribl"; }
  core::Step on_message(core::Transaction& tx) const override;

 private:
  std::shared_ptr<dns::Resolver> resolver_;
  size_t max_queries_, max_lookups_;
  reputation::Dnsbl dnsbl_;
};

}  // namespace postern::url
