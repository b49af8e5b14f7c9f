// Metrics: the registry, the text exposition, postern's own families.
#include "telemetry/metrics.hpp"

#include <fmt/format.h>

#include <cctype>
#include <charconv>
#include <cmath>
#include <limits>
#include <optional>

#include "core/version.hpp"

namespace postern::telemetry::metrics {
namespace {

std::string number(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  if (v == std::floor(v) && std::fabs(v) < 1e15) return fmt::format("{}", static_cast<int64_t>(v));
  return fmt::format("{}", v);
}

// {a="x",b="y"} with an extra label (le) when given; "" when there are none.
std::string label_set(const std::vector<std::string>& names, const std::vector<std::string>& values,
                      std::string_view extra_name = {}, std::string_view extra_value = {}) {
  std::string out;
  for (size_t i = 0; i < names.size() && i < values.size(); ++i)
    out += fmt::format("{}{}=\"{}\"", out.empty() ? "" : ",", names[i], escape_label(values[i]));
  if (!extra_name.empty())
    out += fmt::format("{}{}=\"{}\"", out.empty() ? "" : ",", extra_name, extra_value);
  return out.empty() ? out : "{" + out + "}";
}

}  // namespace

void Histogram::observe(double seconds) {
  size_t i = 0;
  while (i < kSecondsBuckets.size() && seconds > kSecondsBuckets[i]) ++i;
  counts_[i].fetch_add(1, std::memory_order_relaxed);
  sum_.fetch_add(seconds, std::memory_order_relaxed);
}

std::array<uint64_t, kSecondsBuckets.size() + 1> Histogram::buckets() const {
  std::array<uint64_t, kSecondsBuckets.size() + 1> out{};
  for (size_t i = 0; i < out.size(); ++i) out[i] = counts_[i].load(std::memory_order_relaxed);
  return out;
}

std::string escape_label(std::string_view v) {
  std::string out;
  out.reserve(v.size());
  for (char c : v) {
    if (c == '\\')
      out += "\\\\";
    else if (c == '"')
      out += "\\\"";
    else if (c == '\n')
      out += "\\n";
    else
      out.push_back(c);
  }
  return out;
}

std::string escape_help(std::string_view v) {
  std::string out;
  for (char c : v) {
    if (c == '\\')
      out += "\\\\";
    else if (c == '\n')
      out += "\\n";
    else
      out.push_back(c);
  }
  return out;
}

Family<Counter>& Registry::counter(const std::string& name, const std::string& help,
                                   std::vector<std::string> labels) {
  std::lock_guard lk(mu_);
  Entry& e = entries_[name];
  if (!e.counter) {
    e = Entry{};
    e.help = help, e.type = "counter";
    e.counter = std::make_unique<Family<Counter>>(std::move(labels));
  }
  return *e.counter;
}

Family<Histogram>& Registry::histogram(const std::string& name, const std::string& help,
                                       std::vector<std::string> labels) {
  std::lock_guard lk(mu_);
  Entry& e = entries_[name];
  if (!e.histogram) {
    e = Entry{};
    e.help = help, e.type = "histogram";
    e.histogram = std::make_unique<Family<Histogram>>(std::move(labels));
  }
  return *e.histogram;
}

void Registry::gauge_callback(const std::string& name, const std::string& help,
                              std::function<double()> fn) {
  std::lock_guard lk(mu_);
  Entry e;
  e.help = help, e.type = "gauge", e.gauge = std::move(fn);
  entries_[name] = std::move(e);
}

void Registry::collector(const std::string& name, const std::string& help, std::string type,
                         std::vector<std::string> labels, std::function<std::vector<Sample>()> fn) {
  std::lock_guard lk(mu_);
  Entry e;
  e.help = help, e.type = std::move(type), e.labels = std::move(labels), e.collect = std::move(fn);
  entries_[name] = std::move(e);
}

std::string Registry::render() const {
  std::lock_guard lk(mu_);
  std::string out;
  for (const auto& kv : entries_) {
    // Named references, not a structured binding: clang 14 cannot capture those in lambdas.
    const std::string& name = kv.first;
    const Entry& e = kv.second;
    out += fmt::format("# HELP {} {}\n# TYPE {} {}\n", name, escape_help(e.help), name, e.type);
    if (e.counter) {
      if (e.counter->labels().empty()) e.counter->with({});  // an unlabelled counter shows 0
      e.counter->each([&](const std::vector<std::string>& values, const Counter& c) {
        out += fmt::format("{}{} {}\n", name, label_set(e.counter->labels(), values), c.value());
      });
    } else if (e.histogram) {
      e.histogram->each([&](const std::vector<std::string>& values, const Histogram& h) {
        const auto b = h.buckets();
        uint64_t cumulative = 0;
        for (size_t i = 0; i < b.size(); ++i) {
          cumulative += b[i];
          std::string le = i < kSecondsBuckets.size() ? number(kSecondsBuckets[i]) : "+Inf";
          out += fmt::format("{}_bucket{} {}\n", name,
                             label_set(e.histogram->labels(), values, "le", le), cumulative);
        }
        const std::string ls = label_set(e.histogram->labels(), values);
        out += fmt::format("{}_sum{} {}\n{}_count{} {}\n", name, ls, number(h.sum()), name, ls,
                           cumulative);
      });
    } else if (e.gauge) {
      out += fmt::format("{} {}\n", name, number(e.gauge()));
    } else if (e.collect) {
      for (const Sample& s : e.collect())
        out += fmt::format("{}{} {}\n", name, label_set(e.labels, s.values), number(s.value));
    }
  }
  return out;
}

std::string_view ParsedSample::label(std::string_view n) const {
  for (const auto& [k, v] : labels)
    if (k == n) return v;
  return {};
}

namespace {

// One "name{labels} value" line; nullopt when malformed.
std::optional<ParsedSample> parse_line(std::string_view line) {
  ParsedSample s;
  size_t i = 0;
  while (i < line.size() &&
         (std::isalnum(static_cast<unsigned char>(line[i])) || line[i] == '_' || line[i] == ':'))
    ++i;
  if (i == 0) return std::nullopt;
  s.name = std::string(line.substr(0, i));
  if (i < line.size() && line[i] == '{') {
    ++i;
    while (i < line.size() && line[i] != '}') {
      size_t eq = line.find('=', i);
      if (eq == std::string_view::npos || eq + 1 >= line.size() || line[eq + 1] != '"')
        return std::nullopt;
      std::string key(line.substr(i, eq - i));
      std::string value;
      size_t j = eq + 2;
      for (; j < line.size() && line[j] != '"'; ++j) {
        if (line[j] == '\\' && j + 1 < line.size()) {
          ++j;
          value.push_back(line[j] == 'n' ? '\n' : line[j]);
        } else {
          value.push_back(line[j]);
        }
      }
      if (j >= line.size()) return std::nullopt;
      s.labels.emplace_back(std::move(key), std::move(value));
      i = j + 1;
      if (i < line.size() && line[i] == ',') ++i;
    }
    if (i >= line.size()) return std::nullopt;
    ++i;
  }
  while (i < line.size() && line[i] == ' ') ++i;
  std::string_view v = line.substr(i);
  if (size_t sp = v.find(' '); sp != std::string_view::npos) v = v.substr(0, sp);  // a timestamp
  if (v == "+Inf")
    s.value = std::numeric_limits<double>::infinity();
  else if (v == "-Inf")
    s.value = -std::numeric_limits<double>::infinity();
  else if (v == "NaN")
    s.value = std::numeric_limits<double>::quiet_NaN();
  else {
    auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), s.value);
    if (v.empty() || ec != std::errc{} || end != v.data() + v.size()) return std::nullopt;
  }
  return s;
}

}  // namespace

std::vector<ParsedSample> parse_text(std::string_view text, size_t max) {
  std::vector<ParsedSample> out;
  size_t pos = 0;
  while (pos < text.size() && out.size() < max) {
    size_t nl = text.find('\n', pos);
    std::string_view line = text.substr(pos, nl == std::string_view::npos ? text.npos : nl - pos);
    pos = nl == std::string_view::npos ? text.size() : nl + 1;
    if (line.empty() || line.front() == '#') continue;
    if (auto s = parse_line(line)) out.push_back(std::move(*s));
  }
  return out;
}

namespace {

struct Own {
  Registry r;
  Family<Counter>& messages = r.counter("postern_messages_total",
                                        "Messages decided, by action, direction and policy group.",
                                        {"action", "direction", "group"});
  Family<Counter>& findings =
      r.counter("postern_findings_total", "Findings added, by symbol.", {"symbol"});
  Family<Histogram>& stages =
      r.histogram("postern_stage_seconds",
                  "Wall time a stage spent on one message (all its events).", {"stage"});
  Family<Counter>& dns_queries =
      r.counter("postern_dns_queries_total", "DNS queries started (cache hits included).");
  Family<Counter>& dns_failures = r.counter(
      "postern_dns_failures_total", "DNS queries that failed (timeout, SERVFAIL, no resolver).");
  Family<Counter>& reloads = r.counter("postern_reloads_total",
                                       "Configuration and policy reloads, by result.", {"result"});
  Family<Counter>& state_errors = r.counter(
      "postern_state_errors_total", "State store calls that failed, by backend.", {"backend"});
  Own() {
    r.collector("postern_build_info", "The running postern's version.", "gauge", {"version"}, [] {
      return std::vector<Sample>{{{kVersion}, 1}};
    });
    // lib/content replaces it with the rule set of the snapshot it builds.
    r.collector("postern_rule_hits_total",
                "Content rule hits since the policy was loaded, by rule.", "counter", {"rule"},
                [] { return std::vector<Sample>{}; });
    reloads.with({"ok"});
    reloads.with({"failed"});
  }
};

Own& own() {
  static Own o;
  return o;
}

}  // namespace

Registry& global() {
  return own().r;
}

void gauge_callback(const std::string& name, const std::string& help, std::function<double()> fn) {
  global().gauge_callback(name, help, std::move(fn));
}

void count_message(std::string_view action, std::string_view direction, std::string_view group) {
  own().messages.with({action, direction, group}).inc();
}

void count_finding(std::string_view symbol) {
  own().findings.with({symbol}).inc();
}

void observe_stage(std::string_view stage, double seconds) {
  own().stages.with({stage}).observe(seconds);
}

void count_dns_query() {
  own().dns_queries.with({}).inc();
}

void count_dns_failure() {
  own().dns_failures.with({}).inc();
}

void count_reload(bool ok) {
  own().reloads.with({ok ? "ok" : "failed"}).inc();
}

void count_state_error(std::string_view store) {
  own().state_errors.with({store.substr(0, store.find(':'))}).inc();
}

}  // namespace postern::telemetry::metrics
