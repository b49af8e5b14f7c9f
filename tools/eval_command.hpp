// `postern eval`: how the current policy treats folders of labelled mail.
//
// Contract: scans every regular file under each folder (recursively, in sorted
// order) with the same Session as `postern scan` (the envelope guessed from
// each message, no client address: connection checks that need one do not
// run), in `jobs` threads that share one snapshot. Prints per folder, then per
// label: the message count, the share at each action, the share flagged (tag or
// stronger: for ham the false-positive rate, for spam and phish the catch
// rate), score quantiles, and the `top` symbols that fire most with the share
// of messages they fire on. With `json`, one JSON object per folder and label
// instead. Returns 0, 1 on a bad config or policy, 2 when a folder cannot be
// read, 3 when a limit is given and not met (`max_ham_flagged`: percent of ham
// flagged at most; `min_caught`: percent of spam and phish flagged at least),
// so a script or CI can hold the policy to a floor.
//
// With `folds` = K >= 2 the classifier is cross-validated with the rest of the
// pipeline: each folder's files (sorted) are dealt into K folds (file j into
// fold j % K), K models are trained (content::train, the options `postern train`
// uses by default) each on every labelled file outside one fold, and each file
// is scanned with the snapshot whose model never saw it, every other stage and
// the policy unchanged. So the figures are those of a model on unseen mail.
//
// With `misses`, after the statistics, one line per misjudged file (ham flagged,
// spam or phish not flagged): its path, action, score and every finding with its
// score, highest first — what an admin reads to see why. With `all` too, every
// file gets its line, "hit" when judged right: for tuning scores offline.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "tools/scan_command.hpp"

namespace postern::tools {

struct EvalOptions {
  ScanOptions scan;  // config, policy dirs (files and envelope are not used)
  std::vector<std::string> dirs;
  std::string label;  // for `dirs`: ham, spam or phish
  std::vector<std::string> ham, spam, phish;
  unsigned jobs = 0;  // 0 = one per core
  size_t top = 10;
  bool json = false;
  std::optional<double> max_ham_flagged, min_caught;
  unsigned folds = 0;   // >= 2: k-fold cross-validation of the classifier (above)
  bool misses = false;  // list the misjudged files (above)
  bool all = false;     // with misses: list every file
};

int run_eval(const EvalOptions& o);

}  // namespace postern::tools
