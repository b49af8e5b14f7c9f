// The OOXML checks over the oletools Office fixtures and SpamAssassin's macro
// messages (expanded with attach::expand, as the attach stage does), and over
// XML written here to try each way of hiding a DDE field or an external template.
#include "attach/ooxml.hpp"

#include <catch2/catch.hpp>

#include <chrono>

#include <fstream>
#include <iterator>
#include <set>
#include <string>
#include <vector>

#include "attach/archive.hpp"
#include "fixtures.hpp"
#include "mime/analysis.hpp"
#include "support/cpu_time.hpp"

using namespace postern;
using attach::Kind;
using postern::test::slurp;

namespace {

const std::string kCorpus = std::string(POSTERN_CORPUS_DIR) + "/attach/";

std::multiset<std::string> ooxml_hit_symbols(const std::vector<attach::Hit>& hits) {
  std::multiset<std::string> s;
  for (const auto& h : hits) s.insert(h.symbol);
  return s;
}

std::string ooxml_details(const std::vector<attach::Hit>& hits) {
  std::string s;
  for (const auto& h : hits) s += h.symbol + ": " + h.detail + "\n";
  return s;
}

attach::Expanded expand_members(std::string_view data) {
  attach::ArchiveLimits lim;
  attach::ArchiveBudget budget(lim);
  return attach::expand(data, lim, budget, {});
}

// The hits of a container file of the corpus, from its bytes as expand_members() reads them.
std::vector<attach::Hit> check_file(const std::string& data, Kind& kind) {
  auto x = expand_members(data);
  kind = x.kind;
  return attach::check_ooxml(std::span<const attach::Member>(x.members));
}

const char* kWordHead =
    R"(<?xml version="1.0" encoding="UTF-8" standalone="yes"?>)"
    R"(<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>)";
const char* kWordTail = "</w:body></w:document>";
const char* kRelsHead =
    R"(<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">)";
const std::string kRelType = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/";

std::string word(const std::string& body) {
  return kWordHead + body + kWordTail;
}
std::string rels(const std::string& body) {
  return kRelsHead + body + "</Relationships>";
}

}  // namespace

TEST_CASE("Office fixtures: macros, Excel 4 sheets, DDE, OLE links and objects are found") {
  struct Row {
    std::string file;
    std::multiset<std::string> want;
    std::string detail_has = "";
  };
  std::vector<Row> rows{
      {"oletools/msodde/dde-test.docx",  // DDEAUTO, DDE and a lower-case ddeauto field
       {"ATTACH_DDE", "ATTACH_DDE", "ATTACH_DDE"},
       R"(word/document.xml: field DDEAUTO c:\\windows\\system32\\cmd.exe "/k calc.exe")"},
      {"oletools/msodde/dde-test.docm", {"ATTACH_DDE", "ATTACH_DDE", "ATTACH_DDE"}, "ddeauto"},
      {"oletools/msodde/dde-test.xlsx",
       {"ATTACH_DDE"},
       "xl/externalLinks/externalLink1.xml: ddeLink cmd|/c calc.exe"},
      {"oletools/msodde/dde-test.xlsm", {"ATTACH_DDE"}, "ddeLink cmd|"},
      {"oletools/msodde/harmless-clean.docx", {}},
      {"oletools/msodde/harmless-clean.docm", {}},
      {"oletools/oleform/oleform-PR314.docm", {"ATTACH_MACRO"}, "VBA project word/vbaProject.bin"},
      {"oletools/excel4-macros/excel4_sample_macro.xlsm",
       {"ATTACH_XLM_MACRO"},
       "1 Excel 4 macro sheet(s), first xl/macrosheets/sheet1.xml"},
      {"oletools/excel4-macros/excel4_sample_macro.xlsb",
       {"ATTACH_XLM_MACRO"},
       "1 Excel 4 macro sheet(s), first xl/macrosheets/sheet1.bin"},
      {"oletools/excel4-macros/excel4_sample_macro.xltm", {"ATTACH_XLM_MACRO"}},
      {"oletools/oleobj/embedded-simple-2007.docx",
       {"ATTACH_OLE_EMBEDDED"},
       "embedded object word/embeddings/oleObject1.bin"},
      {"oletools/oleobj/embedded-simple-2007.xlsx", {"ATTACH_OLE_EMBEDDED"}, "xl/embeddings/"},
      {"oletools/oleobj/embedded-simple-2007.pptx", {"ATTACH_OLE_EMBEDDED"}, "ppt/embeddings/"},
      {"oletools/oleobj/external_link/sample_with_external_link_to_doc.docx",
       {"ATTACH_OLE_LINK"},
       "word/_rels/document.xml.rels: external oleObject "
       "https://raw.githubusercontent.com/decalage2/oletools/master/tests/test-data/msodde/"
       "harmless-clean.doc"},
      {"oletools/oleobj/external_link/sample_with_external_link_to_doc.xlsx", {"ATTACH_OLE_LINK"}},
      {"oletools/oleobj/external_link/sample_with_external_link_to_doc.pptx", {"ATTACH_OLE_LINK"}},
  };
  for (const auto& r : rows) {
    INFO(r.file);
    std::string data = slurp(kCorpus + r.file);
    if (data.empty()) {
      WARN("corpus file missing: " << kCorpus + r.file);
      continue;
    }
    Kind kind = Kind::None;
    auto hits = check_file(data, kind);
    INFO(ooxml_details(hits));
    CHECK(kind == Kind::Ooxml);
    CHECK(ooxml_hit_symbols(hits) == r.want);
    if (!r.detail_has.empty()) CHECK(ooxml_details(hits).find(r.detail_has) != std::string::npos);
  }
}

TEST_CASE("SpamAssassin's macro messages: the attachment is read by its bytes, not its name") {
  struct Row {
    std::string eml;
    Kind kind;  // of the attachment
    std::multiset<std::string> want;
  };
  std::vector<Row> rows{
      {"macro.eml", Kind::Ooxml, {"ATTACH_MACRO"}},
      {"malicemacro.eml", Kind::Ooxml, {"ATTACH_MACRO"}},
      {"nomacro.eml", Kind::Ooxml, {}},
      {"renamedmacro.eml", Kind::Ooxml, {"ATTACH_MACRO"}},  // an .xlsm called renamed.jpg
      {"target_uri.eml", Kind::Ooxml, {}},  // its external target is a hyperlink, not a template
      {"encrypted.eml", Kind::None, {}},    // an encrypted docx is an OLE2 file, not a zip
  };
  for (const auto& r : rows) {
    INFO(r.eml);
    std::string raw = slurp(kCorpus + "sa-olevbmacro/" + r.eml);
    if (raw.empty()) {
      WARN("corpus file missing: " << r.eml);
      continue;
    }
    auto an = mime::analyze(raw);
    std::string att;
    for (const auto& leaf : an.leaves) {
      if (leaf.part->disposition != "attachment" && leaf.part->filename.empty()) continue;
      mime::DecodeStats st;
      att = an.tree.decode(*leaf.part, st);
    }
    REQUIRE_FALSE(att.empty());
    auto x = expand_members(att);
    CHECK(x.kind == r.kind);
    auto hits = attach::check_ooxml(std::span<const attach::Member>(x.members));
    INFO(ooxml_details(hits));
    CHECK(ooxml_hit_symbols(hits) == r.want);
  }
}

TEST_CASE("DDE fields are found however the XML spells them") {
  const std::string begin = R"(<w:r><w:fldChar w:fldCharType="begin"/></w:r>)";
  const std::string sep = R"(<w:r><w:fldChar w:fldCharType="separate"/></w:r>)";
  const std::string end = R"(<w:r><w:fldChar w:fldCharType="end"/></w:r>)";
  auto instr = [](const std::string& t) {
    return R"(<w:r><w:instrText xml:space="preserve">)" + t + "</w:instrText></w:r>";
  };
  struct Row {
    std::string name;
    std::string xml;
    std::multiset<std::string> want;
  };
  std::vector<Row> rows{
      {"one run",
       word(begin + instr(" DDEAUTO c:\\\\cmd.exe \"/c calc\" ") + sep + end),
       {"ATTACH_DDE"}},
      {"split across runs",
       word(begin + instr(" DD") + instr("EAU") + instr("TO cmd /c x") + end),
       {"ATTACH_DDE"}},
      {"lower case DDE", word(begin + instr("dde \"cmd\" \"/c x\"") + end), {"ATTACH_DDE"}},
      {"fldSimple",
       word(R"(<w:fldSimple w:instr=" DDEAUTO cmd &quot;/c calc&quot;"/>)"),
       {"ATTACH_DDE"}},
      {"another namespace prefix",
       R"(<x:document xmlns:x="http://schemas.openxmlformats.org/wordprocessingml/2006/main">)"
       R"(<x:r><x:fldChar x:fldCharType="begin"/></x:r><x:r><x:instrText>DDEAUTO cmd</x:instrText>)"
       R"(</x:r><x:r><x:fldChar x:fldCharType="end"/></x:r></x:document>)",
       {"ATTACH_DDE"}},
      {"keyword as character references",
       word(begin + instr("&#68;&#x44;EAUTO cmd /c calc") + end),
       {"ATTACH_DDE", "ATTACH_OOXML_OBFUSCATED"}},
      {"in a CDATA section", word(begin + instr("<![CDATA[DDEAUTO cmd]]>") + end), {"ATTACH_DDE"}},
      {"nested in another field",
       word(begin + instr("IF 1 = 1 ") + begin + instr("DDEAUTO cmd") + end + end),
       {"ATTACH_DDE"}},
      {"a field with no end", word(begin + instr("DDE cmd")), {"ATTACH_DDE"}},
      {"a hyperlink field", word(begin + instr(R"( HYPERLINK "https://example.com" )") + end), {}},
      {"a word that starts like DDE", word(begin + instr("DDEX cmd") + end), {}},
      {"DDE in visible text is not a field", word("<w:r><w:t>DDEAUTO is a word</w:t></w:r>"), {}},
      {"DDE in a comment", word("<!-- <w:instrText>DDEAUTO cmd</w:instrText> -->"), {}},
  };
  for (const auto& r : rows) {
    INFO(r.name);
    std::vector<attach::OoxmlPart> parts{{"word/document.xml", r.xml}};
    auto hits = attach::check_ooxml(parts);
    INFO(ooxml_details(hits));
    CHECK(ooxml_hit_symbols(hits) == r.want);
  }
}

TEST_CASE("external relationships that load content are remote templates or OLE links") {
  auto rel = [](const std::string& type, const std::string& target, const std::string& mode) {
    return R"(<Relationship Id="rId1" Type=")" + kRelType + type + R"(" Target=")" + target + "\"" +
           (mode.empty() ? "" : R"( TargetMode=")" + mode + "\"") + "/>";
  };
  const std::string url = "http://198.51.100.7/tpl.dotm";
  struct Row {
    std::string name;
    std::string member;
    std::string xml;
    std::multiset<std::string> want;
    std::string detail_has = "";
  };
  std::vector<Row> rows{
      {"remote template",
       "word/_rels/settings.xml.rels",
       rels(rel("attachedTemplate", url, "External")),
       {"ATTACH_REMOTE_TEMPLATE"},
       "word/_rels/settings.xml.rels: external attachedTemplate http://198.51.100.7/tpl.dotm"},
      {"a local template",
       "word/_rels/settings.xml.rels",
       rels(rel("attachedTemplate", "file:///C:/tpl.dotm", "")),
       {}},
      {"frame",
       "word/_rels/webSettings.xml.rels",
       rels(rel("frame", url, "External")),
       {"ATTACH_REMOTE_TEMPLATE"},
       "external frame"},
      {"subDocument",
       "word/_rels/document.xml.rels",
       rels(rel("subDocument", url, "External")),
       {"ATTACH_REMOTE_TEMPLATE"}},
      {"OLE link",
       "xl/worksheets/_rels/sheet1.xml.rels",
       rels(rel("oleObject", url, "External")),
       {"ATTACH_OLE_LINK"}},
      {"hyperlink", "word/_rels/document.xml.rels", rels(rel("hyperlink", url, "External")), {}},
      {"single quotes",
       "word/_rels/settings.xml.rels",
       rels("<Relationship Id='r' Type='" + kRelType + "attachedTemplate' Target='" + url +
            "' TargetMode='External'/>"),
       {"ATTACH_REMOTE_TEMPLATE"}},
      {"mode written as references",
       "word/_rels/settings.xml.rels",
       rels(rel("attachedTemplate", url, "&#69;xternal")),
       {"ATTACH_REMOTE_TEMPLATE", "ATTACH_OOXML_OBFUSCATED"}},
      {"type written as references",
       "word/_rels/settings.xml.rels",
       rels(rel("attached&#x54;emplate", url, "External")),
       {"ATTACH_REMOTE_TEMPLATE", "ATTACH_OOXML_OBFUSCATED"}},
      {"target with &amp; decoded",
       "word/_rels/settings.xml.rels",
       rels(rel("attachedTemplate", "http://x.test/a?b=1&amp;c=2", "External")),
       {"ATTACH_REMOTE_TEMPLATE"},
       "http://x.test/a?b=1&c=2"},
      {"a long target is cut",
       "word/_rels/settings.xml.rels",
       rels(rel("attachedTemplate", "http://x.test/" + std::string(500, 'a'), "External")),
       {"ATTACH_REMOTE_TEMPLATE"},
       "aaa..."},
      {"a second TargetMode cannot hide the first",
       "word/_rels/settings.xml.rels",
       rels(R"(<Relationship Id="r" Type=")" + kRelType + R"(attachedTemplate" Target=")" + url +
            R"(" TargetMode="External" TargetMode="Internal"/>)"),
       {"ATTACH_REMOTE_TEMPLATE"}},
  };
  for (const auto& r : rows) {
    INFO(r.name);
    std::vector<attach::OoxmlPart> parts{{r.member, r.xml}};
    auto hits = attach::check_ooxml(parts);
    INFO(ooxml_details(hits));
    CHECK(ooxml_hit_symbols(hits) == r.want);
    if (!r.detail_has.empty()) CHECK(ooxml_details(hits).find(r.detail_has) != std::string::npos);
    for (const auto& h : hits) CHECK(h.detail.size() <= 200);
  }
}

TEST_CASE("member names: VBA projects, macro sheets and embedded objects, in any case") {
  struct Row {
    std::vector<std::string> names;
    std::multiset<std::string> want;
  };
  std::vector<Row> rows{
      {{"xl/vbaProject.bin"}, {"ATTACH_MACRO"}},
      {{"PPT/VBAPROJECT.BIN"}, {"ATTACH_MACRO"}},
      {{"XL/MacroSheets/Sheet1.xml", "xl/macrosheets/sheet2.xml",
        "xl/macrosheets/_rels/sheet1.xml.rels"},
       {"ATTACH_XLM_MACRO"}},
      {{"word/activeX/activeX1.xml", "word/activeX/activeX1.bin", "word/activeX/activeX2.xml"},
       {"ATTACH_OLE_EMBEDDED"}},
      {{"word/embeddings/oleObject1.bin", "word/embeddings/Microsoft_Excel_Worksheet.xlsx"},
       {"ATTACH_OLE_EMBEDDED", "ATTACH_OLE_EMBEDDED"}},
      {{"word/document.xml", "word/media/image1.png", "docProps/app.xml"}, {}},
      {{"word/embeddings/" + std::string(900, 'o') + ".bin"}, {"ATTACH_OLE_EMBEDDED"}},
  };
  for (const auto& r : rows) {
    std::vector<attach::OoxmlPart> parts;
    for (const auto& n : r.names) parts.push_back({n, "<x/>"});
    auto hits = attach::check_ooxml(parts);
    INFO(ooxml_details(hits));
    CHECK(ooxml_hit_symbols(hits) == r.want);
    for (const auto& h : hits) CHECK(h.detail.size() <= 200);
  }
}

TEST_CASE("hits are bounded and say so when more were found") {
  std::vector<std::string> names;
  for (int i = 0; i < 100; ++i)
    names.push_back("word/embeddings/oleObject" + std::to_string(i) + ".bin");
  std::vector<attach::OoxmlPart> parts;
  for (const auto& n : names) parts.push_back({n, ""});
  attach::OoxmlLimits lim;
  auto hits = attach::check_ooxml(parts, lim);
  REQUIRE(hits.size() == lim.max_hits);
  CHECK(hits.back().detail.find("(and 68 more hits not listed)") != std::string::npos);
  // A member longer than max_xml_bytes is read up to there only.
  std::string doc = word(std::string(2000, ' ') + "<w:fldSimple w:instr=\"DDEAUTO cmd\"/>");
  lim.max_xml_bytes = 1000;
  std::vector<attach::OoxmlPart> big{{"word/document.xml", doc}};
  CHECK(attach::check_ooxml(big, lim).empty());
  lim.max_xml_bytes = doc.size();
  CHECK(attach::check_ooxml(big, lim).size() == 1);
}

TEST_CASE("the symbol table declares every symbol the OOXML checks return") {
  std::set<std::string> names;
  for (const auto& s : attach::ooxml_symbols()) names.insert(std::string(s.name));
  CHECK(names == std::set<std::string>{"ATTACH_MACRO", "ATTACH_XLM_MACRO", "ATTACH_REMOTE_TEMPLATE",
                                       "ATTACH_OLE_LINK", "ATTACH_DDE", "ATTACH_OLE_EMBEDDED",
                                       "ATTACH_OOXML_OBFUSCATED"});
}

TEST_CASE("scanning a large document finds nothing and ends") {
  std::string body;
  for (int i = 0; body.size() < (size_t{16} << 20) - 4096; ++i)
    body +=
        R"(<w:p><w:r><w:fldChar w:fldCharType="begin"/></w:r><w:r><w:instrText xml:space="preserve"> PAGE </w:instrText></w:r><w:r><w:fldChar w:fldCharType="end"/></w:r><w:r><w:t>Paragraph )" +
        std::to_string(i) + " &amp; text</w:t></w:r></w:p>";
  const std::string doc = word(body);
  std::vector<attach::OoxmlPart> parts{{"word/document.xml", doc}};
  std::vector<attach::Hit> hits;
  double secs = test::thread_cpu_seconds([&] { hits = attach::check_ooxml(parts); });
  CHECK(hits.empty());
  WARN("word/document.xml of " << doc.size() / 1e6 << " MB scanned in " << secs
                               << " s = " << doc.size() / 1e6 / secs << " MB/s");
  CHECK(secs < test::kHangGuardSeconds);  // a hang guard: tests/bench measures the speed
}

TEST_CASE("the external relationship targets of a container are its links, decoded, bounded") {
  std::vector<attach::Member> members(3);
  members[0].path = "word/_rels/document.xml.rels";
  members[0].data =
      std::string(kRelsHead) + R"(<Relationship Id="rId1" Type=")" + kRelType +
      R"(hyperlink" Target="https://evil.example/a?b=1&amp;c=2" TargetMode="External"/>)" +
      R"(<Relationship Id="rId2" Type=")" + kRelType + R"(styles" Target="styles.xml"/>)" +
      R"(<Relationship Id="rId3" Type=")" + kRelType +
      R"(attachedTemplate" Target="http://tpl.example/t.dotm" TargetMode="External"/>)" +
      "</Relationships>";
  members[1].path = "word/document.xml";
  members[1].data = std::string(kWordHead) + "https://not-a-relationship.example/" + kWordTail;
  members[2].path = "word/_rels/footer1.xml.rels";
  members[2].data = std::string(kRelsHead) + R"(<Relationship Id="rId1" Type=")" + kRelType +
                    R"(hyperlink" Target="https://footer.example/" TargetMode="External"/>)" +
                    "</Relationships>";
  auto links = attach::ooxml_links(std::span<const attach::Member>(members));
  CHECK(links == std::vector<std::string>{"https://evil.example/a?b=1&c=2",
                                          "http://tpl.example/t.dotm", "https://footer.example/"});
  CHECK(attach::ooxml_links(std::span<const attach::Member>(members), 1).size() == 1);
}
