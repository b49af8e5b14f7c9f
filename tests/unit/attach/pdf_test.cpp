// PDF active content: payload PDFs from the corpus, ClamAV's test PDF, and PDFs
// built here with zlib (object streams, escaped names, bombs, broken syntax).
#include "attach/pdf.hpp"
#include "support/files.hpp"

#include <zlib.h>
#include <catch2/catch.hpp>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <set>
#include <string>
#include <vector>

using namespace postern;
using attach::analyze_pdf;
using attach::PdfLimits;

namespace {

using postern::test::slurp;

std::string deflate(const std::string& s) {
  uLongf n = compressBound(s.size());
  std::string out(n, '\0');
  REQUIRE(compress2(reinterpret_cast<Bytef*>(out.data()), &n,
                    reinterpret_cast<const Bytef*>(s.data()), s.size(), 9) == Z_OK);
  out.resize(n);
  return out;
}

std::string hexed(const std::string& s) {
  static const char* d = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    out.push_back(d[c >> 4]);
    out.push_back(d[c & 15]);
  }
  return out + ">";
}

// An object holding a stream with the given dictionary entries.
std::string stream_obj(int num, const std::string& dict, const std::string& data) {
  return std::to_string(num) + " 0 obj\n<< /Length " + std::to_string(data.size()) + " " + dict +
         " >>\nstream\n" + data + "\nendstream\nendobj\n";
}

std::string pdf(const std::string& body, const std::string& trailer = "/Root 1 0 R") {
  return "%PDF-1.7\n%\xe2\xe3\xcf\xd3\n" + body + "trailer\n<< " + trailer + " >>\n%%EOF\n";
}

const std::string kCatalog = "1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n";
const std::string kPage =
    "2 0 obj\n<< /Type /Pages /Kids [3 0 R] /Count 1 >>\nendobj\n"
    "3 0 obj\n<< /Type /Page /Parent 2 0 R /Contents 4 0 R /Annots [5 0 R] >>\nendobj\n";

std::string content(const std::string& text) {
  return stream_obj(4, "/Filter /FlateDecode",
                    deflate("BT /F1 12 Tf 72 712 Td (" + text + ") Tj ET"));
}

// LZW as PDF writes it (9-12 bit codes, EarlyChange 1), to build LZW streams.
std::string lzw(const std::string& in) {
  std::map<std::string, int> dict;
  for (int i = 0; i < 256; ++i) dict[std::string(1, static_cast<char>(i))] = i;
  int next = 258, bits = 9, have = 0;
  uint32_t acc = 0;
  std::string out;
  auto put = [&](int code) {
    acc = (acc << bits) | static_cast<uint32_t>(code);
    have += bits;
    while (have >= 8) {
      out.push_back(static_cast<char>((acc >> (have - 8)) & 0xff));
      have -= 8;
    }
    acc &= (1u << have) - 1;
  };
  put(256);
  std::string w;
  for (char c : in) {
    std::string wc = w + c;
    if (dict.count(wc)) {
      w = wc;
      continue;
    }
    put(dict[w]);
    if (next < 4096) dict[wc] = next++;
    if (next >= (1 << bits) && bits < 12) ++bits;  // the reader is one entry behind
    w = std::string(1, c);
  }
  if (!w.empty()) put(dict[w]);
  put(257);
  if (have > 0) out.push_back(static_cast<char>((acc << (8 - have)) & 0xff));
  return out;
}

std::set<std::string> pdf_symbols(const std::vector<attach::Hit>& hits) {
  std::set<std::string> out;
  for (const auto& h : hits) out.insert(h.symbol);
  return out;
}

const attach::Hit* find(const std::vector<attach::Hit>& hits, const std::string& sym) {
  auto it = std::find_if(hits.begin(), hits.end(), [&](const auto& h) { return h.symbol == sym; });
  return it == hits.end() ? nullptr : &*it;
}

struct PdfRow {
  std::string name;
  std::string data;
  std::set<std::string> want;  // exactly these symbols
};

}  // namespace

TEST_CASE("PDF active content is found however it is written, and only where a reader sees it") {
  const std::string js_action = "5 0 obj\n<< /S /JavaScript /JS (app.alert\\(1\\)) >>\nendobj\n";
  const std::string objstm =
      "6 0 obj << /S /JavaScript /JS (app.launchURL\\(\"http://x.test\"\\)) >> endobj";
  const std::string long_text(600, 'x');
  std::string long_objs;  // varied text, so that the LZW table fills and the codes widen
  for (int i = 0; i < 3000; ++i)
    long_objs += "<< /N" + std::to_string(i * 7919 % 10007) + " " + std::to_string(i) + " >>\n";
  const std::vector<PdfRow> rows = {
      {"an OpenAction into JavaScript",
       pdf("1 0 obj\n<< /Type /Catalog /OpenAction 5 0 R >>\nendobj\n" + js_action),
       {"ATTACH_PDF_JAVASCRIPT", "ATTACH_PDF_OPENACTION"}},
      {"a hex-escaped /JavaScript counts and is itself a finding",
       pdf(kCatalog + "5 0 obj\n<< /S /J#61vaScript /J#53 (x) >>\nendobj\n"),
       {"ATTACH_PDF_JAVASCRIPT", "ATTACH_PDF_OBFUSCATED_NAME"}},
      {"names inside strings, hex strings and comments do not count",
       pdf(kCatalog +
           "5 0 obj\n<< /Title (see /JavaScript and /Launch \\) /OpenAction) /Subject <" +
           hexed("/JavaScript") + " >>\n% /JS /Launch /OpenAction\nendobj\n"),
       {}},
      {"JavaScript hidden in a FlateDecode object stream",
       pdf(kCatalog + stream_obj(7, "/Type /ObjStm /N 1 /First 4 /Filter /FlateDecode",
                                 deflate("6 0 " + objstm))),
       {"ATTACH_PDF_JAVASCRIPT"}},
      {"a /Launch behind ASCIIHex then Flate",
       pdf(kCatalog + stream_obj(7, "/Type /ObjStm /Filter [/AHx /FlateDecode]",
                                 hexed(deflate("<< /S /Launch /F (cmd.exe) >>")))),
       {"ATTACH_PDF_LAUNCH"}},
      {"an /OpenAction behind ASCII85",
       // "<< /OpenAction 9 0 R >>" in ASCII85 (python3 base64.a85encode, adobe=True)
       pdf(kCatalog + stream_obj(7, "/Type /ObjStm /Filter /ASCII85Decode",
                                 "<~4?O`>:N0l_6\">\"NDf-[X+>=p9+?hs~>")),
       {"ATTACH_PDF_OPENACTION"}},
      {"an unterminated string cannot hide what follows it",
       pdf(kCatalog + "5 0 obj\n<< /T (never closed >>\nendobj\n6 0 obj << /S /Launch >>\n"),
       {"ATTACH_PDF_LAUNCH", "ATTACH_PDF_MALFORMED"}},
      {"a hex string with non-hex bytes cannot hide what follows it",
       pdf(kCatalog + "5 0 obj\n<< /T <4142 /JS 9 0 R >>\nendobj\n"),
       {"ATTACH_PDF_JAVASCRIPT", "ATTACH_PDF_MALFORMED"}},
      {"an encrypted PDF", pdf(kCatalog, "/Root 1 0 R /Encrypt 9 0 R"), {"ATTACH_PDF_ENCRYPTED"}},
      {"a page with almost no text and a link is a lure",
       pdf(kCatalog + kPage + content("Open") +
           "5 0 obj\n<< /Type /Annot /Subtype /Link /A << /S /URI /URI (https://login.evil.test/x) "
           ">> "
           ">>\nendobj\n"),
       {"ATTACH_PDF_URIS"}},
      {"a page with text and a link is not",
       pdf(kCatalog + kPage + content(long_text) +
           "5 0 obj\n<< /Type /Annot /Subtype /Link /A << /S /URI /URI (https://shop.test/) >> "
           ">>\nendobj\n"),
       {}},
      {"additional actions without script are weak",
       pdf(kCatalog + "5 0 obj << /AA << /O 6 0 R >> >> endobj\n"),
       {"ATTACH_PDF_OPENACTION"}},
      {"XFA and SubmitForm",
       pdf(kCatalog + "5 0 obj << /AcroForm << /XFA 8 0 R >> /A << /S /SubmitForm >> >> endobj\n"),
       {"ATTACH_PDF_XFA", "ATTACH_PDF_ACTIVE_CONTENT"}},
      {"a string in a FontMatrix (PDF.js CVE-2024-4367)",
       pdf(kCatalog +
           "5 0 obj << /Type /Font /FontMatrix [1 2 3 4 5 (1\\); alert\\(1\\))] >> endobj\n"),
       {"ATTACH_PDF_EXPLOIT"}},
      {"a /Launch deep in a long LZW object stream (12-bit codes)",
       pdf(kCatalog +
           stream_obj(7, "/Type /ObjStm /Filter /LZWDecode", lzw(long_objs + "<< /S /Launch >>"))),
       {"ATTACH_PDF_LAUNCH"}},
      {"an indirect /Length is not the stream's length",
       pdf(kCatalog + "7 0 obj\n<< /Length 8 0 R /Type /ObjStm >>\nstream\n6 0 << /JS 5 0 R "
                      ">>\nendstream\nendobj\n8 0 obj 20 endobj\n"),
       {"ATTACH_PDF_JAVASCRIPT"}},
      // A /Length too long to be a number is no length: the stream is read to endstream
      // (it once overflowed a long long, found by fuzz_attach_pdf under UBSan).
      {"a /Length of twenty digits is not a length",
       pdf(kCatalog + "7 0 obj\n<< /Length 26678917614962094520 /Type /ObjStm >>\nstream\n6 0 "
                      "<< /JS 5 0 R >>\nendstream\nendobj\n"),
       {"ATTACH_PDF_JAVASCRIPT"}},
  };
  for (const auto& r : rows) {
    INFO(r.name);
    const auto rep = analyze_pdf(r.data);
    CHECK(pdf_symbols(rep.hits) == r.want);
  }
}

TEST_CASE("an OpenAction scores high only with JavaScript or Launch") {
  const auto with_js =
      analyze_pdf(pdf("1 0 obj << /OpenAction << /S /JavaScript /JS (x) >> >> endobj\n"));
  const auto alone = analyze_pdf(pdf("1 0 obj << /OpenAction [3 0 R /Fit] >> endobj\n"));
  REQUIRE(find(with_js.hits, "ATTACH_PDF_OPENACTION"));
  REQUIRE(find(alone.hits, "ATTACH_PDF_OPENACTION"));
  CHECK(find(with_js.hits, "ATTACH_PDF_OPENACTION")->score == 4.0);
  CHECK(find(alone.hits, "ATTACH_PDF_OPENACTION")->score == 0.5);
}

TEST_CASE("the URIs and the embedded files are handed over") {
  const std::string exe = "MZ\x90\x00 this program cannot be run";
  const auto rep =
      analyze_pdf(pdf(kCatalog +
                      "5 0 obj << /S /URI /URI (https://a.test/\\(1\\)) >> endobj\n"
                      "6 0 obj << /S /URI /URI <" +
                      hexed("https://b.test/") + " >> endobj\n" +
                      stream_obj(7, "/Type /EmbeddedFile /Filter /FlateDecode", deflate(exe))));
  CHECK(rep.uris == std::vector<std::string>{"https://a.test/(1)", "https://b.test/"});
  CHECK(rep.uri_count == 2);
  REQUIRE(rep.embedded_files.size() == 1);
  CHECK(rep.embedded_files[0] == exe);
  CHECK(find(rep.hits, "ATTACH_PDF_EMBEDDED_FILE"));

  PdfLimits few;
  few.max_uris = 1;
  CHECK(analyze_pdf(pdf("1 0 obj [<< /URI (a) >> << /URI (b) >>] endobj\n"), few).uris.size() == 1);
}

TEST_CASE("a zlib bomb stream is a limit hit, not memory") {
  const std::string zeros(200u << 20, '\0');  // 200 MiB of zeros: about 200 KiB deflated
  const std::string bomb = deflate(zeros);
  const std::string file =
      pdf(kCatalog + stream_obj(7, "/Type /ObjStm /Filter /FlateDecode", bomb) +
          "8 0 obj << /S /Launch >> endobj\n");
  const auto t0 = std::chrono::steady_clock::now();
  const auto rep = analyze_pdf(file);
  const double ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  const auto* lim = find(rep.hits, "ATTACH_PDF_LIMIT");
  REQUIRE(lim);
  CHECK_THAT(lim->detail, Catch::Contains("inflates to more than"));
  CHECK(find(rep.hits, "ATTACH_PDF_LAUNCH"));  // what follows the bomb is still read
  CHECK(ms < 2000);
  WARN("bomb of " << bomb.size() << " bytes: " << ms << " ms");

  // The ratio bound holds before the per-stream bound: 2 MiB of zeros is 2 KiB deflated.
  PdfLimits lim2;
  lim2.max_ratio = 10;
  const auto small = analyze_pdf(
      pdf(stream_obj(7, "/Filter /FlateDecode", deflate(std::string(2u << 20, '\0')))), lim2);
  CHECK(find(small.hits, "ATTACH_PDF_LIMIT"));
}

TEST_CASE("hostile structure stays linear and bounded") {
  SECTION("a million nested arrays and dictionaries") {
    const std::string deep =
        pdf("1 0 obj " + std::string(1000000, '[') + "/JS" + std::string(1000000, ']') +
            std::string(500000, '<') + " endobj\n");
    const auto rep = analyze_pdf(deep);
    CHECK(pdf_symbols(rep.hits) == std::set<std::string>{"ATTACH_PDF_JAVASCRIPT"});
  }
  SECTION("many unterminated strings are lexed at most twice") {
    const std::string opens(2000000, '(');
    const auto t0 = std::chrono::steady_clock::now();
    const auto rep = analyze_pdf(pdf(opens + "/JS\n"));
    const double ms =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    CHECK(find(rep.hits, "ATTACH_PDF_JAVASCRIPT"));
    CHECK(ms < 1000);
  }
  SECTION("the stream count bound") {
    std::string body;
    for (int i = 0; i < 5; ++i) body += stream_obj(10 + i, "", "q Q");
    PdfLimits two;
    two.max_streams = 2;
    const auto rep = analyze_pdf(pdf(body), two);
    CHECK(rep.streams_decoded == 2);
    CHECK(find(rep.hits, "ATTACH_PDF_LIMIT"));
  }
  SECTION("the input bound") {
    PdfLimits tiny;
    tiny.max_input = 100;
    const auto rep = analyze_pdf(pdf(kCatalog + std::string(200, ' ') + "/JS"), tiny);
    CHECK(pdf_symbols(rep.hits) == std::set<std::string>{"ATTACH_PDF_LIMIT"});
  }
  SECTION("a spent CPU budget stops the work") {
    core::CpuBudget budget(std::chrono::milliseconds(1));
    std::string big;
    for (int i = 0; i < 400000; ++i) big += "/Name ";
    const auto rep = analyze_pdf(pdf(big), {}, &budget);
    const auto* lim = find(rep.hits, "ATTACH_PDF_LIMIT");
    REQUIRE(lim);
    CHECK_THAT(lim->detail, Catch::Contains("CPU"));
  }
}

TEST_CASE("the payload PDFs of the corpus are found, ClamAV's test PDF only embeds a file") {
  const std::filesystem::path dir = std::filesystem::path(POSTERN_CORPUS_DIR) / "attach/pdf";
  if (!std::filesystem::exists(dir)) {
    WARN("no corpus at " << dir);
    return;
  }
  struct Want {
    std::string file;
    std::set<std::string> symbols;
  };
  const std::set<std::string> js_open = {"ATTACH_PDF_JAVASCRIPT", "ATTACH_PDF_OPENACTION"};
  const std::set<std::string> lure = {"ATTACH_PDF_JAVASCRIPT", "ATTACH_PDF_OPENACTION",
                                      "ATTACH_PDF_URIS"};
  const std::vector<Want> wants = {
      {"foxit-reader-poc.pdf", js_open},
      {"payload1.pdf", lure},
      {"payload2.pdf", lure},
      {"payload3.pdf", lure},
      {"payload4.pdf", lure},
      {"payload5.pdf", lure},
      {"payload6.pdf", lure},
      {"payload7.pdf", js_open},
      {"payload8.pdf", {"ATTACH_PDF_EXPLOIT"}},
      {"starter_pack.pdf", lure},
  };
  size_t bytes = 0;
  double ms = 0;
  for (const auto& w : wants) {
    INFO(w.file);
    const std::string data = slurp(dir / w.file);
    REQUIRE(!data.empty());
    const auto t0 = std::chrono::steady_clock::now();
    const auto rep = analyze_pdf(data);
    ms += std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    bytes += data.size();
    CHECK(pdf_symbols(rep.hits) == w.symbols);
  }
  WARN("corpus PDFs: " << bytes << " bytes in " << ms << " ms");

  const std::string clam = slurp("/usr/share/clamav-testfiles/clam.pdf");
  if (clam.empty()) {
    WARN("clamav-testfiles not installed");
    return;
  }
  const auto rep = analyze_pdf(clam);
  CHECK(pdf_symbols(rep.hits) == std::set<std::string>{"ATTACH_PDF_EMBEDDED_FILE"});
  REQUIRE(rep.embedded_files.size() == 1);
  CHECK(rep.embedded_files[0].starts_with("MZ"));
}
