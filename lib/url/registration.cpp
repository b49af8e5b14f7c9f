// lib/url: the [url] policy section, the url feeds service, the symbols (see
// registration.hpp).
#include "url/registration.hpp"

#include <nlohmann/json.hpp>

#include "dns/config.hpp"
#include "reputation/dnsbl.hpp"
#include "url/feeds.hpp"
#include "url/stage.hpp"
#include "url/symbols.hpp"
#include "url/url_policy.hpp"

namespace postern::url {
namespace {

core::ServiceEntry feeds_service() {
  return {
      .name = kFeedsService,
      .make = [](const policy::Config&, const policy::Policy& pol,
                 std::string& error) -> std::shared_ptr<void> {
        UrlFeedsConfig c = feeds_config(pol);
        if (c.feeds.empty()) return nullptr;
        auto feeds = UrlFeeds::start(std::move(c));
        if (!feeds) {
          error = "[url] " + feeds.error();
          return nullptr;
        }
        return *feeds;
      },
      // The service watches its files itself; it is remade when the policy names others.
      .changed =
          [](const void* current, const policy::Config&, const policy::Config&,
             const policy::Policy& pol) {
            UrlFeedsConfig c = feeds_config(pol);
            auto* f = static_cast<const UrlFeeds*>(current);
            if (!f) return !c.feeds.empty();
            return !(f->config() == c);
          },
  };
}

using nlohmann::json;

constexpr size_t kMaxEventUrls = 100;

// postern.urls[]: every URL kept (bounded), postern.urls_dropped: the ones left out.
void write_event(const core::Transaction& tx, json& e) {
  const auto* list = tx.get<UrlList>();
  if (!list || (list->urls.empty() && list->dropped == 0)) return;
  const auto* uribl = tx.get<UriblReport>();
  json urls = json::array();
  for (const auto& f : list->urls) {
    if (urls.size() >= kMaxEventUrls) break;
    const Url& u = f.url;
    json j = {{"url", u.normalized}, {"host", u.host}, {"source", f.source}};
    if (!u.registrable.empty()) j["domain"] = u.registrable;
    if (u.host_unicode != u.host) j["host_unicode"] = u.host_unicode;
    if (!f.part.empty()) j["part"] = f.part;
    if (!u.wrapped_by.empty()) j["wrapped_by"] = u.wrapped_by;
    if (f.defanged) j["defanged"] = true;
    if (f.based) j["base"] = true;
    if (!f.feed_hits.empty()) {
      json hits = json::array();
      for (const auto& h : f.feed_hits) {
        json hj = {{"feed", h.feed}, {"match", h.match}};
        if (!h.label.empty()) hj["label"] = h.label;
        hits.push_back(std::move(hj));
      }
      j["feeds"] = std::move(hits);
    }
    if (uribl) {
      json zones = json::array();
      std::string key = u.registrable;  // the name the uribl stage looked up
      if (u.ip_host)
        if (auto ip = core::IpAddress::parse(u.ip)) key = ip->to_string();
      for (const auto& l : uribl->listings)
        if (l.name == key) zones.push_back(l.zone);
      if (!zones.empty()) j["uribl"] = std::move(zones);
    }
    urls.push_back(std::move(j));
  }
  const size_t dropped = list->dropped + (list->urls.size() - urls.size());
  e["postern"]["urls"] = std::move(urls);
  if (dropped > 0) e["postern"]["urls_dropped"] = dropped;
}

const UrlPolicy& url_policy(const core::StageContext& c) {
  return c.policy.sections.section<UrlPolicy>("url");
}

}  // namespace

const core::Registration& registration() {
  static const core::Registration r{
      .folder = "url",
      .symbols = symbols(),
      .policy_sections = {{.name = "url", .read = read_url_policy, .defined = url_defined_symbols}},
      .services = {feeds_service()},
      .stages = {{.name = "url",
                  .provides = {"url.list", "content.findings"},
                  .needs = {"mime.analysis", "attach.files"},
                  .make = [](const core::StageContext& c) -> std::unique_ptr<core::Stage> {
                    const UrlPolicy& p = url_policy(c);
                    if (!p.enabled) return nullptr;
                    return std::make_unique<UrlStage>(p, c.services.get<UrlFeeds>(kFeedsService));
                  }},
                 {.name = "uribl",
                  .provides = {"content.findings"},
                  .needs = {"url.list"},
                  .services = {"dns.resolver", "reputation.dnsbl_cache"},
                  .make = [](const core::StageContext& c) -> std::unique_ptr<core::Stage> {
                    const UrlPolicy& p = url_policy(c);
                    if (!p.enabled || p.uribl.empty()) return nullptr;
                    return std::make_unique<UriblStage>(
                        c.services.get<dns::Resolver>("dns.resolver"),
                        static_cast<size_t>(dns::config_of(c.config).max_queries),
                        p.max_uribl_lookups, p.uribl,
                        c.services.get<reputation::DnsblCache>("reputation.dnsbl_cache"));
                  }}},
      .event_writers = {write_event},
  };
  return r;
}

}  // namespace postern::url
