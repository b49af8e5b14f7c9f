// `postern status`'s table (tools/status_command.hpp) from a registry's real
// exposition: the totals, the rows per action, the top findings in order, the
// stage's mean and p95 bucket, and the quarantine only when it reports.
#include <catch2/catch.hpp>

#include <fmt/format.h>

#include <string>

#include "telemetry/metrics.hpp"
#include "tools/status_command.hpp"

using namespace postern;

TEST_CASE("postern status prints the endpoint's numbers as a short table", "[status]") {
  telemetry::metrics::Registry r;
  auto& m = r.counter("postern_messages_total", "M.", {"action", "direction", "group"});
  m.with({"accept", "inbound", "default"}).inc(40);
  m.with({"tempfail", "outbound", "sales"}).inc(2);
  auto& f = r.counter("postern_findings_total", "F.", {"symbol"});
  f.with({"SPF_FAIL"}).inc(3);
  f.with({"RATE_LIMIT_SASL"}).inc(9);
  f.with({"DKIM_NONE"}).inc(1);
  auto& h = r.histogram("postern_stage_seconds", "S.", {"stage"});
  for (int i = 0; i < 19; ++i) h.with({"mime"}).observe(0.002);
  h.with({"mime"}).observe(0.2);
  r.counter("postern_reloads_total", "R.", {"result"}).with({"failed"}).inc();
  const std::string out =
      tools::format_status(telemetry::metrics::parse_text(r.render()), /*top=*/2);
  INFO(out);
  auto has = [&](const std::string& line) { return out.find(line + "\n") != std::string::npos; };
  CHECK(has(fmt::format("{:<44} {:>12}", "messages (action direction group)", 42)));
  CHECK(has(fmt::format("  {:<42} {:>12}", "accept inbound default", 40)));
  CHECK(has(fmt::format("  {:<42} {:>12}", "tempfail outbound sales", 2)));
  // The top 2 of 3 findings, most frequent first; the total counts all of them.
  CHECK(has(fmt::format("{:<44} {:>12}", "findings (top 2 of 3)", 13)));
  CHECK(out.find("RATE_LIMIT_SASL") < out.find("SPF_FAIL"));
  CHECK(out.find("DKIM_NONE") == std::string::npos);
  // 20 messages, mean 11.9 ms; 19 of 20 (95 %) at or under the 2.5 ms bucket.
  CHECK(has(fmt::format("  {:<22} {:>10} {:>10.3f} {:>10}", "mime", 20, 11.9, "2.5")));
  CHECK(has(fmt::format("{:<44} {:>12}", "reloads failed", 1)));
  CHECK(out.find("quarantine") == std::string::npos);
  r.gauge_callback("postern_quarantine_messages", "Q.", [] { return 5.0; });
  const std::string with_q = tools::format_status(telemetry::metrics::parse_text(r.render()), 2);
  CHECK(with_q.find(fmt::format("{:<44} {:>12}\n", "quarantine messages", 5)) != std::string::npos);
}
