// Metrics (lib/telemetry/metrics.hpp): the text exposition format 0.0.4 as
// Prometheus reads it — HELP and TYPE lines, escaped label values, cumulative
// histogram buckets with +Inf, _sum and _count — the series bound, gauge
// callbacks, parse_text reading it all back, and the Grafana dashboard naming
// only metrics postern exports.
#include <catch2/catch.hpp>

#include <algorithm>
#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>
#include <sstream>
#include <thread>

#include "support/files.hpp"
#include "telemetry/metrics.hpp"
#include "telemetry/metrics_config.hpp"

using namespace postern::telemetry;

TEST_CASE("a counter family renders HELP, TYPE and one line per label tuple, values escaped",
          "[metrics]") {
  metrics::Registry r;
  auto& f = r.counter("t_messages_total", "Messages.\nBy \\action.", {"action", "group"});
  f.with({"accept", "default"}).inc();
  f.with({"accept", "default"}).inc(2);
  f.with({"reject", "a \"quoted\" \\ back\nslash"}).inc();
  const std::string text = r.render();
  CHECK(text ==
        "# HELP t_messages_total Messages.\\nBy \\\\action.\n"
        "# TYPE t_messages_total counter\n"
        "t_messages_total{action=\"accept\",group=\"default\"} 3\n"
        "t_messages_total{action=\"reject\",group=\"a \\\"quoted\\\" \\\\ back\\nslash\"} 1\n");
  // parse_text reads the escaped value back as it was.
  auto samples = metrics::parse_text(text);
  REQUIRE(samples.size() == 2);
  CHECK(samples[1].label("group") == "a \"quoted\" \\ back\nslash");
  CHECK(samples[1].value == 1);
  CHECK(samples[0].value == 3);
}

TEST_CASE("an unlabelled counter shows 0 before its first increment", "[metrics]") {
  metrics::Registry r;
  r.counter("t_queries_total", "Queries.");
  CHECK(r.render() ==
        "# HELP t_queries_total Queries.\n# TYPE t_queries_total counter\n"
        "t_queries_total 0\n");
}

TEST_CASE("histogram buckets are cumulative, end with +Inf, and _count equals it", "[metrics]") {
  metrics::Registry r;
  auto& h = r.histogram("t_stage_seconds", "Stage time.", {"stage"});
  for (double v : {0.0001, 0.0005, 0.003, 0.003, 0.2, 42.0}) h.with({"mime"}).observe(v);
  auto samples = metrics::parse_text(r.render());
  std::vector<std::pair<std::string, double>> buckets;
  double sum = -1, count = -1;
  for (const auto& s : samples) {
    CHECK(s.label("stage") == "mime");
    if (s.name == "t_stage_seconds_bucket")
      buckets.emplace_back(std::string(s.label("le")), s.value);
    else if (s.name == "t_stage_seconds_sum")
      sum = s.value;
    else if (s.name == "t_stage_seconds_count")
      count = s.value;
  }
  REQUIRE(buckets.size() == metrics::kSecondsBuckets.size() + 1);
  CHECK(buckets.front() == std::pair<std::string, double>{"0.0005", 2});  // le is inclusive
  CHECK(buckets[3] == std::pair<std::string, double>{"0.005", 4});
  CHECK(buckets[8] == std::pair<std::string, double>{"0.25", 5});
  CHECK(buckets[12] == std::pair<std::string, double>{"5", 5});
  CHECK(buckets.back() == std::pair<std::string, double>{"+Inf", 6});
  for (size_t i = 1; i < buckets.size(); ++i) CHECK(buckets[i].second >= buckets[i - 1].second);
  CHECK(count == 6);
  CHECK(sum == Approx(42.2066));
}

TEST_CASE("a family holds at most kMaxSeries series; the rest share one _overflow series",
          "[metrics]") {
  metrics::Registry r;
  auto& f = r.counter("t_findings_total", "Findings.", {"symbol"});
  for (size_t i = 0; i < metrics::kMaxSeries + 5; ++i) f.with({"S" + std::to_string(i)}).inc();
  auto samples = metrics::parse_text(r.render());
  CHECK(samples.size() == metrics::kMaxSeries + 1);
  auto over = std::find_if(samples.begin(), samples.end(),
                           [](const auto& s) { return s.label("symbol") == "_overflow"; });
  REQUIRE(over != samples.end());
  CHECK(over->value == 5);
}

TEST_CASE("counters add up exactly from many threads", "[metrics]") {
  metrics::Registry r;
  auto& f = r.counter("t_total", "T.", {"k"});
  std::vector<std::thread> ts;
  for (int t = 0; t < 4; ++t)
    ts.emplace_back([&, t] {
      for (int i = 0; i < 10000; ++i) f.with({t % 2 ? "odd" : "even"}).inc();
    });
  for (auto& t : ts) t.join();
  CHECK(f.with({"odd"}).value() == 20000);
  CHECK(f.with({"even"}).value() == 20000);
}

TEST_CASE("a gauge callback is asked at each scrape; registering again replaces it", "[metrics]") {
  metrics::Registry r;
  double size = 3;
  r.gauge_callback("t_quarantine_messages", "Held.", [&] { return size; });
  CHECK(r.render().find("t_quarantine_messages 3\n") != std::string::npos);
  size = 7.5;
  CHECK(r.render().find("t_quarantine_messages 7.5\n") != std::string::npos);
  r.gauge_callback("t_quarantine_messages", "Held.", [] { return 1.0; });
  CHECK(r.render().find("t_quarantine_messages 1\n") != std::string::npos);
}

TEST_CASE("parse_text skips comments and malformed lines, and reads special values", "[metrics]") {
  auto s = metrics::parse_text(
      "# HELP x y\n\nx 1\nbad line\ny{a=\"1\"} +Inf\nz{a=\"unterminated} 3\nw 2 1700000000\n"
      "v NaN\n");
  REQUIRE(s.size() == 4);
  CHECK(s[0].name == "x");
  CHECK(std::isinf(s[1].value));
  CHECK(s[2].name == "w");
  CHECK(s[2].value == 2);
  CHECK(std::isnan(s[3].value));
}

TEST_CASE("postern's own registry exports what kExported names", "[metrics]") {
  metrics::count_message("accept", "inbound", "default");
  metrics::count_finding("SPF_FAIL");
  metrics::observe_stage("mime", 0.001);
  metrics::count_state_error("redis:tcp://127.0.0.1:1/0");
  const std::string text = metrics::global().render();
  for (std::string_view name : metrics::kExported) {
    if (name.rfind("postern_quarantine_", 0) == 0) continue;  // the quarantine store's gauges
    INFO(name);
    CHECK(text.find(fmt::format("# TYPE {} ", name)) != std::string::npos);
  }
  CHECK(text.find("postern_state_errors_total{backend=\"redis\"} ") != std::string::npos);
}

TEST_CASE("the Grafana dashboard parses and names only metrics postern exports", "[metrics]") {
  const std::string text =
      postern::test::slurp(POSTERN_SOURCE_DIR "/packaging/grafana/postern.json");
  auto j = nlohmann::json::parse(text);  // throws (and fails) when it is not JSON
  CHECK(j.contains("panels"));
  std::set<std::string> named;
  std::function<void(const nlohmann::json&)> walk = [&](const nlohmann::json& n) {
    if (n.is_object()) {
      if (n.contains("expr") && n["expr"].is_string()) {
        static const std::regex re("postern_[a-z_]+");
        const std::string e = n["expr"];
        for (std::sregex_iterator it(e.begin(), e.end(), re), end; it != end; ++it)
          named.insert(it->str());
      }
      for (const auto& [k, v] : n.items()) walk(v);
    } else if (n.is_array()) {
      for (const auto& v : n) walk(v);
    }
  };
  walk(j);
  CHECK(named.size() >= 8);
  for (const auto& name : named) {
    std::string base = name;
    for (std::string_view suffix : {"_bucket", "_sum", "_count"})
      if (base.size() > suffix.size() && base.ends_with(suffix) &&
          std::find(metrics::kExported.begin(), metrics::kExported.end(),
                    base.substr(0, base.size() - suffix.size())) != metrics::kExported.end())
        base = base.substr(0, base.size() - suffix.size());
    INFO(name);
    CHECK(std::find(metrics::kExported.begin(), metrics::kExported.end(), base) !=
          metrics::kExported.end());
  }
}

TEST_CASE("[metrics] listen: IP:PORT, [IPv6]:PORT, or nothing", "[metrics]") {
  struct Row {
    const char* in;
    const char* host;  // nullptr: refused
    uint16_t port;
  };
  const Row rows[] = {
      {"127.0.0.1:9187", "127.0.0.1", 9187},
      {"[::1]:9187", "::1", 9187},
      {"0.0.0.0:1", "0.0.0.0", 1},
      {"localhost:9187", nullptr, 0},
      {"127.0.0.1", nullptr, 0},
      {"127.0.0.1:0", nullptr, 0},
      {"127.0.0.1:65536", nullptr, 0},
      {"::1:9187", nullptr, 0},
      {"[127.0.0.1]:80", nullptr, 0},
      {":9187", nullptr, 0},
  };
  for (const auto& r : rows) {
    INFO(r.in);
    auto l = parse_listen(r.in);
    if (!r.host) {
      CHECK_FALSE(l);
      continue;
    }
    REQUIRE(l);
    CHECK(l->host == r.host);
    CHECK(l->port == r.port);
  }
}
