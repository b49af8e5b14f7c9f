// HTML extraction: one walk over gumbo's tree.
#include "html/extract.hpp"

#include "core/address.hpp"
#include "core/cpu_budget.hpp"
#include "core/forward_find.hpp"

#include <gumbo.h>

#include <algorithm>
#include <initializer_list>
#include <memory>
#include <string>
#include <utility>

namespace postern::html {
namespace {

std::string trim(std::string_view s) {
  size_t b = s.find_first_not_of(" \t\r\n\f");
  if (b == std::string_view::npos) return {};
  size_t e = s.find_last_not_of(" \t\r\n\f");
  return std::string(s.substr(b, e - b + 1));
}

// "a: b; c: d" -> value of property `name` (lower-cased, without !important), or "".
std::string css_prop(std::string_view style, std::string_view name) {
  std::string s = core::to_lower(style);
  size_t pos = 0;
  while (pos < s.size()) {
    size_t semi = s.find(';', pos);
    std::string_view decl =
        std::string_view(s).substr(pos, semi == std::string::npos ? std::string::npos : semi - pos);
    pos = semi == std::string::npos ? s.size() : semi + 1;
    size_t colon = decl.find(':');
    if (colon == std::string_view::npos) continue;
    if (trim(decl.substr(0, colon)) != name) continue;
    std::string v = trim(decl.substr(colon + 1));
    if (size_t imp = v.find("!important"); imp != std::string::npos) v = trim(v.substr(0, imp));
    return v;
  }
  return {};
}

bool tiny_size(const std::string& v) {
  if (v.empty()) return false;
  size_t i = 0;
  double num = 0;
  bool digits = false;
  while (i < v.size() && v[i] >= '0' && v[i] <= '9') num = num * 10 + (v[i++] - '0'), digits = true;
  if (i < v.size() && v[i] == '.') {
    double f = 0.1;
    ++i;
    while (i < v.size() && v[i] >= '0' && v[i] <= '9')
      num += (v[i++] - '0') * f, f /= 10, digits = true;
  }
  if (!digits) return false;
  std::string unit = v.substr(i);
  if (unit == "px" || unit == "pt" || unit.empty()) return num <= 2;
  if (unit == "em" || unit == "rem") return num <= 0.15;
  if (unit == "%") return num <= 15;
  return false;
}

std::string normalize_color(std::string c) {
  c.erase(std::remove(c.begin(), c.end(), ' '), c.end());
  if (c == "white" || c == "#fff" || c == "#ffffff" || c == "rgb(255,255,255)") return "#ffffff";
  if (c == "black" || c == "#000" || c == "#000000" || c == "rgb(0,0,0)") return "#000000";
  return c;
}

// The longest prefix of `s` of at most `n` bytes that does not split a UTF-8 sequence.
std::string_view utf8_prefix(std::string_view s, size_t n) {
  if (s.size() <= n) return s;
  while (n > 0 && (static_cast<unsigned char>(s[n]) & 0xC0) == 0x80) --n;
  return s.substr(0, n);
}

// Nodes an anchor text walk visits at most: nested anchors share their subtree.
constexpr size_t kAnchorNodes = 4096;

struct Walker {
  const Limits& lim;
  core::CpuBudget* budget;
  Extract out;
  size_t link_text_total = 0;  // bytes of link text kept

  void cut(std::string_view what) {
    out.truncated = true;
    if (out.truncated_what.find(what) == std::string::npos)
      out.truncated_what += (out.truncated_what.empty() ? "" : ", ") + std::string(what);
  }

  bool links_full() const { return out.links.size() >= lim.max_links; }

  // Room for the text of one more link: the per-link and the total bound.
  size_t link_text_room() const {
    size_t total_left =
        lim.max_link_text_total > link_text_total ? lim.max_link_text_total - link_text_total : 0;
    return std::min(lim.max_link_text, total_left);
  }

  void add_link(std::string url, std::string_view text, std::string source) {
    url = trim(url);
    if (url.empty()) return;
    if (links_full()) {
      cut("links");
      return;
    }
    std::string kept(utf8_prefix(text, link_text_room()));
    link_text_total += kept.size();
    out.links.push_back({std::move(url), std::move(kept), std::move(source)});
  }

  void add_text(std::string_view t, bool hidden) {
    if (hidden) {
      out.hidden_text += t.size();
      return;
    }
    if (out.text.size() >= lim.max_text) {
      cut("text");
      return;
    }
    if (!out.text.empty() && out.text.back() != ' ' && out.text.back() != '\n')
      out.text.push_back(' ');
    // collapse whitespace like a browser
    bool space = false;
    for (char c : t) {
      if (c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f') {
        space = true;
        continue;
      }
      bool sep = space && !out.text.empty() && out.text.back() != ' ';
      if (out.text.size() + (sep ? 2 : 1) > lim.max_text) {  // text left over: cut, and say so
        cut("text");
        break;
      }
      if (sep) out.text.push_back(' ');
      space = false;
      out.text.push_back(c);
    }
  }

  static const char* attr(const GumboElement& e, const char* name) {
    const GumboAttribute* a = gumbo_get_attribute(&e.attributes, name);
    return a ? a->value : nullptr;
  }

  // Text of a subtree (anchor text): at most `cap` bytes, kAnchorNodes nodes, depth 100.
  static void collect_text(const GumboNode* n, std::string& s, size_t cap, size_t& nodes,
                           size_t depth = 0) {
    if (s.size() >= cap || depth > 100 || ++nodes > kAnchorNodes) return;
    auto append = [&](std::string_view t) {
      if (!s.empty()) s.push_back(' ');
      s += utf8_prefix(t, cap > s.size() ? cap - s.size() : 0);
    };
    if (n->type == GUMBO_NODE_TEXT || n->type == GUMBO_NODE_CDATA) {
      append(n->v.text.text);
    } else if (n->type == GUMBO_NODE_ELEMENT || n->type == GUMBO_NODE_TEMPLATE) {
      const GumboElement& e = n->v.element;
      if (e.tag == GUMBO_TAG_IMG) {
        if (const char* alt = attr(e, "alt")) append(alt);
      }
      for (unsigned i = 0; i < e.children.length && s.size() < cap; ++i)
        collect_text(static_cast<const GumboNode*>(e.children.data[i]), s, cap, nodes, depth + 1);
    }
  }

  // The anchor text of `n`, whitespace collapsed, at most `room` bytes.
  static std::string anchor_text(const GumboNode* n, size_t room) {
    std::string s;
    size_t nodes = 0;
    // collapsing whitespace shrinks it: collect some more than the room
    collect_text(n, s, room * 4 + 16, nodes);
    std::string out;
    bool space = false;
    for (char c : s) {
      if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
        space = !out.empty();
        continue;
      }
      if (space) out.push_back(' ');
      space = false;
      out.push_back(c);
      if (out.size() > room) break;
    }
    return std::string(utf8_prefix(out, room));
  }

  void srcset(const char* v) {
    std::string_view s(v);
    size_t pos = 0;
    while (pos < s.size()) {
      size_t comma = s.find(',', pos);
      std::string item = trim(
          s.substr(pos, comma == std::string_view::npos ? std::string_view::npos : comma - pos));
      pos = comma == std::string_view::npos ? s.size() : comma + 1;
      size_t sp = item.find_first_of(" \t");
      add_link(item.substr(0, sp), "", "srcset");
    }
  }

  void walk(const GumboNode* n, bool hidden, size_t depth) {
    if (depth > lim.max_depth) {
      cut("depth");
      return;
    }
    if (budget && budget->tick()) {
      out.out_of_time = true;
      cut("CPU time");
      return;
    }
    if (n->type == GUMBO_NODE_TEXT || n->type == GUMBO_NODE_CDATA) {
      add_text(n->v.text.text, hidden);
      return;
    }
    if (n->type != GUMBO_NODE_ELEMENT && n->type != GUMBO_NODE_TEMPLATE &&
        n->type != GUMBO_NODE_DOCUMENT)
      return;
    const GumboVector* children =
        n->type == GUMBO_NODE_DOCUMENT ? &n->v.document.children : &n->v.element.children;
    if (n->type != GUMBO_NODE_DOCUMENT) {
      const GumboElement& e = n->v.element;
      switch (e.tag) {
        case GUMBO_TAG_SCRIPT:
          ++out.scripts;
          if (const char* src = attr(e, "src")) add_link(src, "", "script@src");
          return;
        case GUMBO_TAG_STYLE:
          ++out.styles;
          for (unsigned i = 0; i < e.children.length; ++i) {
            auto* c = static_cast<const GumboNode*>(e.children.data[i]);
            if (c->type == GUMBO_NODE_TEXT)
              for (auto& u : css_urls(c->v.text.text)) add_link(u, "", "css");
          }
          return;
        case GUMBO_TAG_HEAD:
        case GUMBO_TAG_TITLE:
          for (unsigned i = 0; i < e.children.length; ++i) {
            auto* c = static_cast<const GumboNode*>(e.children.data[i]);
            if (c->type == GUMBO_NODE_ELEMENT || c->type == GUMBO_NODE_TEMPLATE)
              walk(c, true, depth + 1);
          }
          return;
        case GUMBO_TAG_META: {
          const char* he = attr(e, "http-equiv");
          const char* content = attr(e, "content");
          if (he && content && core::to_lower(he) == "refresh") {
            std::string c = content;
            std::string lc = core::to_lower(c);
            size_t u = lc.find("url");
            if (u != std::string::npos) {
              size_t eq = c.find('=', u);
              if (eq != std::string::npos) {
                std::string url = trim(c.substr(eq + 1));
                if (!url.empty() && (url.front() == '\'' || url.front() == '"'))
                  url = url.substr(1);
                if (!url.empty() && (url.back() == '\'' || url.back() == '"')) url.pop_back();
                add_link(url, "", "meta-refresh");
              }
            }
          }
          return;
        }
        default:
          break;
      }
      bool el_hidden = hidden;
      if (attr(e, "hidden")) el_hidden = true;
      if (const char* style = attr(e, "style")) {
        std::string display = css_prop(style, "display"), vis = css_prop(style, "visibility");
        std::string opacity = css_prop(style, "opacity");
        if (display == "none" || vis == "hidden" || opacity == "0" || opacity == "0.0")
          el_hidden = true;
        if (tiny_size(css_prop(style, "font-size"))) ++out.tiny_font;
        std::string color = normalize_color(css_prop(style, "color"));
        std::string bg = normalize_color(css_prop(style, "background-color"));
        if (bg.empty()) bg = normalize_color(css_prop(style, "background"));
        if (color == "transparent" || (!color.empty() && color == bg)) ++out.invisible_color;
        for (auto& u : css_urls(style)) add_link(u, "", "css");
      }
      if (e.tag == GUMBO_TAG_FONT) {
        if (const char* c = attr(e, "color"))
          if (core::to_lower(c) == "transparent") ++out.invisible_color;
      }
      if (el_hidden && !hidden) ++out.hidden_elements;
      hidden = el_hidden;
      switch (e.tag) {
        case GUMBO_TAG_A:
        case GUMBO_TAG_AREA:
          if (const char* href = attr(e, "href"))
            add_link(href, links_full() ? std::string() : anchor_text(n, link_text_room()),
                     e.tag == GUMBO_TAG_A ? "a@href" : "area@href");
          break;
        case GUMBO_TAG_IMG: {
          const char* alt = attr(e, "alt");
          if (const char* src = attr(e, "src")) add_link(src, alt ? alt : "", "img@src");
          if (const char* ss = attr(e, "srcset")) srcset(ss);
          break;
        }
        case GUMBO_TAG_SOURCE:
          if (const char* src = attr(e, "src")) add_link(src, "", "source@src");
          if (const char* ss = attr(e, "srcset")) srcset(ss);
          break;
        case GUMBO_TAG_IFRAME:
        case GUMBO_TAG_FRAME:
        case GUMBO_TAG_EMBED:
        case GUMBO_TAG_VIDEO:
        case GUMBO_TAG_AUDIO:
        case GUMBO_TAG_INPUT:
          if (const char* src = attr(e, "src"))
            add_link(src, "", std::string(gumbo_normalized_tagname(e.tag)) + "@src");
          break;
        case GUMBO_TAG_OBJECT:
          if (const char* d = attr(e, "data")) add_link(d, "", "object@data");
          break;
        case GUMBO_TAG_LINK:
          if (const char* href = attr(e, "href")) add_link(href, "", "link@href");
          break;
        case GUMBO_TAG_BASE:
          if (const char* href = attr(e, "href")) add_link(href, "", "base@href");
          break;
        case GUMBO_TAG_FORM: {
          Form f;
          if (const char* a = attr(e, "action")) {
            f.action = a;
            add_link(a, "", "form@action");
          }
          out.forms.push_back(std::move(f));
          break;
        }
        default:
          break;
      }
      if (e.tag == GUMBO_TAG_INPUT || e.tag == GUMBO_TAG_BUTTON) {
        if (const char* fa = attr(e, "formaction")) add_link(fa, "", "formaction");
        if (e.tag == GUMBO_TAG_INPUT) {
          const char* type = attr(e, "type");
          if (type && core::to_lower(type) == "password") {
            if (out.forms.empty()) out.forms.push_back({});
            out.forms.back().password = true;
          }
        }
      }
      if (const char* bg = attr(e, "background")) add_link(bg, "", "background");
      if (e.tag == GUMBO_TAG_BR || e.tag == GUMBO_TAG_P || e.tag == GUMBO_TAG_DIV ||
          e.tag == GUMBO_TAG_TR || e.tag == GUMBO_TAG_LI)
        if (!out.text.empty() && out.text.back() != '\n' && !hidden) {
          if (out.text.back() == ' ') out.text.pop_back();
          out.text.push_back('\n');
        }
    }
    for (unsigned i = 0; i < children->length; ++i)
      walk(static_cast<const GumboNode*>(children->data[i]), hidden, depth + 1);
  }
};

bool is_one_of(std::string_view name, std::initializer_list<std::string_view> names) {
  return std::find(names.begin(), names.end(), name) != names.end();
}

bool is_tag_space(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f';
}

// Where the tag whose name ends at `i` ends (after its '>'), reading attribute values
// quoted only where the tokenizer does: right after '=' and optional whitespace.
size_t tag_end(std::string_view s, size_t i) {
  while (i < s.size() && s[i] != '>') {
    if (s[i] == '=') {
      ++i;
      while (i < s.size() && is_tag_space(s[i])) ++i;
      if (i < s.size() && (s[i] == '"' || s[i] == '\'')) {
        size_t q = s.find(s[i], i + 1);
        i = q == std::string_view::npos ? s.size() : q + 1;
        continue;
      }
      continue;
    }
    ++i;
  }
  return i < s.size() ? i + 1 : s.size();
}

// An open element as bound_nesting models gumbo's stack of open elements.
struct Open {
  std::string name;
  bool special = false;   // HTML "special" category: stops an unmatched end tag
  bool boundary = false;  // ends the "in scope" search of an end tag
};

bool is_formatting(std::string_view n) {
  return is_one_of(n, {"a", "b", "big", "code", "em", "font", "i", "nobr", "s", "small", "strike",
                       "strong", "tt", "u"});
}

bool is_scope_boundary(std::string_view n) {
  return is_one_of(
      n, {"applet", "caption", "html", "table", "td", "th", "marquee", "object", "template"});
}

bool is_special(std::string_view n) {
  return is_scope_boundary(n) ||
         is_one_of(n, {"address",    "article", "aside",    "blockquote", "body",     "button",
                       "center",     "details", "dir",      "div",        "dl",       "fieldset",
                       "figcaption", "figure",  "footer",   "form",       "frameset", "h1",
                       "h2",         "h3",      "h4",       "h5",         "h6",       "head",
                       "header",     "hgroup",  "iframe",   "listing",    "main",     "menu",
                       "nav",        "noembed", "noframes", "noscript",   "ol",       "pre",
                       "section",    "select",  "summary",  "tbody",      "textarea", "tfoot",
                       "thead",      "title",   "ul",       "xmp",        "dialog"});
}

// End tags that close an element "in scope" (the HTML tree builder's own rules).
bool is_scoped_end(std::string_view n) {
  return is_one_of(
      n,
      {"address", "article", "aside",  "blockquote", "button",     "center", "details", "dialog",
       "dir",     "div",     "dl",     "fieldset",   "figcaption", "figure", "footer",  "header",
       "hgroup",  "listing", "main",   "menu",       "nav",        "ol",     "pre",     "section",
       "summary", "ul",      "applet", "marquee",    "object",     "form",   "h1",      "h2",
       "h3",      "h4",      "h5",     "h6",         "table",      "select", "template"});
}

// The end tag `name` applied to the modelled stack, as the tree builder would: it closes
// the innermost open element of that name unless the search for it stops first (at a
// scope boundary for the end tags that close "in scope", at any special element for the
// others). A formatting element with a special element above it is not popped: the
// adoption agency then rebuilds the formatting element below the block, and the depth
// stays. Unmatched end tags change nothing, so they can never hide depth.
void close_element(std::vector<Open>& open, std::string_view name) {
  const bool scoped = is_scoped_end(name), formatting = is_formatting(name);
  bool passed_special = false;
  for (size_t k = open.size(); k-- > 0;) {
    const Open& o = open[k];
    if (o.name == name) {
      if (formatting && passed_special) return;
      open.resize(k);
      return;
    }
    if ((scoped || formatting) ? o.boundary : o.special) return;
    passed_special = passed_special || o.special;
  }
}

// Bounds the nesting gumbo sees. Its tree construction is quadratic in the depth of
// open elements (200000 nested <div> take minutes), so a cheap scan models the stack of
// open elements (elements that nest; end tags close only what the tree builder would
// close, see close_element) and drops start tags that would go deeper than `cap`, as
// browsers flatten what lies beyond their depth limit: the text inside stays. <a>,
// <form> and <button> are never dropped (gumbo does not nest them in themselves; their
// links must stay). The model holds at most `cap` elements, so each end tag costs at most
// `cap` steps: linear. Returns true, with the bounded document in `out`, when something
// was dropped; stops (returning false) when `budget` runs out.
bool bound_nesting(std::string_view html, size_t cap, std::string& out, core::CpuBudget* budget) {
  std::vector<Open> open;
  size_t copied = 0, i = 0;
  bool dropped = false;
  while ((i = html.find('<', i)) != std::string_view::npos) {
    if (budget && budget->tick()) return false;
    if (html.substr(i, 4) == "<!--") {
      size_t e = html.find("-->", i + 4);
      i = e == std::string_view::npos ? html.size() : e + 3;
      continue;
    }
    bool end_tag = i + 1 < html.size() && html[i + 1] == '/';
    size_t n = i + (end_tag ? 2 : 1);
    if (n < html.size() && !end_tag && (html[n] == '!' || html[n] == '?')) {
      size_t e = html.find('>', n);
      i = e == std::string_view::npos ? html.size() : e + 1;
      continue;
    }
    if (n >= html.size() ||
        !((html[n] >= 'a' && html[n] <= 'z') || (html[n] >= 'A' && html[n] <= 'Z'))) {
      i = n;
      continue;
    }
    size_t ne = n;
    while (ne < html.size() && !is_tag_space(html[ne]) && html[ne] != '/' && html[ne] != '>') ++ne;
    std::string name = core::to_lower(html.substr(n, std::min<size_t>(ne - n, 16)));
    size_t te = tag_end(html, ne);
    if (!end_tag && is_one_of(name, {"script", "style", "xmp", "iframe", "noembed", "noframes",
                                     "textarea", "title"})) {
      // raw text up to the matching end tag
      size_t k = te;
      while ((k = html.find("</", k)) != std::string_view::npos &&
             core::to_lower(html.substr(k + 2, name.size())) != name)
        k += 2;
      i = k == std::string_view::npos ? html.size() : k;
      continue;
    }
    if (!end_tag && name == "plaintext") break;  // the rest is text
    // void elements and those whose start closes the previous one do not nest
    bool nests = !is_one_of(
        name, {"area",     "base",  "br",    "col",    "embed", "hr",    "img",    "input",
               "link",     "meta",  "param", "source", "track", "wbr",   "keygen", "basefont",
               "bgsound",  "frame", "image", "p",      "li",    "dt",    "dd",     "option",
               "optgroup", "tr",    "td",    "th",     "thead", "tbody", "tfoot",  "colgroup",
               "caption",  "rb",    "rt",    "rtc",    "rp",    "html",  "head",   "body"});
    if (nests && end_tag) {
      close_element(open, name);
    } else if (nests && open.size() >= cap) {
      if (!is_one_of(name, {"a", "form", "button"})) {
        out.append(html.substr(copied, i - copied));
        copied = te;
        dropped = true;
      }
    } else if (nests) {
      bool special = is_special(name), boundary = is_scope_boundary(name);
      open.push_back({std::move(name), special, boundary});
    }
    i = te;
  }
  if (dropped) out.append(html.substr(copied));
  return dropped;
}

struct OutputDeleter {
  void operator()(GumboOutput* o) const { gumbo_destroy_output(&kGumboDefaultOptions, o); }
};

}  // namespace

std::optional<size_t> body_content_offset(std::string_view html, const Limits& limits) {
  std::string bounded;
  if (html.size() > limits.max_input || bound_nesting(html, limits.max_depth / 5, bounded, nullptr))
    return std::nullopt;
  std::unique_ptr<GumboOutput, OutputDeleter> doc(
      gumbo_parse_with_options(&kGumboDefaultOptions, html.data(), html.size()));
  if (!doc || doc->root->type != GUMBO_NODE_ELEMENT) return std::nullopt;
  const GumboVector& top = doc->root->v.element.children;
  for (unsigned i = 0; i < top.length; ++i) {
    const auto* n = static_cast<const GumboNode*>(top.data[i]);
    if (n->type != GUMBO_NODE_ELEMENT || n->v.element.tag != GUMBO_TAG_BODY) continue;
    const GumboElement& body = n->v.element;
    if (body.original_tag.length > 0)  // written in the source: right after its tag
      return static_cast<size_t>(body.original_tag.data - html.data()) + body.original_tag.length;
    for (unsigned k = 0; k < body.children.length; ++k) {  // implied: at its first node
      const auto* c = static_cast<const GumboNode*>(body.children.data[k]);
      if (c->type == GUMBO_NODE_ELEMENT || c->type == GUMBO_NODE_TEMPLATE)
        return c->v.element.start_pos.offset;
      if (c->type != GUMBO_NODE_DOCUMENT) return c->v.text.start_pos.offset;
    }
    return html.size();
  }
  return html.size();
}

std::vector<std::string> css_urls(std::string_view css, size_t max) {
  std::vector<std::string> out;
  std::string l = core::to_lower(css);
  // every needle's next occurrence is remembered (positions only grow): linear in the CSS
  core::ForwardFind url(l, "url("), import(l, "@import"),
      quote(css, "\"'", core::ForwardFind::Mode::AnyOf), semicolon(css, ";"), close(css, ")");
  size_t pos = 0;
  while (out.size() < max) {
    size_t u = url.from(pos);
    size_t imp = import.from(pos);
    if (u == std::string::npos && imp == std::string::npos) break;
    if (imp != std::string::npos && (u == std::string::npos || imp < u)) {
      size_t q = quote.from(imp);
      size_t semi = semicolon.from(imp);
      if (q != std::string_view::npos && (semi == std::string_view::npos || q < semi)) {
        size_t e = css.find(css[q], q + 1);  // the scan goes on after it: read once
        if (e != std::string_view::npos) out.push_back(std::string(css.substr(q + 1, e - q - 1)));
        pos = e == std::string_view::npos ? css.size() : e + 1;
      } else {
        pos = imp + 7;
      }
      continue;
    }
    size_t b = u + 4, e = close.from(b);
    if (e == std::string_view::npos) break;
    std::string v = trim(css.substr(b, e - b));
    if (v.size() >= 2 && (v.front() == '"' || v.front() == '\'') && v.back() == v.front())
      v = v.substr(1, v.size() - 2);
    if (!v.empty()) out.push_back(v);
    pos = e + 1;
  }
  return out;
}

Extract extract(std::string_view html, const Limits& limits, core::CpuBudget* budget) {
  Walker w{limits, budget, {}};
  if (html.size() > limits.max_input) {
    html = html.substr(0, limits.max_input);
    w.cut("input");
  }
  std::string bounded;
  // a fifth of the walked depth: one counted level can be up to 4 elements deep
  // (table, tbody, tr, td), and the walk must still reach what lies inside
  if (bound_nesting(html, limits.max_depth / 5, bounded, budget)) {
    html = bounded;
    w.cut("nesting");
  }
  if (budget && budget->exhausted()) {  // no time left to parse
    w.out.out_of_time = true;
    w.cut("CPU time");
    return w.out;
  }
  GumboOptions opts = kGumboDefaultOptions;
  opts.max_errors = 100;
  std::unique_ptr<GumboOutput, OutputDeleter> doc(
      gumbo_parse_with_options(&opts, html.data(), html.size()));
  if (!doc) return w.out;
  w.walk(doc->document, false, 0);
  while (!w.out.text.empty() && (w.out.text.back() == ' ' || w.out.text.back() == '\n'))
    w.out.text.pop_back();
  return w.out;
}

}  // namespace postern::html
