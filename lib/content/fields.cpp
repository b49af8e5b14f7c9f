// Fields: the message as content checks read it (see fields.hpp).
#include "content/fields.hpp"

#include <memory>

#include "core/address.hpp"
#include "mime/address.hpp"
#include "mime/analysis.hpp"
#include "mime/headers.hpp"
#include "url/list.hpp"

namespace postern::content {
namespace {

bool is_body_text(const mime::Part& p) {
  return (p.content_type == "text/plain" || p.content_type == "text/html") && p.filename.empty() &&
         p.disposition != "attachment" && !p.uuencoded;
}

// The Fields plus the strings they view that are made here (hosts, addresses).
struct Owned {
  Fields f;
  std::vector<std::string> strings;  // reserved up front: views stay valid
};

}  // namespace

std::string url_host(std::string_view url) {
  size_t start = std::string_view::npos;
  size_t colon = url.find(':');
  size_t slash = url.find('/');
  if (colon != std::string_view::npos && (slash == std::string_view::npos || colon < slash)) {
    // A scheme: only "scheme://" has an authority (browsers also take "http:\\").
    size_t i = colon + 1;
    size_t seps = 0;
    while (i < url.size() && (url[i] == '/' || url[i] == '\\') && seps < 2) ++i, ++seps;
    if (seps < 2) return "";
    start = i;
  } else {
    std::string_view lower = url.substr(0, 4);
    if (lower.size() < 4 || core::to_lower(lower) != "www.") return "";
    start = 0;
  }
  size_t end = url.find_first_of("/\\?#", start);
  std::string_view auth = url.substr(start, end == std::string_view::npos ? url.npos : end - start);
  if (size_t at = auth.rfind('@'); at != std::string_view::npos) auth.remove_prefix(at + 1);
  if (!auth.empty() && auth.front() == '[') {
    size_t close = auth.find(']');
    auth = close == std::string_view::npos ? auth : auth.substr(0, close + 1);
  } else if (size_t c = auth.find(':'); c != std::string_view::npos) {
    auth = auth.substr(0, c);
  }
  while (!auth.empty() && auth.back() == '.') auth.remove_suffix(1);
  return core::to_lower(auth);
}

const std::vector<Value>* Fields::by_name(std::string_view name) const {
  if (name == "subject") return &subject;
  if (name == "from.display") return &from_display;
  if (name == "from.address") return &from_address;
  if (name == "reply_to") return &reply_to;
  if (name == "body.text") return &body_text;
  if (name == "body.html") return &body_html;
  if (name == "url") return &url;
  if (name == "url.host") return &url_host;
  if (name == "attachment.name") return &attachment_name;
  if (name == "attachment.type") return &attachment_type;
  return nullptr;
}

const std::vector<std::string_view>& Fields::names() {
  static const std::vector<std::string_view> n{
      "subject", "from.display", "from.address", "reply_to",        "body.text",      "body.html",
      "url",     "url.host",     "raw",          "attachment.name", "attachment.type"};
  return n;
}

const Fields& fields(core::Transaction& tx) {
  if (const Owned* o = tx.get<Owned>()) return o->f;
  auto o = std::make_shared<Owned>();
  Fields& f = o->f;
  const core::Message* m = tx.message();
  if (!m) {
    tx.put<Owned>(o);
    return o->f;
  }
  f.raw = {m->raw(), ""};
  const mime::UserHeaders& uh = mime::user_headers(tx);
  for (const auto& s : uh.subjects) f.subject.push_back({s, ""});
  const mime::Author& au = mime::author(tx);
  const mime::Analysis* a = tx.get<mime::Analysis>();
  size_t need =
      au.mailboxes.size() + au.domains.size() + uh.reply_to.size() + (a ? a->links.size() : 0);
  o->strings.reserve(need);
  for (const auto& b : au.mailboxes) {
    if (!b.display_name.empty()) f.from_display.push_back({b.display_name, ""});
    o->strings.push_back(b.address());
    f.from_address.push_back({o->strings.back(), ""});
  }
  for (size_t i = au.rfc_domains; i < au.domains.size(); ++i) {
    o->strings.push_back("@" + au.domains[i]);
    f.from_address.push_back({o->strings.back(), ""});
  }
  for (const auto& b : uh.reply_to) {
    o->strings.push_back(b.address());
    f.reply_to.push_back({o->strings.back(), ""});
  }
  if (a) {
    for (const auto& leaf : a->leaves) {
      const mime::Part& p = *leaf.part;
      if (is_body_text(p)) {
        f.body_text.push_back({leaf.text, p.path});
        if (p.content_type == "text/html") f.body_html.push_back({leaf.html, p.path});
      } else {
        if (!p.filename.empty()) f.attachment_name.push_back({p.filename, p.path});
        f.attachment_type.push_back({p.content_type, p.path});
      }
    }
  }
  if (const url::UrlList* list = tx.get<url::UrlList>()) {
    // The url stage's reading: each web URL once, normalized, unwrapped, resolved.
    for (const auto& u : list->urls) {
      f.url.push_back({u.url.normalized, u.part});
      f.url_host.push_back({u.url.host, u.part});
    }
  } else if (a) {
    // No url stage in the pipeline ([url] enabled = false): the links as written.
    for (const auto& l : a->links) {
      f.url.push_back({l.url, l.part});
      o->strings.push_back(url_host(l.url));
      if (!o->strings.back().empty()) f.url_host.push_back({o->strings.back(), l.part});
    }
  }
  tx.put<Owned>(o);
  return o->f;
}

}  // namespace postern::content
