// The DLP stage (see stage.hpp).
#include "dlp/stage.hpp"

#include <fmt/format.h>
#include <re2/re2.h>

#include <algorithm>
#include <nlohmann/json.hpp>

#include "core/transaction.hpp"
#include "dlp/attachment_text.hpp"
#include "mime/analysis.hpp"

namespace postern::dlp {

struct DlpScanner::Compiled {
  const DlpRule* rule = nullptr;
  std::vector<std::unique_ptr<re2::RE2>> custom;  // patterns, then the dictionary as one
};

namespace {

re2::RE2::Options re_options() {
  re2::RE2::Options o;
  o.set_log_errors(false);
  o.set_case_sensitive(false);
  o.set_max_mem(8ll << 20);
  return o;
}

// A match of a rule's own pattern or word: its length in stars (at most 12), never the text.
std::string mask_custom(size_t len) {
  return std::string(std::min<size_t>(len, 12), '*');
}

}  // namespace

DlpScanner::~DlpScanner() = default;

postern::expected<std::shared_ptr<const DlpScanner>, policy::Error> DlpScanner::build(
    const DlpPolicy& policy) {
  std::shared_ptr<DlpScanner> s(new DlpScanner());
  s->policy_ = policy;
  s->options_.enabled.fill(false);
  s->options_.window = policy.window;
  s->options_.max_matches = policy.max_matches;
  s->options_.keywords = policy.keywords;
  for (const auto& rule : s->policy_.rules) {
    const auto& name = rule.first;  // not a structured binding: the lambda below captures it
    const auto& r = rule.second;
    if (!r.enabled) continue;
    auto c = std::make_unique<Compiled>();
    c->rule = &r;
    for (Detector d : r.detectors) s->options_.enabled[static_cast<size_t>(d)] = true;
    auto fail = [&](const std::string& what) {
      policy::Error e = r.at;
      e.message = fmt::format("[dlp.rules.{}]: {}", name, what);
      return postern::unexpected(std::move(e));
    };
    for (const auto& p : r.patterns) {
      c->custom.push_back(std::make_unique<re2::RE2>(p, re_options()));
      if (!c->custom.back()->ok()) return fail(c->custom.back()->error());
    }
    if (!r.dictionary.empty()) {
      std::string alt;
      for (const auto& w : r.dictionary) alt += (alt.empty() ? "" : "|") + re2::RE2::QuoteMeta(w);
      c->custom.push_back(std::make_unique<re2::RE2>("\\b(?:" + alt + ")\\b", re_options()));
      if (!c->custom.back()->ok())
        return fail("the dictionary does not compile: " + c->custom.back()->error());
    }
    s->rules_.push_back(std::move(c));
  }
  return std::shared_ptr<const DlpScanner>(std::move(s));
}

bool DlpScanner::applies(core::Direction dir) const {
  return std::any_of(rules_.begin(), rules_.end(),
                     [&](const auto& c) { return c->rule->directions.has(dir); });
}

Report DlpScanner::scan(const std::vector<std::string_view>& texts, core::Direction dir) const {
  Report rep;
  std::vector<Match> found;  // every detector match, at most max_matches
  struct Custom {
    size_t count = 0;
    std::vector<std::string> masked;
  };
  std::vector<Custom> custom(rules_.size());
  size_t total = 0;
  for (auto text : texts) {
    if (rep.bytes_scanned >= policy_.max_bytes) {
      rep.limit = true;
      break;
    }
    if (text.size() > policy_.max_bytes - rep.bytes_scanned) {
      text = text.substr(0, policy_.max_bytes - rep.bytes_scanned);
      rep.limit = true;
    }
    rep.bytes_scanned += text.size();
    auto r = detect(text, options_);
    if (r.truncated) rep.limit = true;
    for (auto& m : r.matches) {
      if (total >= policy_.max_matches) {
        rep.limit = true;
        break;
      }
      ++total;
      found.push_back(std::move(m));
    }
    for (size_t i = 0; i < rules_.size(); ++i) {
      if (!rules_[i]->rule->directions.has(dir)) continue;
      for (const auto& re : rules_[i]->custom) {
        re2::StringPiece in(text.data(), text.size()), m;
        while (in.size() > 0 && re->Match(in, 0, in.size(), re2::RE2::UNANCHORED, &m, 1)) {
          if (total >= policy_.max_matches) {
            rep.limit = true;
            break;
          }
          ++total;
          ++custom[i].count;
          if (custom[i].masked.size() < kMaxShown)
            custom[i].masked.push_back(mask_custom(m.size()));
          const size_t next =
              static_cast<size_t>(m.data() - in.data()) + std::max<size_t>(m.size(), 1);
          in.remove_prefix(std::min(next, in.size()));
        }
      }
    }
  }
  for (size_t i = 0; i < rules_.size(); ++i) {
    const DlpRule& r = *rules_[i]->rule;
    if (!r.directions.has(dir)) continue;
    Report::RuleHit h;
    h.rule = r.name;
    h.symbol = r.symbol;
    h.score = r.score;
    h.action = r.action;
    h.notify = r.notifies();
    Tier top = Tier::low;
    bool any = false;
    for (const auto& m : found) {
      if (m.tier < r.min_confidence ||
          std::find(r.detectors.begin(), r.detectors.end(), m.detector) == r.detectors.end())
        continue;
      ++h.count;
      top = any ? std::max(top, m.tier) : m.tier;
      any = true;
      const std::string det(detector_name(m.detector));
      if (std::find(h.detectors.begin(), h.detectors.end(), det) == h.detectors.end())
        h.detectors.push_back(det);
      if (h.masked.size() < kMaxShown) h.masked.push_back(m.masked);
    }
    if (custom[i].count > 0 && r.min_confidence <= Tier::medium) {
      h.count += custom[i].count;
      top = any ? std::max(top, Tier::medium) : Tier::medium;
      any = true;
      h.detectors.push_back("custom");
      for (const auto& m : custom[i].masked)
        if (h.masked.size() < kMaxShown) h.masked.push_back(m);
    }
    if (!any || h.count < r.min_count) continue;
    h.top_tier = std::string(tier_name(top));
    rep.hits.push_back(std::move(h));
  }
  return rep;
}

core::Step DlpStage::on_message(core::Transaction& tx) const {
  if (!scanner_->applies(tx.direction())) return core::Step::next();
  const mime::Analysis* a = tx.get<mime::Analysis>();
  if (!a) return core::Step::next();
  const DlpPolicy& pol = scanner_->policy();
  std::vector<std::string_view> texts;
  for (const auto& l : a->leaves)
    if (!l.text.empty()) texts.emplace_back(l.text);
  AttachmentText files;
  if (pol.attachments) {
    TextLimits limits;
    limits.max_bytes = pol.max_bytes;
    limits.pdf = pdf_.get();
    limits.pdf_wall = pol.pdf_timeout;
    limits.pdf_total = pol.pdf_total;
    files = attachment_text(*a, limits, texts, &tx.budget());  // texts: where passwords are given
    for (const auto& f : files.files) texts.emplace_back(f.text);
  }
  auto rep = std::make_shared<Report>(scanner_->scan(texts, tx.direction()));
  rep->attachments_read = files.files.size();
  rep->unread = std::move(files.unread);
  rep->unread_count = files.unread_count;
  rep->limit = rep->limit || files.limit;
  for (const auto& h : rep->hits) {
    std::string shown;
    for (const auto& m : h.masked) shown += fmt::format("{}\"{}\"", shown.empty() ? "" : ", ", m);
    std::string dets;
    for (const auto& d : h.detectors) dets += (dets.empty() ? "" : ",") + d;
    tx.add_finding(h.symbol, h.score,
                   fmt::format("{} match(es) of {} (up to {} confidence): {}", h.count, dets,
                               h.top_tier, shown));
  }
  if (rep->limit)
    tx.add_finding("DLP_LIMIT", 0,
                   fmt::format("the DLP scan stopped at a bound ({} bytes of text scanned)",
                               rep->bytes_scanned));
  if (rep->unread_count) {
    std::string detail = fmt::format("{}", fmt::join(rep->unread, "; "));
    if (rep->unread_count > rep->unread.size())
      detail += fmt::format("; and {} more", rep->unread_count - rep->unread.size());
    tx.add_finding("DLP_UNREADABLE", 0, std::move(detail));
  }
  tx.put<Report>(std::move(rep));
  return core::Step::next();
}

void write_event(const core::Transaction& tx, nlohmann::json& event) {
  const Report* r = tx.get<Report>();
  if (!r) return;
  if (!r->unread.empty()) event["postern"]["dlp_unread"] = r->unread;
  if (r->hits.empty() && !r->limit) return;
  nlohmann::json hits = nlohmann::json::array();
  for (const auto& h : r->hits)
    hits.push_back({{"rule", h.rule},
                    {"symbol", h.symbol},
                    {"count", h.count},
                    {"tier", h.top_tier},
                    {"detectors", h.detectors},
                    {"masked", h.masked}});
  event["postern"]["dlp"] = std::move(hits);
}

}  // namespace postern::dlp
