// The click service's decisions (see click_service.hpp).
#include "url/click_service.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <ctime>

#include "html/escape.hpp"
#include "url/rewrite.hpp"

namespace postern::url {
namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c | 0x20);
  return out;
}

std::string iso_time(std::chrono::system_clock::time_point t) {
  std::time_t s = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&s, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

constexpr std::string_view kStyle =
    "body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:0;"
    "background:#f4f4f4;color:#111;line-height:1.5}"
    "main{max-width:36rem;margin:0 auto;padding:1.5rem 1rem}"
    "h1{font-size:1.5rem;margin:0 0 1rem}"
    ".box{background:#fff;border-radius:8px;padding:1.25rem;border-top:6px solid #888}"
    ".warn{border-top-color:#c60}.block{border-top-color:#b00}"
    ".dest{font-family:ui-monospace,Menlo,Consolas,monospace;word-break:break-all;"
    "background:#f7f7f7;border:1px solid #ddd;padding:.5rem;border-radius:4px}"
    ".domain{font-size:1.2rem;font-weight:bold}"
    "a.btn{display:inline-block;margin-top:1rem;padding:.6rem 1rem;border-radius:4px;"
    "text-decoration:none;border:1px solid #999;color:#111}"
    ".small{font-size:.85rem;color:#555}";

std::string page(std::string_view title, std::string_view cls, std::string_view inner) {
  return fmt::format(
      "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
      "<meta name=\"referrer\" content=\"no-referrer\">"
      "<title>{}</title><style>{}</style></head>\n<body><main><div class=\"box {}\">\n{}\n"
      "</div></main></body></html>\n",
      html_escape(title), kStyle, cls, inner);
}

std::string listing_text(const std::vector<Listing>& hits) {
  std::string out;
  for (const auto& h : hits) {
    if (!out.empty()) out += ", ";
    out += h.feed + (h.label.empty() ? "" : " (" + h.label + ")");
  }
  return out;
}

}  // namespace

std::string html_escape(std::string_view s) {
  return html::escape(s);
}

bool is_prefetch(std::string_view method, std::string_view user_agent) {
  if (method == "HEAD") return true;
  static constexpr std::array<std::string_view, 22> kAgents{
      // mail security link scanners
      "safelinks", "microsoft office", "ms-office", "bingpreview", "proofpoint", "urldefense",
      "mimecast", "barracuda", "forcepoint", "symantec", "trendmicro",
      // HTTP libraries and tools
      "curl/", "wget/", "python-requests", "python-urllib", "go-http-client", "java/",
      "libwww-perl", "okhttp",
      // headless browsers and link previewers
      "headlesschrome", "phantomjs", "slackbot"};
  std::string ua = lower(user_agent);
  if (ua.empty()) return true;  // people's browsers always say who they are
  return std::any_of(kAgents.begin(), kAgents.end(),
                     [&](std::string_view a) { return ua.find(a) != std::string::npos; });
}

ClickResponse ClickService::handle(const ClickRequest& r, nlohmann::json& event,
                                   std::chrono::system_clock::time_point now) const {
  bool prefetch = is_prefetch(r.method, r.user_agent);
  event = nlohmann::json::object();
  event["@timestamp"] = iso_time(now);
  event["event"] = {{"kind", "event"}, {"category", {"web"}}, {"module", "postern-clickd"}};
  event["http"] = {{"request", {{"method", r.method}}}};
  event["user_agent"] = {{"original", r.user_agent.substr(0, 512)}};
  if (!r.remote.empty()) event["source"] = {{"ip", r.remote}};
  auto done = [&](std::string action, ClickResponse resp) {
    event["event"]["action"] = prefetch ? "prefetch" : action;
    event["postern"]["click"]["decision"] = action;
    event["postern"]["click"]["prefetch"] = prefetch;
    event["http"]["response"] = {{"status_code", resp.status}};
    return resp;
  };
  auto refused = [&](int status, std::string_view title, std::string_view text) {
    return ClickResponse{
        status,
        page(title, "block",
             fmt::format("<h1>{}</h1><p>{}</p>", html_escape(title), html_escape(text))),
        "text/html; charset=utf-8", ""};
  };
  if (r.path.size() > kMaxPath)
    return done("refuse", refused(414, "Link too long", "This link is not valid."));
  if (r.method != "GET" && r.method != "HEAD")
    return done("refuse", refused(405, "Method not allowed", "Only links can be opened here."));
  if (r.path == "/healthz") return done("health", {200, "ok\n", "text/plain; charset=utf-8", ""});
  std::string_view path = r.path;
  if (!path.starts_with("/v1/"))
    return done("refuse", refused(404, "Not found", "There is nothing here."));
  std::string_view token = path.substr(4);
  bool cont = false;
  if (token.ends_with("/continue")) {
    cont = true;
    token.remove_suffix(std::string_view("/continue").size());
  }
  auto t = keys_->verify(token, max_age_, now);
  if (!t) {
    event["postern"]["click"]["error"] = std::string(to_string(t.error().fault));
    return done("refuse",
                refused(400, "This link is not valid",
                        t.error().fault == TokenFault::Expired
                            ? "This link has expired. Ask the sender for the address again."
                            : "This link is damaged or was not issued by your organization's mail "
                              "protection, so it cannot be opened."));
  }
  std::string domain = host_of(t->url);
  event["url"] = {{"original", t->url}, {"domain", domain}};
  if (!t->recipient.empty()) event["user"] = {{"hash", t->recipient}};
  event["postern"]["scan_id"] = t->scan_id;
  event["postern"]["click"]["key_id"] = t->key_id;
  event["postern"]["click"]["policy_version"] = t->policy_version;
  event["postern"]["click"]["issued"] =
      iso_time(std::chrono::system_clock::time_point(std::chrono::seconds(t->issued)));
  std::vector<Listing> hits = check_ ? check_(t->url) : std::vector<Listing>{};
  if (!hits.empty()) {
    nlohmann::json feeds = nlohmann::json::array();
    for (const auto& h : hits) feeds.push_back({{"feed", h.feed}, {"label", h.label}});
    event["postern"]["click"]["feeds"] = feeds;
  }
  auto redirect = [&](std::string action) {
    ClickResponse resp{302,
                       page("Redirecting", "",
                            "<p>Opening <a href=\"" + html_escape(t->url) + "\">" +
                                html_escape(t->url) + "</a></p>"),
                       "text/html; charset=utf-8", t->url};
    return done(std::move(action), std::move(resp));
  };
  if (hits.empty()) return redirect("redirect");
  if (on_listed_ == OnListed::Warn && cont) return redirect("continue");
  std::string dest = fmt::format(
      "<p>The link goes to:</p><p class=\"domain\">{}</p><p class=\"dest\">{}</p>"
      "<p class=\"small\">Listed by: {}</p>",
      html_escape(domain.empty() ? t->url : domain), html_escape(t->url),
      html_escape(listing_text(hits)));
  if (on_listed_ == OnListed::Block)
    return done(
        "block",
        {403,
         page("Blocked: dangerous link", "block",
              "<h1>This link was blocked</h1><p>The site it leads to is known to be "
              "dangerous (phishing or malware), so your organization's mail protection "
              "does not open it.</p>" +
                  dest + "<p>If you think this is wrong, contact your IT or security team.</p>"),
         "text/html; charset=utf-8", ""});
  return done("warn",
              {403,
               page("Warning: dangerous link", "warn",
                    "<h1>Warning: this link may be dangerous</h1><p>The site it leads to is "
                    "listed as dangerous (phishing or malware). It may try to steal your password "
                    "or install harmful software.</p>" +
                        dest +
                        "<p><strong>If you were not expecting this, close this page.</strong></p>"
                        "<a class=\"btn\" rel=\"noreferrer\" href=\"/v1/" +
                        html_escape(token) + "/continue\">Continue anyway (not recommended)</a>"),
               "text/html; charset=utf-8", ""});
}

}  // namespace postern::url
