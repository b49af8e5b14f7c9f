// Rate limits through the Session with the shipped policies: the rule's action
// is the policy's hard rule (a tempfail at RCPT with the rule's 4.7.1 text), the
// event carries postern.rate_limit for a SIEM, and the metrics count the
// messages and the findings.
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include "policy/policy.hpp"
#include "scan/registry.hpp"
#include "scan/session.hpp"
#include "scan/snapshot.hpp"
#include "state/backends.hpp"
#include "state/config.hpp"
#include "telemetry/metrics.hpp"

using namespace postern;

namespace {

scan::SnapshotPtr rate_snapshot(const test::TempDir& d, std::shared_ptr<state::Store> store,
                                const std::string& rules) {
  d.write("p/70-rate.toml", rules);
  auto pol = policy::load_policy({POSTERN_SOURCE_DIR "/policies", d.str() + "/p"},
                                 scan::policy_sections());
  INFO((pol ? std::string() : policy::to_string(pol.error())));
  REQUIRE(pol);
  auto services = std::make_shared<core::ServiceSet>();
  services->put(std::string(state::kStateService), std::move(store));
  return scan::make_snapshot(policy::Config{}, *pol, services);
}

double metric(std::string_view name, std::string_view label, std::string_view value) {
  double n = 0;
  for (const auto& s : telemetry::metrics::parse_text(telemetry::metrics::global().render()))
    if (s.name == name && s.label(label) == value) n += s.value;
  return n;
}

}  // namespace

TEST_CASE(
    "an outbound burst from one SASL account is tempfailed at RCPT with the rule's text, "
    "and the event says which rule, key, count and limit",
    "[ratelimit]") {
  test::TempDir d;
  for (auto& [name, store] : test::both_backends(d)) {
    INFO(name);
    auto snap = rate_snapshot(d, store,
                              "[ratelimit.sasl_burst]\nkey = \"sasl\"\nlimit = 2\nwindow = "
                              "\"1h\"\ntext = \"Too much mail from your account: {detail}\"\n");
    std::vector<nlohmann::json> events;
    const double over_before = metric("postern_findings_total", "symbol", "RATE_LIMIT_SASL");
    const double tempfail_before = metric("postern_messages_total", "action", "tempfail");
    auto run = [&]() {
      scan::Session s([&] { return snap; }, [&](const nlohmann::json& e) { events.push_back(e); });
      s.connection().client_address = "198.51.100.7";
      s.connection().sasl_user = "road.warrior@example.com";
      s.connect();
      s.helo("laptop");
      s.mail_from("<road.warrior@example.com>");
      scan::EventReply r = s.rcpt("<friend@example.net>");
      if (r.action != core::Action::Accept) {
        s.abort();
        return r;
      }
      s.header("From", "road.warrior@example.com");
      s.header("Subject", "hello");
      s.body("hi\r\n");
      s.end_of_message("Q1");
      return r;
    };
    CHECK(run().action == core::Action::Accept);
    CHECK(run().action == core::Action::Accept);
    scan::EventReply third = run();
    CHECK(third.action == core::Action::Tempfail);
    CHECK(third.reply.code == "451");
    CHECK(third.reply.xcode == "4.7.1");
    CHECK(third.reply.text.rfind("Too much mail from your account: rate limit sasl_burst: sasl ",
                                 0) == 0);
    CHECK(third.reply.text.find("3 messages in 3600 s, limit 2") != std::string::npos);
    // Retrying while over never counts: the fourth attempt is refused the same way.
    CHECK(run().reply.text == third.reply.text);
    REQUIRE(events.size() == 4);
    const auto& e = events[2];
    REQUIRE(e["postern"].contains("rate_limit"));
    const auto& rl = e["postern"]["rate_limit"][0];
    CHECK(rl["rule"] == "sasl_burst");
    CHECK(rl["key_kind"] == "sasl");
    CHECK(rl["count"] == 3);
    CHECK(rl["limit"] == 2);
    CHECK(rl["window_seconds"] == 3600);
    CHECK(rl["action"] == "tempfail");
    CHECK(rl["key"].get<std::string>().find("road.warrior") == std::string::npos);
    CHECK_FALSE(events[0]["postern"].contains("rate_limit"));
    CHECK(metric("postern_findings_total", "symbol", "RATE_LIMIT_SASL") - over_before == 2);
    CHECK(metric("postern_messages_total", "action", "tempfail") - tempfail_before == 2);
  }
}
