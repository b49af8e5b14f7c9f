// HeuristicsStage: brand impersonation, harvesting links and forms, link text
// mismatches, HTML-only mail, Unicode tricks, header mismatches, lure attachments.
#include "content/heuristics.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <map>

#include "auth/dmarc.hpp"
#include "content/confusable.hpp"
#include "content/fields.hpp"
#include "content/symbols.hpp"
#include "core/address.hpp"
#include "core/date.hpp"
#include "core/excerpt.hpp"
#include "core/finding_groups.hpp"
#include "core/message.hpp"
#include "mime/address.hpp"
#include "mime/analysis.hpp"
#include "mime/headers.hpp"

namespace postern::content {
namespace {

using core::to_lower;

std::string upper(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(c >= 'a' && c <= 'z' ? c - 32 : c);
  return out;
}

bool ascii_alnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

// Lower case with the look-alikes phishers swap in brand names folded together
// (0 o, 1 i l, 3 e, 4 a, 5 s, 7 t): the brand map's key.
char fold_char(char c) {
  switch (c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c) {
    case '0':
      return 'o';
    case '1':
    case 'i':
      return 'l';
    case '3':
      return 'e';
    case '4':
      return 'a';
    case '5':
      return 's';
    case '7':
      return 't';
    default:
      return c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c;
  }
}

std::string fold(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = fold_char(c);
  return out;
}

// A hash of fold(word), without building it: the bit of the brand names' first words.
size_t first_word_bit(std::string_view word) {
  uint32_t h = 2166136261u;
  for (char c : word) h = (h ^ static_cast<unsigned char>(fold_char(c))) * 16777619u;
  return h % kFirstWordBits;
}

bool ends_with_label(std::string_view host, std::string_view suffix) {
  if (host.size() == suffix.size()) return host == suffix;
  return host.size() > suffix.size() && host.ends_with(suffix) &&
         host[host.size() - suffix.size() - 1] == '.';
}

bool in_domains(std::string_view host, const std::vector<std::string>& list) {
  return !host.empty() && std::any_of(list.begin(), list.end(), [&](const std::string& d) {
    return ends_with_label(host, d);
  });
}

// The path of a URL (from the first '/' after the authority), lower case.
std::string url_path(std::string_view url) {
  size_t start = url.find("//");
  start = start == std::string_view::npos ? 0 : start + 2;
  size_t slash = url.find_first_of("/?#", start);
  if (slash == std::string_view::npos || url[slash] != '/') return "/";
  return to_lower(url.substr(slash, 256));
}

// A literal IPv4 or IPv6 host that is routable on the Internet (not private,
// loopback or link-local: those are lab equipment in list mail, not phishing).
bool public_ip_host(std::string_view host) {
  if (host.starts_with("[")) return host.find("[::1]") != 0 && host.find("[fe80") != 0;
  unsigned parts[4];
  size_t n = 0, i = 0;
  while (n < 4) {
    size_t j = i;
    unsigned v = 0;
    while (j < host.size() && j - i < 4 && host[j] >= '0' && host[j] <= '9')
      v = v * 10 + static_cast<unsigned>(host[j++] - '0');
    if (j == i || v > 255) return false;
    parts[n++] = v;
    if (n < 4) {
      if (j >= host.size() || host[j] != '.') return false;
      i = j + 1;
    } else if (j != host.size()) {
      return false;
    }
  }
  unsigned a = parts[0], b = parts[1];
  return !(a == 10 || a == 127 || a == 0 || (a == 192 && b == 168) ||
           (a == 172 && b >= 16 && b <= 31) || (a == 169 && b == 254) || a >= 224);
}

// A host name that spells a public IPv4 address in four numbers joined by '.' or '-'
// ("ec2-52-13-70-23.us-west-2.compute.amazonaws.com", "93.182.153.160.host.example.net",
// "80-219-219-193.dclient.example.ch"): a cloud machine's, a shared server's or a home
// line's generic name, which legitimate mail does not link to. The numbers stand alone
// (a label boundary, '-' or the host's start on each side) and a name label follows them;
// a literal IP is public_ip_host. Linear in the host.
bool ip_named_host(std::string_view host) {
  if (host.size() > 253 || public_ip_host(host)) return false;
  auto digit = [](char c) { return c >= '0' && c <= '9'; };
  auto sep = [](char c) { return c == '.' || c == '-'; };
  for (size_t start = 0; start < host.size(); ++start) {
    if (!digit(host[start]) || (start > 0 && !sep(host[start - 1]))) continue;
    std::string dotted;
    size_t pos = start;
    bool ok = true;
    for (int k = 0; k < 4 && ok; ++k) {
      size_t end = pos;
      while (end < host.size() && digit(host[end]) && end - pos < 4) ++end;
      // One to three digits, then a separator (after the fourth: one before a name label).
      ok = end > pos && end - pos <= 3 && end + 1 < host.size() && sep(host[end]);
      if (!ok) break;
      dotted.append(host.substr(pos, end - pos));
      if (k < 3) dotted += '.';
      pos = end + 1;
    }
    if (ok && !digit(host[pos]) && public_ip_host(dotted)) return true;
  }
  return false;
}

// The host anchor text shows, when the text is a URL or a bare domain; else "".
std::string shown_host(std::string_view text) {
  text = core::trim(text);
  if (text.empty() || text.size() > 2048) return {};
  std::string l = to_lower(text.substr(0, 300));
  if (l.starts_with("http://") || l.starts_with("https://") || l.starts_with("www."))
    return l.find(' ') == std::string::npos ? url_host(l) : std::string();
  size_t end = l.find_first_of("/?#");
  std::string_view h = std::string_view(l).substr(0, end);
  size_t dot = h.rfind('.');
  if (dot == std::string_view::npos || dot + 3 > h.size() || h.find('@') != std::string_view::npos)
    return {};
  for (char c : h.substr(dot + 1))
    if (c < 'a' || c > 'z') return {};
  for (char c : h)
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '-')) return {};
  if (!core::is_hostname(h, true)) return {};
  // "file.pdf", "index.html": a file name is not a domain.
  static constexpr std::string_view kFiles[] = {"pdf",  "html", "htm", "php", "asp",  "aspx",
                                                "jpg",  "png",  "gif", "doc", "docx", "xls",
                                                "xlsx", "zip",  "txt", "exe", "jsp"};
  std::string_view tld = h.substr(dot + 1);
  for (auto f : kFiles)
    if (tld == f) return {};
  return std::string(h);
}

size_t visible_chars(const std::vector<Value>& body) {
  size_t n = 0;
  for (const auto& v : body)
    for (size_t i = 0; i < v.text.size() && i < kMaxScanBytes; ++i) {
      auto c = static_cast<unsigned char>(v.text[i]);
      if (c > 0x20 && (c & 0xc0) != 0x80) ++n;
    }
  return n;
}

bool is_attachment(const mime::Part& p) {
  return !p.filename.empty() || p.disposition == "attachment";
}

// The date of the newest Received field (the topmost), or nullopt.
std::optional<int64_t> newest_received(const core::Message& m) {
  const core::HeaderField* r = m.find("Received");
  if (!r) return std::nullopt;
  size_t semi = r->value.rfind(';');
  if (semi == std::string::npos) return std::nullopt;
  return core::parse_rfc5322_date(std::string_view(r->value).substr(semi + 1));
}

// True when the first From address is the List-Post mailto address.
bool from_is_list_post(const core::Message& m, const mime::Author& au) {
  const core::HeaderField* lp = m.find("List-Post");
  if (!lp) return false;
  std::string v = to_lower(lp->value.substr(0, 512));
  size_t at = v.find("mailto:");
  if (at == std::string::npos) return false;
  at += 7;
  size_t end = v.find_first_of(">?, \t\r\n", at);
  std::string_view post = std::string_view(v).substr(at, end == std::string::npos ? end : end - at);
  for (const auto& b : au.mailboxes)
    if (!b.domain.empty()) return to_lower(b.address()) == post;
  return false;
}

double default_score(std::string_view symbol) {
  for (const auto& s : symbols())
    if (s.name == symbol) return s.score;
  return 0.0;
}

// One finding per symbol (core::FindingGroups), at its catalogued score.
struct Hits : core::FindingGroups {
  void add(std::string_view symbol, std::string detail) {
    FindingGroups::add(symbol, default_score(symbol), std::move(detail));
  }
};

}  // namespace

HostIndex::HostIndex(const std::vector<std::string>& entries) {
  for (const auto& e : entries) by_host_[std::string_view(e).substr(0, e.find('/'))].push_back(&e);
}

const std::string* HostIndex::match(std::string_view host, std::string_view path) const {
  if (by_host_.empty()) return nullptr;
  for (size_t at = 0; at < host.size();) {
    if (auto it = by_host_.find(host.substr(at)); it != by_host_.end())
      for (const std::string* e : it->second) {
        size_t slash = e->find('/');
        if (slash == std::string::npos || path.starts_with(std::string_view(*e).substr(slash)))
          return e;
      }
    size_t dot = host.find('.', at);
    if (dot == std::string_view::npos) break;
    at = dot + 1;
  }
  return nullptr;
}

HeuristicsStage::HeuristicsStage(HeuristicsPolicy p, std::shared_ptr<const auth::PublicSuffix> psl)
    : p_(std::move(p)),
      psl_(std::move(psl)),
      free_hosting_(p_.free_hosting),
      shorteners_(p_.shorteners),
      ipfs_(p_.ipfs_gateways),
      rewriters_(p_.link_rewriters) {
  written_.resize(p_.brands.size());
  for (size_t b = 0; b < p_.brands.size(); ++b)
    for (size_t n = 0; n < p_.brands[b].names.size(); ++n) {
      // The name's words (ASCII letter and digit runs) joined by one space, as
      // written, and folded: the key the text's tokens build.
      const std::string& name = p_.brands[b].names[n];
      std::string written;
      size_t words = 0;
      for (size_t i = 0; i < name.size();) {
        if (!ascii_alnum(name[i])) {
          ++i;
          continue;
        }
        size_t j = i;
        while (j < name.size() && ascii_alnum(name[j])) ++j;
        written += (written.empty() ? "" : " ") + name.substr(i, j - i);
        ++words;
        i = j;
      }
      written_[b].push_back(written);
      if (written.empty()) continue;
      names_[fold(written)].emplace_back(b, n);
      first_words_.set(first_word_bit(std::string_view(written).substr(0, written.find(' '))));
      max_name_words_ = std::max(max_name_words_, std::min<size_t>(words, 4));
    }
}

std::string HeuristicsStage::org(std::string_view domain) const {
  return psl_ ? psl_->org_domain(domain) : to_lower(domain);
}

bool HeuristicsStage::brand_domain(size_t brand, std::string_view domain) const {
  if (domain.empty()) return false;
  if (in_domains(domain, p_.brands[brand].domains)) return true;
  std::string o = org(domain);
  return std::find(p_.brands[brand].domains.begin(), p_.brands[brand].domains.end(), o) !=
         p_.brands[brand].domains.end();
}

// Brand names in `text` as whole words: written as the policy writes them, in
// capitals, (names of 5 or more letters) capitalized ("Paypal"), or (names of 4
// or more) with look-alikes swapped in ("PayPa1", "C0STC0"). Tokens are
// runs of ASCII letters and digits (any other byte ends one); n-grams up to the
// longest name are looked up in a hash map: linear in the text.
std::vector<HeuristicsStage::BrandHit> HeuristicsStage::brands_in(std::string_view text,
                                                                  size_t max_hits) const {
  std::vector<BrandHit> hits;
  if (names_.empty()) return hits;
  text = text.substr(0, kMaxScanBytes);
  struct Tok {
    size_t pos, len;
    bool joined;  // at most 3 of " '-&." separate it from the previous token
  };
  std::vector<Tok> toks;
  for (size_t i = 0, prev_end = std::string_view::npos; i < text.size();) {
    if (!ascii_alnum(text[i])) {
      ++i;
      continue;
    }
    size_t j = i;
    while (j < text.size() && ascii_alnum(text[j])) ++j;
    // A token glued to a non-ASCII letter is part of a longer word.
    bool glued = (i > 0 && static_cast<unsigned char>(text[i - 1]) >= 0x80) ||
                 (j < text.size() && static_cast<unsigned char>(text[j]) >= 0x80);
    if (!glued) {
      bool sp = prev_end != std::string_view::npos && i - prev_end <= 3 &&
                text.substr(prev_end, i - prev_end).find_first_not_of(" '-&.") == std::string::npos;
      toks.push_back({i, j - i, sp});
    }
    prev_end = glued ? std::string_view::npos : j;
    i = j;
  }
  std::string key;
  for (size_t t = 0; t < toks.size() && hits.size() < max_hits; ++t) {
    // every name that could start here starts with this token's folded word
    if (!first_words_.test(first_word_bit(text.substr(toks[t].pos, toks[t].len)))) continue;
    key.clear();
    for (size_t w = 0; w < max_name_words_ && t + w < toks.size(); ++w) {
      if (w > 0) {
        if (!toks[t + w].joined) break;
        key += ' ';
      }
      key += fold(text.substr(toks[t + w].pos, toks[t + w].len));
      auto it = names_.find(key);
      if (it == names_.end()) continue;
      size_t pos = toks[t].pos, len = toks[t + w].pos + toks[t + w].len - pos;
      // The text's words, joined by one space, against the name's written forms.
      std::string shown;
      for (size_t k = 0; k <= w; ++k)
        shown += (k ? " " : "") + std::string(text.substr(toks[t + k].pos, toks[t + k].len));
      for (auto [b, n] : it->second) {
        const std::string& name = p_.brands[b].names[n];
        const std::string& norm = written_[b][n];
        std::string cap = to_lower(norm);
        if (!cap.empty()) cap[0] = upper(cap.substr(0, 1))[0];
        // Written with look-alike digits or letters ("C0STC0", "BIueCross"): an
        // obfuscated brand, whatever its case.
        bool obfuscated = norm.size() >= 4 && to_lower(shown) != to_lower(norm);
        if (shown == norm || shown == upper(norm) || (norm.size() >= 5 && shown == cap) ||
            obfuscated) {
          hits.push_back({b, name, pos, len});
          break;
        }
      }
    }
  }
  return hits;
}

core::Step HeuristicsStage::on_message(core::Transaction& tx) const {
  const core::Message* m = tx.message();
  const auto* a = tx.get<mime::Analysis>();
  if (!m || !a) return core::Step::next();
  const Fields& f = fields(tx);
  const mime::Author& au = mime::author(tx);
  const mime::UserHeaders& uh = mime::user_headers(tx);
  Hits hits;

  std::string from_domain;
  std::string_view display;
  for (const auto& b : au.mailboxes)
    if (!b.domain.empty()) {
      from_domain = b.domain;
      display = b.display_name;
      break;
    }
  const std::string from_org = from_domain.empty() ? std::string() : org(from_domain);
  const bool from_free = in_domains(from_domain, p_.freemail);

  // Brand impersonation: the name where the reader looks first weighs most.
  auto brand_check = [&](std::string_view text, std::string_view field, std::string_view part,
                         std::string_view symbol) {
    for (const auto& h : brands_in(text, 8)) {
      if (brand_domain(h.brand, from_domain)) continue;
      hits.add(symbol, core::explain(fmt::format("brand \"{}\" from {}", h.name,
                                                 from_domain.empty() ? "no domain" : from_domain),
                                     field, part, core::excerpt(text, h.pos, h.len)));
      return true;
    }
    return false;
  };
  for (const auto& v : f.from_display)
    if (brand_check(v.text, "from.display", "", "PHISH_BRAND_FROM_NAME")) break;
  for (const auto& v : f.subject)
    if (brand_check(v.text, "subject", "", "PHISH_BRAND_SUBJECT")) break;
  if (!hits.has("PHISH_BRAND_FROM_NAME") && !hits.has("PHISH_BRAND_SUBJECT"))
    for (const auto& v : f.body_text) {
      tx.budget().tick();
      if (brand_check(v.text, "body.text", v.part, "PHISH_BRAND_BODY")) break;
    }

  // Links: harvesting hosts, scripts, raw IPs, IDN tricks, text that shows another domain.
  for (const auto& l : a->links) {
    if (tx.budget().tick()) break;
    std::string_view url = core::trim(l.url);
    std::string scheme = to_lower(url.substr(0, 11));
    bool clickable = l.source == "a@href" || l.source == "area@href" || l.source == "text";
    if (clickable && (scheme.starts_with("javascript:") || scheme.starts_with("data:")))
      hits.add("URL_SCRIPT_OR_DATA",
               core::explain("a link that runs or carries content", "url", l.part,
                             core::excerpt(url, 0, std::min<size_t>(url.size(), 20))));
    std::string host = url_host(url);
    if (host.empty()) continue;
    std::string path = url_path(url);
    // A host label mixing scripts is lib/url's URL_IDN_MIXED_SCRIPT (its IDNA reading).
    if (public_ip_host(host))
      hits.add("URL_IP_HOST", core::explain("a link to a raw IP address", "url", l.part,
                                            core::excerpt(url, 0, 0)));
    else if (ip_named_host(host))
      hits.add("URL_IP_NAMED_HOST",
               core::explain(fmt::format("a link to a host named by its IP address ({})", host),
                             "url", l.part, core::excerpt(url, 0, 0)));
    const std::string* e = nullptr;
    if ((e = ipfs_.match(host, path)) || path.find("/ipfs/") != std::string::npos ||
        path.find("/ipns/") != std::string::npos)
      hits.add("PHISH_IPFS_LINK",
               core::explain(fmt::format("an IPFS link ({})", e ? *e : std::string("/ipfs/ path")),
                             "url", l.part, core::excerpt(url, 0, 0)));
    std::string host_org = org(host);
    if (clickable && (e = free_hosting_.match(host, path)) && host_org != from_org)
      hits.add("PHISH_FREE_HOSTING_LINK",
               core::explain(fmt::format("a link to free hosting or a form builder ({})", *e),
                             "url", l.part, core::excerpt(url, 0, 0)));
    if (clickable && (e = shorteners_.match(host, path)))
      hits.add("URL_SHORTENER", core::explain(fmt::format("a shortened link ({})", *e), "url",
                                              l.part, core::excerpt(url, 0, 0)));
    if (l.source == "a@href") {
      std::string shown = shown_host(l.text);
      // A security gateway's rewriter (urldefense, safelinks) wraps the link the
      // text shows: that is the recipient's own gateway, not a mismatch.
      if (!shown.empty() && org(shown) != host_org && !rewriters_.match(host))
        hits.add("PHISH_LINK_TEXT_MISMATCH",
                 core::explain(fmt::format("link text shows {} but goes to {}", shown.substr(0, 80),
                                           host.substr(0, 80)),
                               "url", l.part,
                               core::excerpt(l.text, 0, std::min<size_t>(l.text.size(), 40))));
    }
  }
  for (const auto& form : a->forms) {
    std::string host = url_host(core::trim(form.action));
    if (host.empty() || org(host) == from_org) continue;
    hits.add("PHISH_FORM_EXTERNAL",
             core::explain(
                 fmt::format("a form{} that posts to {}",
                             form.password ? " with a password field" : "", host.substr(0, 80)),
                 "body.html", form.part, core::excerpt(form.action, 0, 0)));
  }

  // The body: HTML only, an HTML page attached to an empty note, an image lure.
  size_t html_body = 0, text_body = 0, images = 0, others = 0;
  const mime::Part* html_attachment = nullptr;
  for (const auto& leaf : a->leaves) {
    tx.budget().tick();
    const mime::Part& p = *leaf.part;
    std::string fname = to_lower(p.filename);
    bool html_name = fname.ends_with(".htm") || fname.ends_with(".html") ||
                     fname.ends_with(".shtml") || fname.ends_with(".xhtml") ||
                     fname.ends_with(".svg");
    if (is_attachment(p) &&
        (html_name || p.content_type == "text/html" || p.content_type == "image/svg+xml")) {
      if (!html_attachment) html_attachment = &p;
    } else if (p.content_type == "text/html" && !is_attachment(p)) {
      ++html_body;
    } else if (p.content_type == "text/plain" && !is_attachment(p)) {
      ++text_body;
    } else if (p.content_type.starts_with("image/")) {
      ++images;
    } else {
      ++others;
    }
  }
  const size_t text_chars = visible_chars(f.body_text);
  if (html_body > 0 && text_body == 0)
    hits.add("HTML_ONLY",
             fmt::format("{} HTML body part(s) and no text/plain alternative", html_body));
  if (html_attachment && text_chars < 300)
    hits.add("ATTACH_HTML_ONLY",
             core::explain(
                 fmt::format("an HTML attachment with {} characters of body text", text_chars),
                 "attachment.name", html_attachment->path,
                 core::excerpt(html_attachment->filename, 0, html_attachment->filename.size())));
  size_t img_links = 0, href_links = 0, empty_anchor = 0;
  for (const auto& l : a->links) {
    if (l.source == "img@src" && !to_lower(l.url.substr(0, 4)).starts_with("cid:")) ++img_links;
    if (l.source == "a@href") {
      ++href_links;
      if (core::trim(l.text).empty()) ++empty_anchor;
    }
  }
  if (text_chars < 100 && others == 0 && !html_attachment &&
      (images + img_links == 1 || (href_links == 1 && empty_anchor == 1 && images + img_links > 0)))
    hits.add("IMAGE_LURE", fmt::format("{} characters of visible text, {} image(s), {} link(s)",
                                       text_chars, images + img_links, href_links));

  // Unicode tricks in the names a reader trusts.
  auto bidi = [&](std::string_view text, std::string_view field, std::string_view part) {
    if (size_t at = find_bidi_control(text); at != std::string_view::npos)
      hits.add("UNICODE_BIDI_CONTROL", core::explain("a bidi override or isolate control", field,
                                                     part, core::excerpt(text, at, 3)));
  };
  auto mixed = [&](std::string_view text, std::string_view field) {
    if (auto w = mixed_script_word(text); !w.empty())
      hits.add("UNICODE_MIXED_SCRIPT_NAME",
               core::explain(
                   "a word mixing Latin, Cyrillic or Greek letters", field, "",
                   core::excerpt(text, static_cast<size_t>(w.data() - text.data()), w.size())));
  };
  for (const auto& v : f.from_display)
    bidi(v.text, "from.display", ""), mixed(v.text, "from.display");
  for (const auto& v : f.subject) bidi(v.text, "subject", ""), mixed(v.text, "subject");
  for (const auto& v : f.attachment_name) bidi(v.text, "attachment.name", v.part);

  // Header mismatches. A list that rewrites the From to its own posting address
  // (the DMARC workaround: "Name via List") puts the author in Reply-To: not a
  // mismatch. Impersonation needs the From, which is then the list's.
  const bool list_rewritten = !from_domain.empty() && from_is_list_post(*m, au);
  for (const auto& rt : uh.reply_to) {
    if (rt.domain.empty() || from_domain.empty() || list_rewritten) continue;
    if (in_domains(rt.domain, p_.freemail) && !from_free) {
      hits.add("FREEMAIL_REPLY_TO", core::explain(fmt::format("replies go to freemail ({}) from {}",
                                                              rt.domain, from_domain),
                                                  "reply_to", "", core::mask(rt.address())));
    } else if (org(rt.domain) != from_org) {
      hits.add("HDR_REPLY_TO_DOMAIN",
               fmt::format("Reply-To domain {} is not the From domain {}", rt.domain.substr(0, 80),
                           from_domain.substr(0, 80)));
    }
  }
  if (const std::string& mf = tx.envelope().mail_from; !mf.empty() && !from_domain.empty()) {
    std::string d = to_lower(core::domain_of(mf));
    if (!d.empty() && org(d) != from_org)
      hits.add("HDR_RETURN_PATH_DOMAIN",
               fmt::format("MAIL FROM domain {} is not the From domain {}", d.substr(0, 80),
                           from_domain.substr(0, 80)));
  }
  if (from_free && !display.empty()) {
    std::string dl = to_lower(display.substr(0, 256));
    for (size_t i = 0; i < dl.size();) {
      size_t j = i;
      while (j < dl.size() && ((dl[j] >= 'a' && dl[j] <= 'z') || (dl[j] >= '0' && dl[j] <= '9')))
        ++j;
      if (j > i && std::find(p_.company_words.begin(), p_.company_words.end(),
                             dl.substr(i, j - i)) != p_.company_words.end()) {
        hits.add("FREEMAIL_COMPANY_NAME",
                 core::explain(fmt::format("an organization's name on freemail ({})", from_domain),
                               "from.display", "", core::excerpt(display, i, j - i)));
        break;
      }
      i = j == i ? i + 1 : j;
    }
  }
  const core::HeaderField* to = m->find("To");
  if (!to)
    hits.add("HDR_UNDISCLOSED_RECIPIENTS", "no To field");
  else if (uh.to.empty() ||
           to_lower(to->value.substr(0, 200)).find("undisclosed") != std::string::npos)
    hits.add("HDR_UNDISCLOSED_RECIPIENTS",
             fmt::format("To: {}", core::mask(to->value.substr(0, 80))));
  if (const auto* d = m->find("Date")) {
    auto date = core::parse_rfc5322_date(d->value);
    auto recv = newest_received(*m);
    if (date && recv) {
      int64_t skew = *date - *recv;
      if (skew > p_.date_future_hours * 3600 || -skew > p_.date_past_hours * 3600)
        hits.add("HDR_DATE_FAR",
                 fmt::format("Date is {} h {} the newest Received",
                             (skew < 0 ? -skew : skew) / 3600, skew < 0 ? "before" : "after"));
    }
  }
  hits.report(tx);
  return core::Step::next();
}

}  // namespace postern::content
