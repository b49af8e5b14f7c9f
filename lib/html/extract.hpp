// HTML extraction: one streaming pass, no DOM (body_content_offset alone uses gumbo).
//
// Contract: `extract(html)` takes UTF-8 HTML and returns what a reader sees and
// what a click could reach: the visible text (script, style, head and hidden
// elements left out and counted), every link with where it came from (a@href,
// img@src, form@action, button@formaction, img@srcset, meta refresh, CSS url()
// in style attributes and <style>), the anchor text of each <a> (to compare
// display text with the target), forms (action, password inputs), and counts
// of hidden text, tiny fonts and invisible colours. It reads the input as an
// HTML5 parser does, without building a tree: an HTML5 tokenizer (tags,
// attributes, comments, raw text of script/style/title/textarea, character
// references, invalid characters as U+FFFD) feeds a model of the tree builder's
// stack of open elements (the head, implied end tags of p/li/dd/td/tr/option...,
// void elements, scopes, the active formatting elements and their
// reconstruction, foster parenting of what a table holds outside its cells,
// attributes of a repeated <body>), which gives each text run and element what a
// walk of the parsed document gives it: hidden or not, inside which anchor, and
// its place in document order. It equals the gumbo DOM walk it replaced on the
// shared corpus but for the adoption agency's clones of a misnested <a> around a
// block (the clone is a second link to the same URL; here the first link keeps
// all the text) and a few garbage bodies (tests/unit/html/corpus_equal_test.cpp).
// Input beyond `max_input` bytes is cut (flagged); links and text are bounded too,
// and so is link text: each anchor or alt text is cut at `max_link_text` bytes (at
// a UTF-8 boundary) and all of them together at `max_link_text_total`; start tags
// nesting deeper than a fifth of the depth bound are dropped, their content kept
// (flagged "nesting"; end tags close only what the tree builder would close, so
// unmatched ones cannot hide depth), and the stack of open elements never holds
// more than `max_depth` ("depth"). Every pass is linear in the input: each byte is
// tokenized once, each end tag searches at most `max_depth` open elements, the
// active formatting list holds at most 64 entries, anchor text is collected for at
// most `max_depth` open anchors up to a cap each, and a table's output is replayed
// once per enclosing table level. With a CPU budget, the work stops when it is
// spent (`out_of_time`, flagged): what was found so far is returned. Never throws
// on hostile input. Thread-safe (no shared state; the budget is the caller's).
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/cpu_budget.hpp"

namespace postern::html {

struct Limits {
  size_t max_input = 4u << 20;
  size_t max_links = 1000;
  size_t max_text = 1u << 20;
  size_t max_depth =
      400;  // open elements held; start tags nesting deeper than a fifth of it are dropped
  size_t max_link_text = 1024;              // bytes of anchor (or alt) text per link
  size_t max_link_text_total = 256 * 1024;  // bytes of link text of all links
};

struct Link {
  std::string url;
  std::string text;    // anchor text for a@href, alt text for img, "" otherwise
  std::string source;  // "a@href", "img@src", "css", "meta-refresh", ...
};

struct Form {
  std::string action;
  bool password = false;
};

struct Extract {
  std::string text;
  std::vector<Link> links;
  std::vector<Form> forms;
  size_t scripts = 0;
  size_t styles = 0;
  size_t hidden_elements = 0;  // display:none, visibility:hidden, hidden attribute, opacity:0
  size_t hidden_text = 0;      // characters of text inside them
  size_t tiny_font = 0;        // elements with a font size of 0-2 px/pt
  size_t invisible_color = 0;  // text colour equal to its background, or transparent
  bool truncated = false;      // input, text or links cut at a limit, nesting flattened
  std::string truncated_what;  // which: "input", "nesting", "depth", "text", "links", "CPU time"
  bool out_of_time = false;    // the CPU budget ran out: the rest was not looked at
};

Extract extract(std::string_view html, const Limits& limits = {},
                core::CpuBudget* budget = nullptr);

// Where the content of <body> starts in `html`, as a browser parses it (gumbo):
// right after the <body ...> tag when the document has one (a "<body>" in a
// comment, a script or a title is not one), else where the first node of the
// implied body starts (after any doctype and head), else the end. nullopt when
// the input passes `limits.max_input` or nests deeper than the walk would go
// (the caller then leaves the HTML alone).
std::optional<size_t> body_content_offset(std::string_view html, const Limits& limits = {});

// An attribute value as the tokenizer reads it: character references decoded (a
// named one without ';' before '=' or an alphanumeric stays literal), CR LF and CR
// as LF, NUL as U+FFFD. `raw` is the value between its quotes (or unquoted).
std::string decode_attribute(std::string_view raw);

// The URLs in CSS text: url(...) and @import "...".
std::vector<std::string> css_urls(std::string_view css, size_t max = 100);

}  // namespace postern::html
