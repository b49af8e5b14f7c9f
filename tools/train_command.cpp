// `postern train` and `postern learn` (see train_command.hpp).
#include "tools/train_command.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>

#include "content/classifier.hpp"
#include "content/training.hpp"

namespace postern::tools {
namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

struct Folder {
  std::string dir;
  std::string label;  // ham, spam, phish
  size_t begin = 0, end = 0;
};

// The CV figures of one folder: flagged (p >= cut) and past 0.5.
void print_cv(const Folder& f, const std::vector<double>& p, double cut) {
  size_t n = f.end - f.begin, flagged = 0, half = 0;
  for (size_t i = f.begin; i < f.end; ++i) {
    flagged += p[i] >= cut;
    half += p[i] >= 0.5;
  }
  double pct = n ? 100.0 * flagged / n : 0, pct_half = n ? 100.0 * half / n : 0;
  fmt::print("  {:<6} {:<40} {:>5}  p>={:.3f}: {:6.2f}%  p>=0.5: {:6.2f}%\n", f.label, f.dir, n,
             cut, pct, pct_half);
}

// The whole CV's trade-off: for a share of ham flagged (0.1, 0.3, 1 %), the probability cut
// that flags at most that share, and the share of spam (phish included) at or past it; and
// the ROC's area (the chance a random spam scores above a random ham).
void print_roc(const std::vector<content::Example>& ex, const std::vector<double>& p) {
  std::vector<double> ham, spam;
  for (size_t i = 0; i < ex.size(); ++i) (ex[i].spam ? spam : ham).push_back(p[i]);
  std::sort(ham.begin(), ham.end(), std::greater<>());
  std::sort(spam.begin(), spam.end());
  auto caught_from = [&](double cut) {
    size_t below = std::lower_bound(spam.begin(), spam.end(), cut) - spam.begin();
    return 100.0 * static_cast<double>(spam.size() - below) / static_cast<double>(spam.size());
  };
  for (double share : {0.1, 0.3, 1.0}) {
    // At most floor(share % of ham) ham at or past the cut: just above that ham's probability.
    size_t allowed = static_cast<size_t>(share / 100.0 * static_cast<double>(ham.size()));
    double cut = allowed < ham.size() ? std::nextafter(ham[allowed], 2.0) : 0.0;
    fmt::print("  ham flagged <= {:.1f} %: cut p >= {:.4f} catches {:6.2f} % of spam\n", share, cut,
               caught_from(cut));
  }
  // AUC by ranks: for each spam, the ham strictly below it (ties count half).
  std::vector<double> h(ham.rbegin(), ham.rend());
  double wins = 0;
  for (double s : spam) {
    auto lo = std::lower_bound(h.begin(), h.end(), s), hi = std::upper_bound(h.begin(), h.end(), s);
    wins += static_cast<double>(lo - h.begin()) + 0.5 * static_cast<double>(hi - lo);
  }
  fmt::print("  ROC area {:.5f}\n", wins / (static_cast<double>(ham.size()) * spam.size()));
}

}  // namespace

int run_train(const TrainOptions& o) {
  content::TrainOptions opt;
  if (o.method == "logistic")
    opt.method = content::Method::Logistic;
  else if (o.method == "bayes")
    opt.method = content::Method::NaiveBayes;
  else {
    fmt::print(stderr, "train: --method: expected logistic or bayes\n");
    return 1;
  }
  if (o.bits < 10 || o.bits > 22) {
    fmt::print(stderr, "train: --bits: expected 10..22\n");
    return 1;
  }
  opt.bits = o.bits;
  opt.epochs = o.epochs;
  opt.min_df = o.min_df;
  opt.ham_weight = o.ham_weight;
  auto start = Clock::now();
  std::vector<content::Example> ex;
  std::vector<Folder> folders;
  std::vector<std::string> skipped;
  auto add = [&](const std::vector<std::string>& dirs, const char* label, bool spam) {
    for (const auto& d : dirs) {
      if (!std::filesystem::is_directory(d)) {
        fmt::print(stderr, "train: {}: not a directory\n", d);
        return false;
      }
      Folder f{d, label, ex.size(), 0};
      content::read_examples(content::message_files(d), spam, opt.bits, ex, skipped);
      f.end = ex.size();
      folders.push_back(f);
    }
    return true;
  };
  if (!add(o.ham, "ham", false) || !add(o.spam, "spam", true) || !add(o.phish, "phish", true))
    return 2;
  for (const auto& s : skipped)
    fmt::print(stderr, "train: skipped {} (unreadable or too large)\n", s);
  size_t spam = 0;
  for (const auto& e : ex) spam += e.spam;
  if (spam == 0 || spam == ex.size()) {
    fmt::print(stderr, "train: need both ham and spam messages ({} ham, {} spam)\n",
               ex.size() - spam, spam);
    return 1;
  }
  double read_s = seconds_since(start);
  if (!o.quiet)
    fmt::print("read {} messages ({} ham, {} spam) in {:.1f} s ({:.2f} ms/message)\n", ex.size(),
               ex.size() - spam, spam, read_s, 1000 * read_s / ex.size());
  if (o.cv >= 2) {
    auto t = Clock::now();
    std::vector<double> p = content::cross_validate(ex, o.cv, opt);
    fmt::print("{}-fold cross-validation ({}, {:.1f} s):\n", o.cv, o.method, seconds_since(t));
    for (const auto& f : folders) print_cv(f, p, o.cut);
    print_roc(ex, p);
  }
  if (o.out.empty()) return 0;
  auto t = Clock::now();
  content::Model m = content::train(ex, opt);
  double train_s = seconds_since(t);
  auto w = m.save(o.out);
  if (!w) {
    fmt::print(stderr, "train: {}\n", w.error());
    return 2;
  }
  // Scoring speed: the model over every example's features (tokenizing is in the read time).
  t = Clock::now();
  double sink = 0;
  for (const auto& e : ex) sink += m.probability(e.features);
  double score_s = seconds_since(t);
  if (!o.quiet)
    fmt::print("trained in {:.2f} s, scoring {:.4f} ms/message{}; wrote {} ({} bytes)\n", train_s,
               1000 * score_s / ex.size(), sink < 0 ? "?" : "", o.out, *w);
  return 0;
}

int run_learn(const LearnOptions& o) {
  if (o.ham.empty() == o.spam.empty()) {
    fmt::print(stderr, "learn: give exactly one of --ham FILE or --spam FILE\n");
    return 1;
  }
  bool spam = !o.spam.empty();
  const std::string& file = spam ? o.spam : o.ham;
  std::ifstream in(file, std::ios::binary);
  std::error_code ec;
  if (!in || std::filesystem::file_size(file, ec) > content::kMaxTrainMessage || ec) {
    fmt::print(stderr, "learn: {}: cannot read (or larger than {} bytes)\n", file,
               content::kMaxTrainMessage);
    return 2;
  }
  std::string raw((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::vector<std::string> tokens = content::tokenize_message(raw);

  std::string lock_path = o.model + ".lock";
  int lock = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (lock < 0 || ::flock(lock, LOCK_EX) != 0) {
    fmt::print(stderr, "learn: {}: {}\n", lock_path, std::strerror(errno));
    if (lock >= 0) ::close(lock);
    return 2;
  }
  struct Unlock {
    int fd;
    ~Unlock() { ::close(fd); }  // closing releases the lock
  } unlock{lock};
  std::string source = std::filesystem::exists(o.model, ec) ? o.model : o.base;
  auto m = content::Model::load(source);
  if (!m) {
    fmt::print(stderr, "learn: {}\n", m.error());
    return 1;
  }
  auto features = content::hash_tokens(tokens, m->bits());
  double before = m->probability(features);
  m->learn(features, spam);
  double after = m->probability(features);
  auto w = m->save(o.model);
  if (!w) {
    fmt::print(stderr, "learn: {}\n", w.error());
    return 2;
  }
  fmt::print("learned {} as {}: spam probability {:.3f} -> {:.3f}; wrote {}\n", file,
             spam ? "spam" : "ham", before, after, o.model);
  return 0;
}

}  // namespace postern::tools
