// The click service's feed check on the url.feeds service (see click_service.hpp).
#include "url/click_service.hpp"
#include "url/feeds.hpp"
#include "url/url.hpp"

namespace postern::url {

FeedCheck feed_check(const core::ServiceSet& services) {
  std::shared_ptr<UrlFeeds> feeds = services.get<UrlFeeds>(kFeedsService);
  if (!feeds) return {};
  return [feeds](const std::string& raw) {
    std::vector<Listing> out;
    std::optional<Url> u = parse(raw);
    std::shared_ptr<const FeedSet> set = feeds->current();
    if (!u || !set) return out;
    for (const auto& h : set->match(*u))
      out.push_back({h.feed, h.label.empty() ? h.category : h.label});
    return out;
  };
}

}  // namespace postern::url
