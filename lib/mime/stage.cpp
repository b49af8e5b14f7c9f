// MimeStage: analysis on the transaction, anomalies as findings.
#include "mime/stage.hpp"

#include <fmt/format.h>

#include <map>
#include <memory>

#include "mime/analysis.hpp"

namespace postern::mime {

AnalysisLimits analysis_limits(const core::Limits& l) {
  AnalysisLimits al;
  al.mime.max_depth = l.mime_depth;
  al.mime.max_parts = l.mime_parts;
  al.mime.max_header_bytes = l.mime_header_bytes;
  al.mime.max_part_decoded = l.mime_part_decoded;
  al.mime.max_total_decoded = l.mime_total_decoded;
  return al;
}

double default_score(std::string_view symbol) {
  static const std::map<std::string_view, double> kScores{
      {"MIME_BASE64_BOUNDARY_LINE", 3.0},
      {"MIME_DEPTH_LIMIT", 3.0},
      {"MIME_PARTS_LIMIT", 3.0},
      {"MIME_EPILOGUE_CONTENT", 2.0},
      {"MIME_DUPLICATE_CONTENT_TYPE", 2.0},
      {"MIME_DUPLICATE_TRANSFER_ENCODING", 2.0},
      {"MIME_MULTIPART_ENCODED", 2.0},
      {"MIME_BASE64_DATA_AFTER_PADDING", 2.0},
      {"MIME_FILENAME_MISMATCH", 2.0},
      {"MIME_HEADER_LIMIT", 2.0},
      {"MIME_BOUNDARY_NOT_FOUND", 1.0},
      {"MIME_UNTERMINATED_MULTIPART", 1.0},
      {"MIME_CONTENT_TYPE_NO_SUBTYPE", 1.0},
      {"MIME_BASE64_INVALID_CHARS", 1.0},
      {"MIME_DECODED_LIMIT", 1.0},
      {"MIME_UNKNOWN_TRANSFER_ENCODING", 1.0},
      {"MIME_DUPLICATE_PARAMETER", 1.0},
      {"MIME_MESSAGE_ENCODED", 1.0},
      {"MIME_UUENCODE_UNTERMINATED", 1.0},
      {"MIME_MULTIPART_NO_BOUNDARY", 1.0},
      {"MIME_BASE64_NO_PADDING", 0.5},
      {"MIME_QP_INVALID", 0.5},
      {"MIME_UNKNOWN_CHARSET", 0.5},
      {"MIME_ENCODED_WORD_IN_PARAMETER", 0.5},
      {"MIME_CONTENT_TYPE_INVALID", 0.5},
      {"MIME_MISSING_HEADER_SEPARATOR", 0.5},
      {"MIME_CONTENT_TYPE_SYNTAX", 1.0},
      {"MIME_UUENCODE_INVALID_CHARS", 1.0},
      {"MIME_CHARSET_INVALID_BYTES", 0.3},
      {"HTML_PASSWORD_FORM", 3.0},
      {"HTML_INVISIBLE_COLOR", 1.5},
      {"HTML_HIDDEN_TEXT", 1.0},
      {"HTML_TINY_FONT", 1.0},
      {"HTML_LIMIT", 0.0},  // informational: deep real-world quote chains reach it too
  };
  auto it = kScores.find(symbol);
  return it == kScores.end() ? 0.5 : it->second;
}

core::Step MimeStage::on_message(core::Transaction& tx) const {
  const core::Message* m = tx.message();
  if (!m) return core::Step::next();
  auto a = std::make_shared<const Analysis>(
      analyze(m->raw(), analysis_limits(tx.limits()), &tx.budget()));
  struct Group {
    size_t count = 0;
    std::string detail;
  };
  std::map<std::string, Group> groups;  // symbol -> first details and count
  std::vector<std::string> order;
  for (const auto& an : a->anomalies) {
    auto [it, inserted] = groups.try_emplace(an.symbol);
    if (inserted) order.push_back(an.symbol);
    Group& g = it->second;
    if (++g.count <= 3) g.detail += (g.detail.empty() ? "" : "; ") + an.detail.substr(0, 200);
  }
  for (const auto& sym : order) {
    const Group& g = groups[sym];
    std::string detail =
        g.count > 3 ? fmt::format("{} (and {} more)", g.detail, g.count - 3) : g.detail;
    tx.add_finding(sym, default_score(sym), std::move(detail));
  }
  tx.put(a);
  return core::Step::next();
}

}  // namespace postern::mime
