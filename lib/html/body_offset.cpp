// body_content_offset on gumbo (the banner must find <body> exactly as a browser does),
// and bound_nesting, the cheap stack model that keeps gumbo's input shallow.
#include "html/body_offset.hpp"

#include "html/extract.hpp"

#include <gumbo.h>

#include <algorithm>
#include <initializer_list>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/address.hpp"
#include "core/cpu_budget.hpp"
#include "core/message.hpp"

namespace postern::html {
namespace {

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

}  // namespace

namespace detail {

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
}  // namespace detail

namespace {

struct OutputDeleter {
  void operator()(GumboOutput* o) const { gumbo_destroy_output(&kGumboDefaultOptions, o); }
};

}  // namespace

namespace {

using Doc = std::unique_ptr<GumboOutput, OutputDeleter>;

Doc parse(std::string_view html) {
  return Doc(gumbo_parse_with_options(&kGumboDefaultOptions, html.data(), html.size()));
}

// The body element of a parsed document, or nullptr.
const GumboElement* body_of(const GumboOutput& doc) {
  const GumboVector& top = doc.root->v.element.children;
  for (unsigned i = 0; i < top.length; ++i) {
    const auto* n = static_cast<const GumboNode*>(top.data[i]);
    if (n->type == GUMBO_NODE_ELEMENT && n->v.element.tag == GUMBO_TAG_BODY) return &n->v.element;
  }
  return nullptr;
}

// Where the first "<body" start tag of the source ends (after its '>'), or npos.
size_t first_body_tag_end(std::string_view html) {
  for (size_t i = html.find('<'); i != std::string_view::npos; i = html.find('<', i + 1)) {
    size_t ne = i + 5;
    if (ne > html.size() || !core::iequals(html.substr(i + 1, 4), "body")) continue;
    if (ne < html.size() && !is_tag_space(html[ne]) && html[ne] != '/' && html[ne] != '>') continue;
    size_t te = tag_end(html, ne);
    return te <= html.size() && html[te - 1] == '>' ? te : std::string_view::npos;
  }
  return std::string_view::npos;
}

bool has_frameset_tag(std::string_view html) {
  for (size_t i = html.find('<'); i != std::string_view::npos; i = html.find('<', i + 1))
    if (core::iequals(html.substr(i + 1, 8), "frameset")) return true;
  return false;
}

}  // namespace

std::optional<size_t> body_content_offset(std::string_view html, const Limits& limits) {
  std::string bounded;
  if (html.size() > limits.max_input ||
      detail::bound_nesting(html, limits.max_depth / 5, bounded, nullptr))
    return std::nullopt;
  // Tree construction reads its tokens in order and never looks back: a body element made
  // from a "<body>" start tag ending at `cut` is made by the same tokens in html[0, cut)
  // alone, and only a later <frameset> could take it out of the document again. So when
  // the parse of that prefix gives a body whose tag ends at `cut`, that is the answer,
  // and gumbo does not build the tree of the whole document.
  size_t cut = first_body_tag_end(html);
  if (cut != std::string_view::npos && !has_frameset_tag(html.substr(cut))) {
    Doc head = parse(html.substr(0, cut));
    const GumboElement* body =
        head && head->root->type == GUMBO_NODE_ELEMENT ? body_of(*head) : nullptr;
    if (body && body->original_tag.length > 0 &&
        static_cast<size_t>(body->original_tag.data - html.data()) + body->original_tag.length ==
            cut)
      return cut;
  }
  Doc doc = parse(html);
  if (!doc || doc->root->type != GUMBO_NODE_ELEMENT) return std::nullopt;
  const GumboElement* body = body_of(*doc);
  if (!body) return html.size();
  if (body->original_tag.length > 0)  // written in the source: right after its tag
    return static_cast<size_t>(body->original_tag.data - html.data()) + body->original_tag.length;
  for (unsigned k = 0; k < body->children.length; ++k) {  // implied: at its first node
    const auto* c = static_cast<const GumboNode*>(body->children.data[k]);
    if (c->type == GUMBO_NODE_ELEMENT || c->type == GUMBO_NODE_TEMPLATE)
      return c->v.element.start_pos.offset;
    if (c->type != GUMBO_NODE_DOCUMENT) return c->v.text.start_pos.offset;
  }
  return html.size();
}

}  // namespace postern::html
