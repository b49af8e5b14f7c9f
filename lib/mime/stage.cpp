// MimeStage: analysis on the transaction, anomalies as findings.
#include "mime/stage.hpp"

#include <fmt/format.h>

#include <map>
#include <memory>

#include "mime/analysis.hpp"
#include "mime/symbols.hpp"
#include "mime/unwrapped.hpp"

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

// The catalogue's score (mime/symbols.cpp); an anomaly it does not list gets 0.5.
double default_score(std::string_view symbol) {
  for (const auto& info : symbols())
    if (info.name == symbol) return info.score;
  return 0.5;
}

core::Step MimeStage::on_message(core::Transaction& tx) const {
  const core::Message* m = tx.message();
  if (!m) return core::Step::next();
  const Unwrapped* u = tx.get<Unwrapped>();  // decrypted by an earlier stage: scan that
  auto a = std::make_shared<const Analysis>(
      analyze(u ? std::string_view(u->raw) : std::string_view(m->raw()),
              analysis_limits(tx.limits()), &tx.budget()));
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
