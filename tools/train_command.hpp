// `postern train` and `postern learn`: build the classifier's model from
// labelled message folders, and update it with single messages.
//
// Contract: run_train reads every file under the --ham, --spam and --phish
// folders (sorted; phish counts as spam in the binary model), trains
// (content/classifier.hpp) and writes the model to `out` atomically; with
// `cv` >= 2 it first prints k-fold cross-validation figures per folder (no
// message is scored by a model trained on it). Same inputs and options give a
// byte-identical model. run_learn tokenizes one message, updates the model at
// `model` (when it does not exist yet, starting from `base`, the shipped model)
// and writes it back with a temporary file and a rename, holding an exclusive
// lock on MODEL.lock for the whole read-update-write so concurrent learns are
// serialized. Both return the exit code: 0 done, 1 bad arguments or an
// unreadable or corrupt model, 2 an input that cannot be read or written.
#pragma once

#include <string>
#include <vector>

namespace postern::tools {

struct TrainOptions {
  std::vector<std::string> ham, spam, phish;
  std::string out;
  std::string method = "logistic";  // or "bayes"
  unsigned bits = 18;
  unsigned epochs = 100;
  unsigned min_df = 5;
  double ham_weight = 4;
  unsigned cv = 0;
  double cut = 0.925;  // the probability reported as "flagged" in CV figures
  bool quiet = false;
};

struct LearnOptions {
  std::string ham, spam;  // exactly one
  std::string model;
  std::string base;
};

int run_train(const TrainOptions& o);
int run_learn(const LearnOptions& o);

}  // namespace postern::tools
