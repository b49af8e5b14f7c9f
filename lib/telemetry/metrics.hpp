// Metrics: counters, histograms and gauges in the Prometheus text exposition
// format (version 0.0.4), for postern-milter's /metrics endpoint and `postern
// status`.
//
// Contract: a Registry holds metric families by name; a family has fixed label
// names and one series per distinct tuple of label values. `with({values...})`
// returns the series (made on first use; later calls find it without
// allocating: one shared lock and a map lookup); a family holds at most
// kMaxSeries series, past it every new tuple shares one series whose labels
// are all "_overflow" (a hostile label source never grows memory without
// bound). Counter::inc and Histogram::observe are lock-free (relaxed atomics).
// Histogram buckets are kSecondsBuckets (upper bounds, seconds); `render()`
// writes them cumulative, with "+Inf", `_sum` and `_count`. `gauge_callback`
// registers a gauge whose value a function gives at scrape time (the
// quarantine's size); registering a name again replaces the function. A
// collector gives a labelled family at scrape time (the content rules' hit
// counts). `render()` escapes HELP text (\\ and \n) and label values (\\, \",
// \n). `global()` is the process's registry with postern's own families, which
// the count_* functions below feed. Names: kExported lists every metric name
// postern exports (the Grafana dashboard is checked against it).
// Threading: every method may be called from any thread at once; gauge
// callbacks and collectors run on the scraping thread under the registry's lock:
// they must not call the registry.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <map>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <vector>

namespace postern::telemetry::metrics {

inline constexpr size_t kMaxSeries = 10000;
inline constexpr std::array<double, 14> kSecondsBuckets{
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};

class Counter {
 public:
  void inc(uint64_t n = 1) { v_.fetch_add(n, std::memory_order_relaxed); }
  uint64_t value() const { return v_.load(std::memory_order_relaxed); }

 private:
  std::atomic<uint64_t> v_{0};
};

class Histogram {
 public:
  void observe(double seconds);
  // Per bucket (not cumulative), the last one past every bound (+Inf).
  std::array<uint64_t, kSecondsBuckets.size() + 1> buckets() const;
  double sum() const { return sum_.load(std::memory_order_relaxed); }

 private:
  std::array<std::atomic<uint64_t>, kSecondsBuckets.size() + 1> counts_{};
  std::atomic<double> sum_{0};
};

// Label tuples compare with a span of string_views, so a lookup allocates nothing.
struct LabelLess {
  using is_transparent = void;
  template <class A, class B>
  bool operator()(const A& a, const B& b) const {
    return std::lexicographical_compare(
        a.begin(), a.end(), b.begin(), b.end(),
        [](std::string_view x, std::string_view y) { return x < y; });
  }
};

template <class T>
class Family {
 public:
  Family(std::vector<std::string> labels) : labels_(std::move(labels)) {}
  // The series of these label values (as many as the family's label names).
  T& with(std::initializer_list<std::string_view> values) {
    {
      std::shared_lock lk(mu_);
      auto it = series_.find(values);
      if (it != series_.end()) return *it->second;
    }
    std::unique_lock lk(mu_);
    auto it = series_.find(values);
    if (it != series_.end()) return *it->second;
    std::vector<std::string> key;
    if (series_.size() >= kMaxSeries)
      key.assign(labels_.size(), "_overflow");
    else
      key.assign(values.begin(), values.end());
    auto [at, fresh] = series_.try_emplace(std::move(key), nullptr);
    if (fresh) at->second = std::make_unique<T>();
    return *at->second;
  }
  const std::vector<std::string>& labels() const { return labels_; }
  template <class F>
  void each(F&& f) const {
    std::shared_lock lk(mu_);
    for (const auto& [values, s] : series_) f(values, *s);
  }

 private:
  std::vector<std::string> labels_;
  mutable std::shared_mutex mu_;
  std::map<std::vector<std::string>, std::unique_ptr<T>, LabelLess> series_;
};

// One sample a collector gives at scrape time.
struct Sample {
  std::vector<std::string> values;  // label values, as many as the collector's labels
  double value = 0;
};

class Registry {
 public:
  Family<Counter>& counter(const std::string& name, const std::string& help,
                           std::vector<std::string> labels = {});
  Family<Histogram>& histogram(const std::string& name, const std::string& help,
                               std::vector<std::string> labels = {});
  void gauge_callback(const std::string& name, const std::string& help, std::function<double()> fn);
  // `type` "counter" or "gauge"; `fn` returns the samples now.
  void collector(const std::string& name, const std::string& help, std::string type,
                 std::vector<std::string> labels, std::function<std::vector<Sample>()> fn);
  std::string render() const;

 private:
  struct Entry {
    std::string help, type;
    std::unique_ptr<Family<Counter>> counter;
    std::unique_ptr<Family<Histogram>> histogram;
    std::function<double()> gauge;
    std::vector<std::string> labels;
    std::function<std::vector<Sample>()> collect;
  };
  mutable std::mutex mu_;
  std::map<std::string, Entry, std::less<>> entries_;
};

// "a\"b" -> a\"b (backslash, double quote and line feed escaped): a label value.
std::string escape_label(std::string_view v);
// A HELP text: backslash and line feed escaped.
std::string escape_help(std::string_view v);

// One sample line of a text exposition, as `parse_text` reads it back.
struct ParsedSample {
  std::string name;
  std::vector<std::pair<std::string, std::string>> labels;  // unescaped values
  double value = 0;
  // The value of label `n`, "" when absent.
  std::string_view label(std::string_view n) const;
};
// The sample lines of a text exposition (comments and blank lines skipped); a
// malformed line is skipped. At most `max` samples (the rest are ignored).
std::vector<ParsedSample> parse_text(std::string_view text, size_t max = 100000);

Registry& global();
void gauge_callback(const std::string& name, const std::string& help, std::function<double()> fn);

// postern's own metrics (on global()).
void count_message(std::string_view action, std::string_view direction, std::string_view group);
void count_finding(std::string_view symbol);
void observe_stage(std::string_view stage, double seconds);
void count_dns_query();
void count_dns_failure();
void count_reload(bool ok);
// `store`: the store's describe() ("redis:tcp://..."); the backend is what precedes ':'.
void count_state_error(std::string_view store);

inline constexpr std::array<std::string_view, 11> kExported{
    "postern_messages_total",   "postern_findings_total",     "postern_rule_hits_total",
    "postern_stage_seconds",    "postern_dns_queries_total",  "postern_dns_failures_total",
    "postern_reloads_total",    "postern_state_errors_total", "postern_quarantine_messages",
    "postern_quarantine_bytes", "postern_build_info"};

}  // namespace postern::telemetry::metrics
