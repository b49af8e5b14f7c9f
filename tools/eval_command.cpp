// `postern eval`: labelled folders → scans → per-folder statistics.
#include "tools/eval_command.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <map>
#include <mutex>
#include <thread>

#include <stdlib.h>

#include "content/classifier_stage.hpp"
#include "content/training.hpp"
#include "core/action.hpp"
#include "scan/services.hpp"
#include "telemetry/event.hpp"

namespace postern::tools {
namespace {

namespace fs = std::filesystem;

struct Result {
  std::string action;  // the message's action ("error" when the file could not be read)
  double score = 0;
  std::vector<std::string> symbols;                      // distinct symbols that fired
  std::vector<std::pair<double, std::string>> findings;  // (score, symbol), highest first
};

struct Folder {
  std::string dir, label;
  std::vector<std::string> files;
  std::vector<Result> results;
};

constexpr const char* kActions[] = {"accept", "tag",      "quarantine", "discard",
                                    "reject", "tempfail", "error"};

bool flagged(const std::string& action) {
  return action != "accept" && action != "error";
}

// Every regular file under `dir`, sorted; false when `dir` cannot be read.
bool list_files(const std::string& dir, std::vector<std::string>& out) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return false;
  for (auto it = fs::recursive_directory_iterator(dir, ec); !ec && it != fs::end(it);
       it.increment(ec))
    if (it->is_regular_file(ec)) out.push_back(it->path().string());
  std::sort(out.begin(), out.end());
  return !ec;
}

Result scan_one(const scan::SnapshotPtr& s, const std::string& file, const ScanOptions& so) {
  Result r;
  std::string raw;
  if (!read_input(file, raw)) {
    r.action = "error";
    return r;
  }
  MessageScan m = scan_message(s, raw, so);
  if (m.events.empty()) {
    r.action = "error";
    return r;
  }
  // The message's result: its first transaction's (the one all recipients share unless a
  // group deferred some; a deferred copy is another transaction of the same message).
  const auto& p = m.events.front()["postern"];
  r.action = p.value("action", "error");
  r.score = p.value("score", 0.0);
  for (const auto& f : p["findings"]) {
    r.symbols.push_back(f.value("symbol", ""));
    r.findings.emplace_back(f.value("score", 0.0), f.value("symbol", ""));
  }
  std::stable_sort(r.findings.begin(), r.findings.end(),
                   [](const auto& a, const auto& b) { return a.first > b.first; });
  std::sort(r.symbols.begin(), r.symbols.end());
  r.symbols.erase(std::unique(r.symbols.begin(), r.symbols.end()), r.symbols.end());
  return r;
}

double quantile(std::vector<double> v, double q) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  size_t i = static_cast<size_t>(q * static_cast<double>(v.size() - 1) + 0.5);
  return v[std::min(i, v.size() - 1)];
}

struct Stats {
  std::string name, label;
  size_t count = 0, flagged = 0;
  std::map<std::string, size_t> actions;
  std::vector<double> scores;
  std::map<std::string, size_t> symbols;
};

void add(Stats& st, const Result& r) {
  ++st.count;
  st.flagged += flagged(r.action);
  ++st.actions[r.action];
  if (r.action != "error") st.scores.push_back(r.score);
  for (const auto& s : r.symbols) ++st.symbols[s];
}

double pct(size_t n, size_t of) {
  return of ? 100.0 * static_cast<double>(n) / of : 0;
}

std::vector<std::pair<std::string, size_t>> top_symbols(const Stats& st, size_t top) {
  std::vector<std::pair<std::string, size_t>> v(st.symbols.begin(), st.symbols.end());
  std::stable_sort(v.begin(), v.end(),
                   [](const auto& a, const auto& b) { return a.second > b.second; });
  if (v.size() > top) v.resize(top);
  return v;
}

nlohmann::json to_json(const Stats& st, size_t top) {
  nlohmann::json j{{"name", st.name},
                   {"label", st.label},
                   {"count", st.count},
                   {"flagged_percent", pct(st.flagged, st.count)}};
  for (const char* a : kActions)
    if (auto it = st.actions.find(a); it != st.actions.end())
      j["actions_percent"][a] = pct(it->second, st.count);
  for (auto [q, name] : {std::pair{0.1, "p10"}, {0.5, "p50"}, {0.9, "p90"}, {0.99, "p99"}})
    j["score"][name] = quantile(st.scores, q);
  j["score"]["max"] = st.scores.empty() ? 0 : *std::max_element(st.scores.begin(), st.scores.end());
  for (const auto& [sym, n] : top_symbols(st, top))
    j["top_symbols"].push_back({{"symbol", sym}, {"percent", pct(n, st.count)}});
  return j;
}

void print(const Stats& st, size_t top) {
  fmt::print("{} ({}): {} message(s), {} {:.2f} %\n", st.name, st.label, st.count,
             st.label == "ham" ? "flagged (tag or stronger)" : "caught (tag or stronger)",
             pct(st.flagged, st.count));
  std::string acts;
  for (const char* a : kActions)
    if (auto it = st.actions.find(a); it != st.actions.end())
      acts += fmt::format("  {} {:.2f} %", a, pct(it->second, st.count));
  fmt::print("  actions:{}\n", acts);
  fmt::print("  score: p10 {:.2f}  p50 {:.2f}  p90 {:.2f}  p99 {:.2f}  max {:.2f}\n",
             quantile(st.scores, 0.1), quantile(st.scores, 0.5), quantile(st.scores, 0.9),
             quantile(st.scores, 0.99),
             st.scores.empty() ? 0 : *std::max_element(st.scores.begin(), st.scores.end()));
  if (!st.symbols.empty()) {
    fmt::print("  top symbols:\n");
    for (const auto& [sym, n] : top_symbols(st, top))
      fmt::print("    {:<36} {:6.2f} %\n", sym, pct(n, st.count));
  }
}

// One snapshot per fold: the base snapshot's config and policy with the classifier's model
// trained on every labelled file outside the fold (written under `dir`).
postern::expected<std::vector<scan::SnapshotPtr>, std::string> fold_snapshots(
    const scan::SnapshotPtr& base, const std::vector<Folder>& folders, unsigned k,
    const std::string& dir) {
  content::TrainOptions opt;
  // Every file's example, and its fold; unreadable files have none (they are scanned anyway).
  std::vector<content::Example> ex;
  std::vector<unsigned> fold_of;
  std::vector<std::string> skipped;
  for (const auto& f : folders)
    for (size_t j = 0; j < f.files.size(); ++j) {
      size_t before = ex.size();
      content::read_examples({f.files[j]}, f.label != "ham", opt.bits, ex, skipped);
      if (ex.size() > before) fold_of.push_back(static_cast<unsigned>(j % k));
    }
  std::vector<scan::SnapshotPtr> out;
  for (unsigned fold = 0; fold < k; ++fold) {
    std::vector<content::Example> train;
    for (size_t i = 0; i < ex.size(); ++i)
      if (fold_of[i] != fold) train.push_back(ex[i]);
    size_t spam = std::count_if(train.begin(), train.end(), [](const auto& e) { return e.spam; });
    if (spam == 0 || spam == train.size())
      return postern::unexpected(std::string("--folds needs ham and spam (or phish) folders"));
    content::Model m = content::train(train, opt);
    std::string path = fmt::format("{}/fold-{}.model", dir, fold);
    if (auto w = m.save(path); !w) return postern::unexpected(w.error());
    policy::Policy pol = base->policy;
    auto cp = pol.sections.section<content::ClassifierPolicy>("classifier");
    cp.enabled = true;
    cp.model = path;
    pol.sections.set_section("classifier", cp);
    policy::Config cfg = base->config;
    auto prepared = scan::Services().prepare(cfg, pol);
    if (!prepared.errors.empty()) return postern::unexpected(policy::to_string(prepared.errors));
    out.push_back(scan::make_snapshot(std::move(cfg), std::move(pol), std::move(prepared.set)));
  }
  return out;
}

}  // namespace

int run_eval(const EvalOptions& o) {
  std::vector<Folder> folders;
  auto add_dirs = [&](const std::vector<std::string>& dirs, const std::string& label) {
    for (const auto& d : dirs) folders.push_back({d, label, {}, {}});
  };
  if (!o.dirs.empty()) {
    if (o.label != "ham" && o.label != "spam" && o.label != "phish") {
      fmt::print(stderr, "postern eval: --label ham, spam or phish is needed for the folders\n");
      return 1;
    }
    add_dirs(o.dirs, o.label);
  }
  add_dirs(o.ham, "ham");
  add_dirs(o.spam, "spam");
  add_dirs(o.phish, "phish");
  if (folders.empty()) {
    fmt::print(stderr, "postern eval: no folders (DIR... --label L, or --ham/--spam/--phish)\n");
    return 1;
  }
  for (auto& f : folders) {
    if (!list_files(f.dir, f.files)) {
      fmt::print(stderr, "postern eval: cannot read the folder {}\n", f.dir);
      return 2;
    }
    f.results.resize(f.files.size());
  }
  // An evaluation reads the folders and nothing else: this host's sender history (first
  // contact), rate counters and caches must not change its figures, and it must not record
  // the folders' senders in them.
  ScanOptions so = o.scan;
  so.no_state = true;
  auto snap = load_scan_snapshot(so);
  if (!snap) {
    for (const auto& e : snap.error()) fmt::print(stderr, "{}\n", e.to_string());
    return 1;
  }
  // With --folds, each file is scanned by the snapshot of its fold (a model that never saw it).
  std::vector<scan::SnapshotPtr> snaps{*snap};
  std::string fold_dir;
  if (o.folds >= 2) {
    char tmpl[] = "/tmp/postern-eval-XXXXXX";
    if (!mkdtemp(tmpl)) {
      fmt::print(stderr, "postern eval: cannot make a temporary directory\n");
      return 2;
    }
    fold_dir = tmpl;
    auto fs = fold_snapshots(*snap, folders, o.folds, fold_dir);
    std::error_code ec;
    if (!fs) {
      std::filesystem::remove_all(fold_dir, ec);
      fmt::print(stderr, "postern eval: {}\n", fs.error());
      return 1;
    }
    snaps = std::move(*fs);
  }
  // Work items: (folder, file) in order; threads take the next index.
  std::vector<std::pair<size_t, size_t>> items;
  for (size_t i = 0; i < folders.size(); ++i)
    for (size_t j = 0; j < folders[i].files.size(); ++j) items.emplace_back(i, j);
  std::atomic<size_t> next{0};
  unsigned jobs = o.jobs ? o.jobs : std::max(1u, std::thread::hardware_concurrency());
  {
    std::vector<std::jthread> threads;
    for (unsigned t = 0; t < jobs; ++t)
      threads.emplace_back([&] {
        for (size_t k = next++; k < items.size(); k = next++) {
          auto [fi, j] = items[k];
          const scan::SnapshotPtr& s = snaps.size() > 1 ? snaps[j % snaps.size()] : snaps[0];
          folders[fi].results[j] = scan_one(s, folders[fi].files[j], o.scan);
        }
      });
  }
  if (!fold_dir.empty()) {
    std::error_code ec;
    std::filesystem::remove_all(fold_dir, ec);
  }
  std::map<std::string, Stats> by_label;
  std::vector<Stats> per_folder;
  for (const auto& f : folders) {
    Stats st;
    st.name = f.dir, st.label = f.label;
    Stats& lab = by_label[f.label];
    lab.name = "all " + f.label, lab.label = f.label;
    for (const auto& r : f.results) add(st, r), add(lab, r);
    per_folder.push_back(std::move(st));
  }
  for (const auto& st : per_folder)
    o.json ? (void)fmt::print("{}\n", to_json(st, o.top).dump()) : print(st, o.top);
  // A label's total, when it has more than one folder.
  for (const auto& [label, st] : by_label) {
    size_t n = std::count_if(folders.begin(), folders.end(),
                             [&, l = label](const Folder& f) { return f.label == l; });
    if (n < 2) continue;
    if (o.json)
      fmt::print("{}\n", to_json(st, o.top).dump());
    else
      print(st, o.top);
  }
  if (o.misses)
    for (const auto& f : folders)
      for (size_t j = 0; j < f.files.size(); ++j) {
        const Result& r = f.results[j];
        bool right = flagged(r.action) != (f.label == "ham");
        if (r.action == "error" || (right && !o.all)) continue;
        std::string why;
        for (const auto& [score, sym] : r.findings) why += fmt::format(" {}({:g})", sym, score);
        fmt::print("{} {} {}: {} {:.2f}{}\n", right ? "hit" : "miss", f.label, f.files[j], r.action,
                   r.score, why);
      }
  int rc = 0;
  for (const auto& [label, st] : by_label) {
    double p = pct(st.flagged, st.count);
    if (label == "ham" && o.max_ham_flagged && p > *o.max_ham_flagged) {
      fmt::print(stderr, "postern eval: ham flagged {:.2f} % > {:.2f} %\n", p, *o.max_ham_flagged);
      rc = 3;
    }
    if (label != "ham" && o.min_caught && p < *o.min_caught) {
      fmt::print(stderr, "postern eval: {} caught {:.2f} % < {:.2f} %\n", label, p, *o.min_caught);
      rc = 3;
    }
  }
  return rc;
}

}  // namespace postern::tools
