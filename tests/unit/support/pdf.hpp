// PDF fixtures for the DLP tests: a one-page PDF showing a line of text, and the
// PDF reader of this build (tools/pdftext, POSTERN_PDFTEXT_BIN), one per process.
#pragma once

#include <string>
#include <vector>

#include "dlp/pdf_reader.hpp"

namespace postern::test {

// A PDF with one page per line of `lines`, each page's content stream showing its
// line in Helvetica, with a correct xref.
inline std::string pdf_pages(const std::vector<std::string>& lines) {
  std::vector<std::string> objects = {"<< /Type /Catalog /Pages 2 0 R >>", ""};
  std::string kids;
  for (const auto& line : lines) {
    const size_t page = objects.size() + 1;
    const std::string content = "BT /F1 12 Tf 72 720 Td (" + line + ") Tj ET";
    objects.push_back("<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents " +
                      std::to_string(page + 1) + " 0 R /Resources << /Font << /F1 " +
                      std::to_string(page + 2) + " 0 R >> >> >>");
    objects.push_back("<< /Length " + std::to_string(content.size()) + " >>\nstream\n" + content +
                      "\nendstream");
    objects.push_back("<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>");
    kids += (kids.empty() ? "" : " ") + std::to_string(page) + " 0 R";
  }
  objects[1] =
      "<< /Type /Pages /Kids [" + kids + "] /Count " + std::to_string(lines.size()) + " >>";
  std::string pdf = "%PDF-1.4\n";
  std::vector<size_t> offsets;
  for (size_t i = 0; i < objects.size(); ++i) {
    offsets.push_back(pdf.size());
    pdf += std::to_string(i + 1) + " 0 obj\n" + objects[i] + "\nendobj\n";
  }
  const size_t xref = pdf.size();
  pdf += "xref\n0 " + std::to_string(objects.size() + 1) + "\n0000000000 65535 f \n";
  for (size_t off : offsets) {
    std::string n = std::to_string(off);
    pdf += std::string(10 - n.size(), '0') + n + " 00000 n \n";
  }
  pdf += "trailer\n<< /Size " + std::to_string(objects.size() + 1) +
         " /Root 1 0 R >>\nstartxref\n" + std::to_string(xref) + "\n%%EOF\n";
  return pdf;
}

// A one-page PDF showing `line`.
inline std::string pdf_showing(const std::string& line) {
  return pdf_pages(std::vector<std::string>{line});
}

// The reader of this build, shared by a test binary's cases.
inline dlp::PdfReader& pdf_reader() {
  static dlp::PdfReader reader(dlp::PdfReaderOptions{.program = POSTERN_PDFTEXT_BIN});
  return reader;
}

}  // namespace postern::test
