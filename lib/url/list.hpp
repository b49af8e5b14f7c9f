// UrlList: the web URLs of one message as the url stage read them (normalized,
// unwrapped, relative links resolved against a <base href>), with where each was
// found and its feed hits.
//
// Contract: the url stage (url/stage.hpp) builds it once per message and puts it
// on the transaction (Transaction::put); later stages read it with
// `tx.get<url::UrlList>()` and need the "url.list" tag to run after it: the
// uribl stage, the event, and lib/content's `url` and `url.host` fields (so a
// rule sees the destination behind Safe Links). Immutable once put; lives as
// long as the transaction.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "url/feeds.hpp"
#include "url/url.hpp"

namespace postern::url {

struct FoundUrl {
  Url url;
  std::string part;    // MIME part path ("" for the Subject)
  std::string source;  // "a@href", "text", "text-defanged", "subject", "pdf", "ooxml", ...
  bool defanged = false;
  std::vector<FeedHit> feed_hits;
  bool based = false;  // a relative HTML link, resolved against the part's <base href>
};

struct UrlList {
  std::vector<FoundUrl> urls;  // distinct web URLs, in the order first found, at most max_urls
  size_t candidates = 0;       // every candidate read
  size_t dropped = 0;          // distinct web URLs beyond max_urls, not checked
  size_t unreadable = 0;       // candidates claiming to be web links that do not parse
};

}  // namespace postern::url
