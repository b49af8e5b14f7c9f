// Training: message folders into examples, and k-fold cross-validation.
//
// Contract: `message_files(dir)` lists the regular files under `dir`
// (recursively, hidden ones skipped) sorted by path, so that training reads
// them in the same order on every machine. `read_examples` tokenizes each file
// (content::tokenize_message) and hashes its tokens; a file that cannot be read
// or is larger than kMaxTrainMessage is skipped and named in `skipped`.
// `cross_validate` gives every example its probability from a model trained on
// the other k-1 folds (example i is in fold i % k), so no message is scored by
// a model that saw it. Single-threaded; deterministic.
#pragma once

#include <string>
#include <vector>

#include "content/classifier.hpp"
#include "content/tokenizer.hpp"

namespace postern::content {

inline constexpr size_t kMaxTrainMessage = 32u << 20;

std::vector<std::string> message_files(const std::string& dir);

// Examples of one label from `files`, appended to `out`.
void read_examples(const std::vector<std::string>& files, bool spam, unsigned bits,
                   std::vector<Example>& out, std::vector<std::string>& skipped);

std::vector<double> cross_validate(const std::vector<Example>& examples, unsigned k,
                                   const TrainOptions& opt);

}  // namespace postern::content
