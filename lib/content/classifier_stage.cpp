// The classifier stage, its [classifier] policy section and its model service
// (see classifier_stage.hpp).
#include "content/classifier_stage.hpp"

#include <sys/stat.h>

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>

#include "content/tokenizer.hpp"
#include "core/excerpt.hpp"
#include "policy/policy.hpp"
#include "policy/toml_reader.hpp"

namespace postern::content {
namespace {

bool stat_file(const std::string& path, int64_t& mtime_ns, uint64_t& size) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return false;
  mtime_ns = int64_t{st.st_mtim.tv_sec} * 1000000000 + st.st_mtim.tv_nsec;
  size = static_cast<uint64_t>(st.st_size);
  return true;
}

std::string model_path(const ClassifierPolicy& p) {
  return p.model.empty() ? default_model_path() : p.model;
}

void read_section(policy::TomlSection& s, policy::Policy& pol) {
  ClassifierPolicy c = pol.sections.section<ClassifierPolicy>("classifier");
  if (auto v = s.boolean("enabled")) c.enabled = *v;
  if (auto v = s.string("model")) {
    if (v->empty()) {
      s.error(*s.node("model"), "'model': expected a file path");
    } else {
      std::filesystem::path p(*v);
      if (p.is_relative()) p = std::filesystem::path(s.file()).parent_path() / p;
      c.model = p.string();
    }
  }
  auto prob = [&](const char* key, double& out) {
    if (auto v = s.number(key)) {
      if (*v <= 0 || *v >= 1)
        s.error(*s.node(key), fmt::format("'{}': expected a probability between 0 and 1", key));
      else
        out = *v;
    }
  };
  prob("spam_from", c.spam_from);
  prob("spam_full", c.spam_full);
  prob("ham_from", c.ham_from);
  prob("ham_full", c.ham_full);
  if (auto v = s.number("spam_score")) {
    if (*v < 0 || *v > 100)
      s.error(*s.node("spam_score"), "'spam_score': expected a number from 0 to 100");
    else
      c.spam_score = *v;
  }
  if (auto v = s.number("ham_score")) {
    if (*v > 0 || *v < -100)
      s.error(*s.node("ham_score"), "'ham_score': expected a number from -100 to 0");
    else
      c.ham_score = *v;
  }
  if (auto v = s.integer("max_tokens", 1, 100000)) c.max_tokens = *v;
  if (!(c.spam_from < c.spam_full))
    s.error_here("spam_from must be below spam_full");
  else if (!(c.ham_full < c.ham_from) || c.ham_from > c.spam_from)
    s.error_here("expected ham_full < ham_from <= spam_from");
  s.finish();
  pol.sections.set_section("classifier", std::move(c));
}

}  // namespace

std::string default_model_path() {
  std::error_code ec;
  return std::filesystem::exists(kLearnedModelPath, ec) ? kLearnedModelPath : kShippedModelPath;
}

double spam_score(const ClassifierPolicy& p, double prob) {
  if (prob < p.spam_from) return 0;
  double t = std::min(1.0, (prob - p.spam_from) / (p.spam_full - p.spam_from));
  return t * p.spam_score;
}

double ham_score(const ClassifierPolicy& p, double prob) {
  if (prob > p.ham_from) return 0;
  double t = std::min(1.0, (p.ham_from - prob) / (p.ham_from - p.ham_full));
  return t * p.ham_score;
}

const core::PolicySection kClassifierSection{.name = "classifier", .read = read_section};

core::ServiceEntry classifier_service() {
  return {
      .name = "content.classifier",
      .make = [](const policy::Config&, const policy::Policy& pol,
                 std::string& error) -> std::shared_ptr<void> {
        const auto& c = pol.sections.section<ClassifierPolicy>("classifier");
        if (!c.enabled) return nullptr;
        auto lm = std::make_shared<LoadedModel>();
        lm->path = model_path(c);
        if (!stat_file(lm->path, lm->mtime_ns, lm->size)) {
          if (!c.model.empty())
            error = fmt::format("[classifier] model {}: no such file", lm->path);
          return nullptr;  // no model installed: no classifier
        }
        auto m = Model::load(lm->path);
        if (!m) {
          error = fmt::format("[classifier] model: {}", m.error());
          return nullptr;
        }
        lm->model = std::move(*m);
        return lm;
      },
      .changed =
          [](const void* current, const policy::Config&, const policy::Config&,
             const policy::Policy& pol) {
            const auto& c = pol.sections.section<ClassifierPolicy>("classifier");
            auto* lm = static_cast<const LoadedModel*>(current);
            if (!lm) return c.enabled;
            if (!c.enabled || lm->path != model_path(c)) return true;
            int64_t mtime = 0;
            uint64_t size = 0;
            return !stat_file(lm->path, mtime, size) || mtime != lm->mtime_ns || size != lm->size;
          },
  };
}

core::Step ClassifierStage::on_message(core::Transaction& tx) const {
  if (!tx.message() || !model_) return core::Step::next();
  const Model& m = model_->model;
  TokenLimits limits;
  limits.max_tokens = static_cast<size_t>(policy_.max_tokens);
  std::vector<std::string> tokens = tokenize(tx, limits);
  std::vector<uint32_t> features;
  features.reserve(tokens.size());
  for (const auto& t : tokens) features.push_back(hash_token(t, m.bits()));
  std::vector<uint32_t> unique = features;
  std::sort(unique.begin(), unique.end());
  unique.erase(std::unique(unique.begin(), unique.end()), unique.end());
  double p = m.probability(unique);
  double spam = spam_score(policy_, p), ham = ham_score(policy_, p);
  if (spam <= 0 && ham >= 0) return core::Step::next();
  bool is_spam = spam > 0;
  // The three tokens that pushed hardest toward the verdict (first occurrence of each feature).
  std::vector<std::pair<double, size_t>> top;
  std::vector<uint32_t> seen;
  for (size_t i = 0; i < tokens.size(); ++i) {
    double c = m.contribution(features[i], unique.size()) * (is_spam ? 1 : -1);
    if (c <= 0) continue;
    top.emplace_back(c, i);
  }
  std::stable_sort(top.begin(), top.end(), [](auto& a, auto& b) { return a.first > b.first; });
  std::string why;
  size_t shown = 0;
  for (const auto& [c, i] : top) {
    if (shown == 3) break;
    if (std::find(seen.begin(), seen.end(), features[i]) != seen.end()) continue;
    seen.push_back(features[i]);
    why += fmt::format("{}\"{}\"", shown ? ", " : "", core::mask(tokens[i]));
    ++shown;
  }
  std::string detail =
      fmt::format("spam probability {:.3f}{}{}", p, why.empty() ? "" : "; tokens ", why);
  if (is_spam)
    tx.add_finding("CLASSIFIER_SPAM", spam, std::move(detail));
  else
    tx.add_finding("CLASSIFIER_HAM", ham, std::move(detail));
  return core::Step::next();
}

}  // namespace postern::content
