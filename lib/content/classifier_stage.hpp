// ClassifierStage: the trained model's verdict on the message, as a score.
//
// Contract: a content stage (skipped once the message's CPU budget is spent),
// run after the mime stage ("mime.analysis"). It tokenizes the message
// (content/tokenizer.hpp), asks the model for the calibrated probability p of
// spam and adds at most one finding:
//   CLASSIFIER_SPAM  p >= spam_from: score rising linearly from 0 at spam_from
//                    to spam_score at spam_full (and beyond)
//   CLASSIFIER_HAM   p <= ham_from: score falling linearly from 0 at ham_from to
//                    ham_score (negative) at ham_full (and below)
// With the defaults (0.6 → 0.99, 6.0) the classifier alone reaches the tag
// threshold 5.0 only at p >= 0.925. A policy score override of the symbol
// replaces the mapped score. The detail gives p and the three tokens that
// pushed hardest toward the verdict, masked (core::mask).
//
// [classifier] policy section (a later file's keys override an earlier one's):
//   enabled = true       false: no classifier stage
//   model = "PATH"       default: /var/lib/postern/classifier.model when it
//                        exists (what `postern learn` writes), else
//                        /usr/share/postern/classifier.model (the shipped one)
//   spam_from, spam_full, spam_score, ham_from, ham_full, ham_score (above)
//   max_tokens = 4000    tokens read per message
// Probabilities lie in (0, 1); spam_from < spam_full, ham_full < ham_from <=
// spam_from; spam_score >= 0 and ham_score <= 0; errors are file:line:column.
//
// The model is the service "content.classifier" (a LoadedModel): loaded once
// when the snapshot is first built and reloaded only when the policy names
// another file or the file's mtime or size changes; shared read-only by every
// thread. A model path that the policy names but that does not load is a policy
// error; the default path being absent leaves the stage out.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "content/classifier.hpp"
#include "core/registration.hpp"
#include "core/stage.hpp"

namespace postern::content {

struct ClassifierPolicy {
  bool enabled = true;
  std::string model;  // "" = the default search
  double spam_from = 0.6, spam_full = 0.99, spam_score = 6.0;
  double ham_from = 0.2, ham_full = 0.01, ham_score = -2.0;
  int64_t max_tokens = 4000;
};

inline constexpr const char* kLearnedModelPath = "/var/lib/postern/classifier.model";
inline constexpr const char* kShippedModelPath = "/usr/share/postern/classifier.model";

// The learned model when it exists, else the shipped one.
std::string default_model_path();

// The mapped scores (0 outside their range).
double spam_score(const ClassifierPolicy& p, double probability);
double ham_score(const ClassifierPolicy& p, double probability);

struct LoadedModel {
  Model model;
  std::string path;
  int64_t mtime_ns = 0;
  uint64_t size = 0;
};

// The [classifier] section reader and the service entry (registered in registration.cpp).
extern const core::PolicySection kClassifierSection;
core::ServiceEntry classifier_service();

class ClassifierStage final : public core::Stage {
 public:
  ClassifierStage(std::shared_ptr<const LoadedModel> model, ClassifierPolicy policy)
      : model_(std::move(model)), policy_(std::move(policy)) {}
  std::string_view name() const override { return "classifier"; }
  bool content() const override { return true; }
  core::Step on_message(core::Transaction& tx) const override;

 private:
  std::shared_ptr<const LoadedModel> model_;
  ClassifierPolicy policy_;
};

}  // namespace postern::content
