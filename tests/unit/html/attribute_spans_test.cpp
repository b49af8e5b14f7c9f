// Tests for html::attribute_spans: the values of chosen attributes, where they lie in
// the bytes given, as lib/html's tokenizer and tree model read the document.
#include "html/attribute_spans.hpp"

#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "html/extract.hpp"

using namespace postern;

namespace {

constexpr html::AttributeRef kWanted[] = {{"a", "href"}, {"form", "action"}};

// "tag@attribute=value" per span, after checking that its offsets hold the raw value.
std::vector<std::string> read_spans(const std::string& doc) {
  std::vector<std::string> out;
  for (const auto& a : html::attribute_spans(doc, kWanted)) {
    CHECK(a.begin <= a.end);
    CHECK(a.end <= doc.size());
    CHECK(html::decode_attribute(doc.substr(a.begin, a.end - a.begin)) == a.value);
    out.push_back(a.tag + "@" + a.attribute + "=" + a.value);
  }
  return out;
}

}  // namespace

TEST_CASE("attribute spans: every wanted value where the tokenizer reads it") {
  struct Row {
    std::string name, html;
    std::vector<std::string> want;
  };
  const Row rows[] = {
      {"quoted, unquoted, upper case, references",
       "<A HREF='x&amp;y'>1</A><a href=z>2</a><form action=\"f\"><a title=t href=\"w\">",
       {"a@href=x&y", "a@href=z", "form@action=f", "a@href=w"}},
      {"a repeated attribute: each one", "<a href=\"1\" href=\"2\">", {"a@href=1", "a@href=2"}},
      {"no value, other tags and attributes", "<a href><img src=x><p href=y><a name=n>", {}},
      {"comments, scripts, titles and textareas hold no tags",
       "<!-- <a href=c> --><script><a href=s></script><title><a href=t></title>"
       "<textarea><a href=x></textarea><a href=real>",
       {"a@href=real"}},
      {"in <svg>, <style> holds markup",
       "<svg><style><a href=in-svg></style></svg>",
       {"a@href=in-svg"}},
      {"after <plaintext> everything is text", "<a href=1><plaintext><a href=2>", {"a@href=1"}},
      {"a tag cut by the end of the input is no tag", "<a href=1><a href=\"2", {"a@href=1"}},
  };
  for (const auto& r : rows) {
    CAPTURE(r.name);
    CHECK(read_spans(r.html) == r.want);
  }
}

TEST_CASE("attribute spans: offsets are into the bytes given, whatever their charset") {
  // Latin-1 bytes, a C0 control and a NUL before the link: invalid UTF-8 to the reader,
  // which reads U+FFFD, but the offsets still point into the Latin-1 bytes.
  std::string doc =
      "<p>Gr\xFC\xDF"
      "e\x01 ";
  doc.push_back('\0');
  doc += "x</p><a href=\"https://a.example/\xE4\">";
  auto spans = html::attribute_spans(doc, kWanted);
  REQUIRE(spans.size() == 1);
  CHECK(doc.substr(spans[0].begin, spans[0].end - spans[0].begin) == "https://a.example/\xE4");
  CHECK(spans[0].value == "https://a.example/\xE4");
}

TEST_CASE("attribute spans: at most `max`, and the input bound is reported") {
  std::string many;
  for (int i = 0; i < 50; ++i) many += "<a href=x>";
  CHECK(html::attribute_spans(many, kWanted, 10).size() == 10);
  bool truncated = false;
  std::string big = "<a href=1>" + std::string(html::Limits{}.max_input, ' ') + "<a href=2>";
  CHECK(html::attribute_spans(big, kWanted, 100, &truncated).size() == 1);
  CHECK(truncated);
}
