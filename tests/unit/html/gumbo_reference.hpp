// The gumbo extraction that html::extract replaced (one walk over gumbo's whole DOM),
// kept only as the reference the streaming extractor is compared with
// (corpus_equal_test.cpp, mime_bench). Not in the product path.
#pragma once

#include <gumbo.h>

#include <algorithm>
#include <memory>
#include <string>
#include <utility>

#include "core/address.hpp"
#include "core/cpu_budget.hpp"
#include "html/body_offset.hpp"
#include "html/extract.hpp"

namespace postern::html::reference {
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

struct OutputDeleter {
  void operator()(GumboOutput* o) const { gumbo_destroy_output(&kGumboDefaultOptions, o); }
};

}  // namespace

inline Extract extract(std::string_view html, const Limits& limits = {},
                       core::CpuBudget* budget = nullptr) {
  Walker w{limits, budget, {}};
  if (html.size() > limits.max_input) {
    html = html.substr(0, limits.max_input);
    w.cut("input");
  }
  std::string bounded;
  // a fifth of the walked depth: one counted level can be up to 4 elements deep
  // (table, tbody, tr, td), and the walk must still reach what lies inside
  if (detail::bound_nesting(html, limits.max_depth / 5, bounded, budget)) {
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

}  // namespace postern::html::reference
