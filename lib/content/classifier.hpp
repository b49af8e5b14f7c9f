// Classifier: a hashed linear spam model, its training, online learning and file format.
//
// Contract: features are the tokenizer's tokens (content/tokenizer.hpp) hashed
// (FNV-1a 64, masked to `bits`) into a fixed table, deduplicated per message.
// Two methods, chosen at training and recorded in the file:
//   Logistic    logistic regression by SGD (each present feature 1/sqrt(n)); the default
//   NaiveBayes  naive Bayes over token presence: each hashed feature's frequency
//               among each class's messages (add-0.5 smoothing), present features only
// `probability` is calibrated: p = 1 / (1 + exp(-(a * margin + b))), Platt
// scaling fitted by `train` on out-of-fold margins (3-fold inside the training
// set), so a model never calibrates on mail it was trained on.
// `train` is deterministic: same examples in the same order and options give a
// byte-identical `serialize()` (fixed seed, own shuffle, no threads).
// `learn` updates the model with one message (what a user does with misfiled
// mail): Logistic takes SGD steps until the message's probability is on the
// right side of 0.9 / 0.1 (at most 16 steps); NaiveBayes adds the counts.
// File (all integers and floats little-endian):
//   "PSTNCLS\0" u32 version(1) u32 method(1|2) u32 bits(10..22)
//   f64 platt_a f64 platt_b f64 bias u64 ham_messages u64 spam_messages u64 learned
//   f32 table[2^bits] (NaiveBayes: ham counts then spam counts, 2 * 2^bits)
//   u32 FNV-1a of every byte before it
// `parse` checks all of it (size, magic, version, method, bits, finite values,
// checksum) and returns a clear error for anything else, never crashing on a
// hostile file; `load` refuses files over kMaxModelBytes. A Model is a value;
// const methods are safe from many threads; `learn` needs exclusive access.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/expected.hpp"

namespace postern::content {

enum class Method : uint32_t { Logistic = 1, NaiveBayes = 2 };

inline constexpr size_t kMaxModelBytes = 64u << 20;
inline constexpr unsigned kDefaultBits = 18;

struct Example {
  std::vector<uint32_t> features;  // hashed, sorted, unique
  bool spam = false;
};

struct TrainOptions {
  Method method = Method::Logistic;
  unsigned bits = kDefaultBits;
  unsigned epochs = 100;
  uint32_t seed = 12;
  bool calibrate = true;  // fit Platt scaling on 3-fold out-of-fold margins
  // Logistic: features in fewer training messages than this keep weight 0 (a token of
  // one message only lets the model memorize that message instead of learning). Small
  // training sets keep more: the bound used is min(min_df, messages / kMessagesPerMinDf),
  // at least 1, so a few hundred messages learn every token.
  unsigned min_df = 5;
  // Logistic: how much more a ham message weighs in the loss than a spam message, after
  // both classes are balanced. The tag threshold sits where a fraction of a percent of ham
  // is flagged, so the errors that matter are ham scored high: weighing ham 4 times pulls
  // the confident spam-like ham down more than it lets spam through (5-fold CV on
  // ../shared/corpus: 96.4 % of spam at 0.3 % of ham, against 95.7 % with 1).
  double ham_weight = 4;
};

inline constexpr size_t kMessagesPerMinDf = 400;
// The document-frequency bound `train` applies to `messages` training messages.
unsigned effective_min_df(unsigned min_df, size_t messages);

// The sorted, unique feature indices of `tokens` in a table of 2^bits.
std::vector<uint32_t> hash_tokens(const std::vector<std::string>& tokens, unsigned bits);
uint32_t hash_token(std::string_view token, unsigned bits);

class Model {
 public:
  Model() = default;
  Model(Method method, unsigned bits);

  static postern::expected<Model, std::string> parse(std::string_view bytes);
  static postern::expected<Model, std::string> load(const std::string& path);
  std::string serialize() const;
  // Writes to path + ".tmp", flushes, then renames over `path`; the bytes written.
  postern::expected<size_t, std::string> save(const std::string& path) const;

  // The raw margin (log-odds before calibration) and the calibrated probability of spam.
  double margin(std::span<const uint32_t> features) const;
  double probability(std::span<const uint32_t> features) const;
  double calibrate(double margin) const;
  // Each feature's share of the margin.
  double contribution(uint32_t feature, size_t n_features) const;

  void learn(std::span<const uint32_t> features, bool spam);

  Method method() const { return method_; }
  unsigned bits() const { return bits_; }
  uint64_t ham_messages() const { return ham_; }
  uint64_t spam_messages() const { return spam_; }
  uint64_t learned() const { return learned_; }
  double platt_a() const { return a_; }
  double platt_b() const { return b_; }

 private:
  friend Model train(std::span<const Example> examples, const TrainOptions& opt);
  // `keep`, when given: only features whose bit is set are updated.
  void sgd_step(std::span<const uint32_t> features, bool spam, double rate,
                const std::vector<bool>* keep = nullptr);
  void nb_add(std::span<const uint32_t> features, bool spam);

  Method method_ = Method::Logistic;
  unsigned bits_ = kDefaultBits;
  double a_ = 1, b_ = 0, bias_ = 0;
  uint64_t ham_ = 0, spam_ = 0, learned_ = 0;
  std::vector<float> table_;
};

// Trains on `examples` in their order (the caller sorts them for reproducibility).
Model train(std::span<const Example> examples, const TrainOptions& opt = {});

// Platt's fit of (a, b) to margins and labels (targets smoothed as Platt does).
std::pair<double, double> fit_platt(std::span<const double> margins, std::span<const bool> spam);

}  // namespace postern::content
