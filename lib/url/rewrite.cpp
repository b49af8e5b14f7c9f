// Link rewriting (see rewrite.hpp).
#include "url/rewrite.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cctype>

#include "html/attribute_spans.hpp"
#include "mime/body_edit.hpp"
#include "url/url.hpp"

namespace postern::url {
namespace {

constexpr size_t kMaxPartBytes = 4u << 20;  // HTML or text of one part that is looked at

char lower(char c) {
  return c >= 'A' && c <= 'Z' ? static_cast<char>(c | 0x20) : c;
}

bool starts_with_ci(std::string_view s, std::string_view prefix) {
  if (s.size() < prefix.size()) return false;
  for (size_t i = 0; i < prefix.size(); ++i)
    if (lower(s[i]) != prefix[i]) return false;
  return true;
}

// The attributes a click follows, and <base href> (read, never rewritten).
constexpr html::AttributeRef kLinkAttributes[] = {{"a", "href"},           {"area", "href"},
                                                  {"form", "action"},      {"button", "formaction"},
                                                  {"input", "formaction"}, {"base", "href"}};

bool url_char_in_text(char c) {
  return static_cast<unsigned char>(c) > 0x20 && c != '<' && c != '>' && c != '"' && c != 0x7f;
}

}  // namespace

std::vector<LinkSpan> html_link_spans(std::string_view s, size_t max) {
  std::vector<LinkSpan> out;
  for (auto& a : html::attribute_spans(s, kLinkAttributes, max))
    out.push_back({a.begin, a.end, std::move(a.value), a.tag + "@" + a.attribute});
  return out;
}

std::vector<LinkSpan> text_link_spans(std::string_view s, size_t max) {
  std::vector<LinkSpan> out;
  for (size_t i = 0; i < s.size() && out.size() < max;) {
    size_t k = i;
    while (k < s.size() && lower(s[k]) != 'h') ++k;
    if (k >= s.size()) break;
    size_t len = starts_with_ci(s.substr(k), "https://")  ? 8
                 : starts_with_ci(s.substr(k), "http://") ? 7
                                                          : 0;
    bool word_start =
        k == 0 || !(std::isalnum(static_cast<unsigned char>(s[k - 1])) || s[k - 1] == '/');
    if (!len || !word_start) {
      i = k + 1;
      continue;
    }
    size_t e = k + len;
    while (e < s.size() && url_char_in_text(s[e])) ++e;
    // closing punctuation belongs to the sentence; a ')' only when unbalanced
    while (e > k + len) {
      char last = s[e - 1];
      std::string_view url = s.substr(k, e - k);
      if (std::string_view(".,;:!?'*").find(last) != std::string_view::npos ||
          (last == ')' &&
           std::count(url.begin(), url.end(), '(') < std::count(url.begin(), url.end(), ')')) ||
          (last == ']' &&
           std::count(url.begin(), url.end(), '[') < std::count(url.begin(), url.end(), ']')))
        --e;
      else
        break;
    }
    if (e > k + len) out.push_back({k, e, std::string(s.substr(k, e - k)), "text"});
    i = e;
  }
  return out;
}

std::optional<std::string> web_target(std::string_view value) {
  std::string v;
  v.reserve(value.size());
  for (char c : value)
    if (c != '\t' && c != '\n' && c != '\r') v.push_back(c);
  size_t b = 0, e = v.size();
  while (b < e && static_cast<unsigned char>(v[b]) <= 0x20) ++b;
  while (e > b && static_cast<unsigned char>(v[e - 1]) <= 0x20) --e;
  v = v.substr(b, e - b);
  if (starts_with_ci(v, "http:") || starts_with_ci(v, "https:")) return v;
  if (v.starts_with("//") || v.starts_with("\\\\") || v.starts_with("/\\") || v.starts_with("\\/"))
    return "https:" + v;
  return std::nullopt;
}

std::string host_of(std::string_view url) {
  auto u = parse_one(url);  // the host a browser goes to (url.hpp)
  return u ? u->host : std::string();
}

bool under_domains(std::string_view host, const std::vector<std::string>& domains) {
  // Only a plain host name can be internal: percent escapes, IDNA forms a browser maps
  // or odd characters could make it read as another host, so they count as external.
  if (host.empty() || !std::all_of(host.begin(), host.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '-';
      }))
    return false;
  for (const auto& d : domains)
    if (host == d ||
        (host.size() > d.size() && host.ends_with(d) && host[host.size() - d.size() - 1] == '.'))
      return true;
  return false;
}

std::vector<std::string> list_unsubscribe_urls(const core::Message& m) {
  std::vector<std::string> out;
  for (const auto* f : m.find_all("List-Unsubscribe")) {
    std::string_view v = f->value;
    for (size_t i = 0; (i = v.find('<', i)) != std::string_view::npos;) {
      size_t e = v.find('>', i);
      if (e == std::string_view::npos) break;
      if (auto t = web_target(v.substr(i + 1, e - i - 1))) out.push_back(*t);
      i = e;
    }
  }
  return out;
}

std::string click_url(std::string_view host, std::string_view token) {
  return fmt::format("https://{}/v1/{}", host, token);
}

postern::expected<Rewritten, std::string> rewrite_links(const core::Message& m, const KeyRing& keys,
                                                        const Token& base,
                                                        const RewriteSettings& settings,
                                                        const mime::Limits& limits) {
  mime::Tree tree = mime::Tree::parse(m.raw(), limits);
  if (auto why = mime::refused_whole(tree)) return postern::unexpected(*why);
  Rewritten r;
  std::vector<mime::Replacement> reps;
  for (const auto& p : tree.parts()) {
    bool html = mime::body_part(tree, p, "text/html");
    if (!html && !(settings.text_plain && mime::body_part(tree, p, "text/plain"))) continue;
    auto content = mime::editable_content(tree, p, true);
    if (!content) {
      r.skipped_parts.push_back(
          fmt::format("part {} ({}): {}", p.path, p.content_type, content.error()));
      continue;
    }
    if (content->size() > kMaxPartBytes) {
      r.skipped_parts.push_back(
          fmt::format("part {} ({}): over {} bytes", p.path, p.content_type, kMaxPartBytes));
      continue;
    }
    std::vector<LinkSpan> spans = html ? html_link_spans(*content) : text_link_spans(*content);
    // The document's base URL: its first <base href> (relative links resolve against it).
    auto base_href = std::find_if(spans.begin(), spans.end(),
                                  [](const LinkSpan& s) { return s.where == "base@href"; });
    std::string edited;
    size_t copied = 0;
    for (const auto& s : spans) {
      if (s.where == "base@href") continue;
      std::optional<std::string> target = html ? web_target(s.value) : std::optional(s.value);
      if (!target && base_href != spans.end() && !looks_web(s.value))
        target = resolve(base_href->value, s.value);  // nullopt unless an http(s) base
      if (!target) continue;  // mailto:, tel:, cid:, data:, javascript:, relative
      if (under_domains(host_of(*target), settings.internal_domains)) continue;
      if (std::find(settings.keep.begin(), settings.keep.end(), *target) != settings.keep.end())
        continue;
      if (r.links >= settings.max_links) {
        r.kept.push_back(fmt::format("over {} links: {}", settings.max_links, *target));
        continue;
      }
      Token t = base;
      t.url = *target;
      auto token = keys.issue(std::move(t));
      if (!token) {
        r.kept.push_back(fmt::format("{}: {:.200}", token.error().detail, *target));
        continue;
      }
      edited.append(*content, copied, s.begin - copied);
      edited += click_url(settings.host, *token);
      copied = s.end;
      ++r.links;
    }
    if (copied == 0) continue;
    edited.append(*content, copied);
    reps.push_back({&p, std::move(edited)});
  }
  if (reps.empty()) {
    std::string why = "no link to rewrite";
    for (const auto& s : r.skipped_parts) why += "; " + s;
    return postern::unexpected(why);
  }
  auto body = mime::spliced_body_or_encoding(m, tree, reps);
  if (!body) return postern::unexpected(body.error());
  r.body = std::move(body->body);
  r.transfer_encoding = std::move(body->transfer_encoding);
  return r;
}

}  // namespace postern::url
