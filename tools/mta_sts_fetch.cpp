// The MTA-STS policy fetch over HTTPS (see mta_sts_fetch.hpp).
#include "tools/mta_sts_fetch.hpp"

#include <curl/curl.h>
#include <fmt/format.h>

#include <memory>

#include "tls/mta_sts.hpp"

namespace postern::tools {
namespace {

struct CurlDeleter {
  void operator()(CURL* c) const { curl_easy_cleanup(c); }
};
struct SlistDeleter {
  void operator()(curl_slist* l) const { curl_slist_free_all(l); }
};

struct Sink {
  std::string body;
  bool too_big = false;
};

size_t on_data(char* data, size_t size, size_t n, void* user) {
  auto* s = static_cast<Sink*>(user);
  const size_t len = size * n;
  if (s->body.size() + len > tls::kMaxPolicyBytes) {
    s->too_big = true;
    return 0;  // curl stops with CURLE_WRITE_ERROR
  }
  s->body.append(data, len);
  return len;
}

}  // namespace

postern::expected<std::string, std::string> fetch_sts_policy(std::string_view domain,
                                                             const FetchOptions& o) {
  std::unique_ptr<CURL, CurlDeleter> c(curl_easy_init());
  if (!c) return postern::unexpected(std::string("curl_easy_init failed"));
  const std::string host = fmt::format("mta-sts.{}", domain);
  const std::string url = o.port == 443
                              ? fmt::format("https://{}/.well-known/mta-sts.txt", host)
                              : fmt::format("https://{}:{}/.well-known/mta-sts.txt", host, o.port);
  if (o.addresses.empty())
    return postern::unexpected(fmt::format("{}: {} has no address", url, host));
  // HOST:PORT:ADDR[,ADDR...], IPv6 in brackets: curl takes these and asks no resolver.
  std::string pin = fmt::format("{}:{}:", host, o.port);
  for (size_t i = 0; i < o.addresses.size(); ++i) {
    const std::string& a = o.addresses[i];
    pin += (i ? "," : "") + (a.find(':') != std::string::npos ? "[" + a + "]" : a);
  }
  std::unique_ptr<curl_slist, SlistDeleter> resolve(curl_slist_append(nullptr, pin.c_str()));
  if (!resolve) return postern::unexpected(std::string("curl_slist_append failed"));
  Sink sink;
  CURL* h = c.get();
  curl_easy_setopt(h, CURLOPT_URL, url.c_str());
  curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "https");
  curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, o.timeout_ms);
  curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, o.timeout_ms);
  curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L);
  curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L);
  curl_easy_setopt(h, CURLOPT_MAXFILESIZE_LARGE, static_cast<curl_off_t>(tls::kMaxPolicyBytes));
  curl_easy_setopt(h, CURLOPT_USERAGENT, "postern-mta-sts/1");
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_data);
  curl_easy_setopt(h, CURLOPT_WRITEDATA, &sink);
  if (!o.ca_file.empty()) curl_easy_setopt(h, CURLOPT_CAINFO, o.ca_file.c_str());
  curl_easy_setopt(h, CURLOPT_RESOLVE, resolve.get());
  const CURLcode rc = curl_easy_perform(h);
  if (sink.too_big || rc == CURLE_FILESIZE_EXCEEDED)
    return postern::unexpected(
        fmt::format("{}: the policy is larger than {} bytes", url, tls::kMaxPolicyBytes));
  if (rc != CURLE_OK)
    return postern::unexpected(fmt::format("{}: {}", url, curl_easy_strerror(rc)));
  long status = 0;
  curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
  if (status >= 300 && status < 400)
    return postern::unexpected(
        fmt::format("{}: HTTP {}: a redirect (refused, RFC 8461)", url, status));
  if (status != 200) return postern::unexpected(fmt::format("{}: HTTP {}", url, status));
  const char* type = nullptr;
  curl_easy_getinfo(h, CURLINFO_CONTENT_TYPE, &type);
  std::string t = type ? type : "";
  for (char& ch : t)
    if (ch >= 'A' && ch <= 'Z') ch = static_cast<char>(ch - 'A' + 'a');
  if (t != "text/plain" && !t.starts_with("text/plain;") && !t.starts_with("text/plain "))
    return postern::unexpected(
        fmt::format("{}: Content-Type '{}', expected text/plain", url, t.substr(0, 60)));
  return sink.body;
}

}  // namespace postern::tools
