// The click service's decisions (postern-clickd serves them over HTTP): what a
// request for a click link gets, and the click event it leaves.
//
// Contract: `ClickService::handle(request)` answers GET and HEAD of
// /v1/<token> and /v1/<token>/continue. The token is verified (url/token.hpp):
// a malformed, tampered, unknown-key, retired-key or expired token gets 400 and
// a plain page that names no destination, so the service is never an open
// redirect. A valid token's URL is checked against the feeds (`check`, the
// current url::UrlFeeds in postern-clickd): none lists it -> 302 to it; listed
// -> 403 with a warning page (on_listed = warn: with a "continue anyway" link to
// /v1/<token>/continue, which then redirects) or a block page (on_listed =
// block: /continue is blocked too). /healthz answers 200; anything else 404, a
// method other than GET or HEAD 405, a path longer than kMaxPath 414. Every page
// is HTML without scripts, readable on a phone, every value in it HTML-escaped.
// `event` is filled with one ECS-style click event (event.kind, event.action,
// url.original, url.domain, user.hash, postern.scan_id, user_agent.original,
// ...); a HEAD request or a known scanner's user agent is answered the same but
// its event.action is "prefetch" (not a click). Immutable and thread-safe
// (`check` must be).
#pragma once

#include <nlohmann/json.hpp>

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/registration.hpp"
#include "url/click.hpp"
#include "url/token.hpp"

namespace postern::url {

inline constexpr size_t kMaxPath = 4096;

struct ClickRequest {
  std::string method;  // "GET", "HEAD", ...
  std::string path;
  std::string user_agent;
  std::string remote;  // client address, for the event ("" = unknown)
};

struct ClickResponse {
  int status = 200;
  std::string body;                                       // HTML (or text)
  std::string content_type = "text/html; charset=utf-8";  // of body
  std::string location;                                   // for 302
};

// One feed listing of a URL.
struct Listing {
  std::string feed;
  std::string label;  // "phishing", "malware", ... ("" = none)
};
using FeedCheck = std::function<std::vector<Listing>(const std::string& url)>;

// The check against the current feeds of the "url.feeds" service of `services`
// (url/feeds.hpp; each call takes the feed set current then); none when absent.
FeedCheck feed_check(const core::ServiceSet& services);

// Whether a request comes from a link scanner or prefetcher rather than a person: HEAD,
// or a user agent of a known mail security scanner, an HTTP library or a headless browser.
bool is_prefetch(std::string_view method, std::string_view user_agent);

std::string html_escape(std::string_view s);

class ClickService {
 public:
  ClickService(std::shared_ptr<const KeyRing> keys, std::chrono::seconds max_age,
               OnListed on_listed, FeedCheck check)
      : keys_(std::move(keys)),
        max_age_(max_age),
        on_listed_(on_listed),
        check_(std::move(check)) {}

  ClickResponse handle(
      const ClickRequest& r, nlohmann::json& event,
      std::chrono::system_clock::time_point now = std::chrono::system_clock::now()) const;

 private:
  std::shared_ptr<const KeyRing> keys_;
  std::chrono::seconds max_age_;
  OnListed on_listed_;
  FeedCheck check_;
};

}  // namespace postern::url
