// The symbol tables of the PDF, HTML-attachment and YARA analyzers.
#include <catch2/catch.hpp>

#include <set>
#include <string>

#include "attach/html_attach.hpp"
#include "attach/pdf.hpp"
#include "attach/yara.hpp"

using namespace postern;

TEST_CASE("every ATTACH_ symbol of PDF, HTML and YARA is catalogued once, with a description") {
  std::set<std::string> seen;
  for (const auto table :
       {attach::pdf_symbols(), attach::html_attach_symbols(), attach::yara_symbols()})
    for (const auto& s : table) {
      INFO(s.name);
      CHECK(s.name.starts_with("ATTACH_"));
      CHECK(seen.insert(std::string(s.name)).second);
      CHECK(!s.description.empty());
      CHECK(s.score >= 0);
      CHECK(s.score <= 8);
    }
  // What the scanners return in the other tests of this folder is among them.
  for (const char* sym : {"ATTACH_PDF_JAVASCRIPT",
                          "ATTACH_PDF_OPENACTION",
                          "ATTACH_PDF_LAUNCH",
                          "ATTACH_PDF_EMBEDDED_FILE",
                          "ATTACH_PDF_XFA",
                          "ATTACH_PDF_ACTIVE_CONTENT",
                          "ATTACH_PDF_URIS",
                          "ATTACH_PDF_ENCRYPTED",
                          "ATTACH_PDF_OBFUSCATED_NAME",
                          "ATTACH_PDF_EXPLOIT",
                          "ATTACH_PDF_MALFORMED",
                          "ATTACH_PDF_LIMIT",
                          "ATTACH_HTML_SMUGGLING",
                          "ATTACH_HTML_FORM",
                          "ATTACH_HTML_REDIRECT",
                          "ATTACH_HTML_SCRIPT_OBFUSCATED",
                          "ATTACH_HTML_LIMIT",
                          "ATTACH_YARA",
                          "ATTACH_YARA_TIMEOUT",
                          "ATTACH_YARA_ERROR",
                          "ATTACH_YARA_LIMIT"})
    CHECK(seen.count(sym) == 1);
  CHECK(seen.size() == 21);
}
