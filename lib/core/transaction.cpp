// Transaction: findings with effective scores, stage timings.
#include "core/transaction.hpp"

#include <algorithm>

namespace postern::core {

void Transaction::add_finding(std::string symbol, double default_score, std::string detail) {
  // Bounded per scope: the transaction's findings, and each recipient's on its own, so that
  // many findings about other recipients never crowd out one recipient's (its hard rules).
  size_t& count = counts_[recipient_];
  if (count >= limits_.findings) {
    if (count == limits_.findings) {
      ++count;
      findings_.push_back(
          {"POSTERN_FINDINGS_LIMIT", score_ ? score_("POSTERN_FINDINGS_LIMIT", 0) : 0,
           "more than " + std::to_string(limits_.findings) + " findings; the rest were dropped",
           recipient_});
    }
    return;
  }
  ++count;
  double s = score_ ? score_(symbol, default_score) : default_score;
  findings_.push_back({std::move(symbol), s, std::move(detail), recipient_});
}

void Transaction::adopt(const Finding& f) {
  size_t& count = counts_[f.recipient];
  if (count >= limits_.findings) return;
  ++count;
  findings_.push_back(f);
}

bool Transaction::has_finding(std::string_view symbol) const {
  return std::any_of(findings_.begin(), findings_.end(), [&](const Finding& f) {
    return f.symbol == symbol && (f.recipient.empty() || f.recipient == recipient_);
  });
}

double Transaction::score() const {
  double s = 0;
  for (const auto& f : findings_) s += f.score;
  return s;
}

std::vector<Finding> Transaction::findings_for(std::string_view rcpt) const {
  std::vector<Finding> out;
  for (const auto& f : findings_)
    if (f.recipient.empty() || (!rcpt.empty() && f.recipient == rcpt)) out.push_back(f);
  return out;
}

bool Transaction::has_recipient_findings(std::string_view rcpt) const {
  return std::any_of(findings_.begin(), findings_.end(),
                     [&](const Finding& f) { return !f.recipient.empty() && f.recipient == rcpt; });
}

void Transaction::add_stage_time(std::string_view stage, double ms) {
  for (auto& t : times_)
    if (t.name == stage) {
      t.ms += ms;
      return;
    }
  times_.push_back({std::string(stage), ms});
}

}  // namespace postern::core
