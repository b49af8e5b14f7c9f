// Attribute spans: where the values of chosen attributes lie in an HTML text, as
// lib/html's reader tokenizes it, for a caller that edits them in place (the
// click rewriter, url/rewrite.hpp).
//
// Contract: `attribute_spans(html, wanted, max)` runs html::extract's pass over
// `html` (the same tokenizer and tree model: comments, doctype, raw text of
// script/style/title/textarea/..., foreign content, where <style> in <svg> is
// markup, <plaintext>) and returns, in document order, every attribute named in
// `wanted` on a start tag of its element, every one of a repeated attribute
// (readers disagree on which one counts), with a value ("=..."), at most `max`.
// A span holds the byte offsets of the value in `html` (between its quotes, or
// unquoted) and the value as the tokenizer reads it (html::decode_attribute of
// those bytes). Start tags count whatever the tree model's depth bounds do with
// the element. `html` may be any ASCII-compatible charset: offsets are into the
// bytes given (invalid UTF-8 and controls do not shift them). At most
// Limits::max_input bytes are read (`truncated` then set). Linear in the input;
// never throws on hostile input; thread-safe.
#pragma once

#include <cstddef>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace postern::html {

struct AttributeRef {
  std::string_view tag, attribute;  // lower case
};

struct AttributeSpan {
  size_t begin = 0, end = 0;  // the value's bytes in the input
  std::string value;          // character references decoded
  std::string tag, attribute;
};

std::vector<AttributeSpan> attribute_spans(std::string_view html,
                                           std::span<const AttributeRef> wanted, size_t max = 10000,
                                           bool* truncated = nullptr);

}  // namespace postern::html
