// The end of a message in phases: decide → modify → finish → dispose, through scan::Session.
#include "scan/phases.hpp"

#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <stdexcept>
#include <string>
#include <vector>

#include "content/banner.hpp"
#include "scan/session.hpp"
#include "scan/snapshot.hpp"
#include "support/dkim_keys.hpp"
#include "support/dkim_run.hpp"
#include "support/temp_dir.hpp"

using namespace postern;
using nlohmann::json;

namespace {

// Sets the new body to a fixed text; counts its calls.
class BodyModifier final : public core::Modifier {
 public:
  mutable int calls = 0;
  std::string_view name() const override { return "test-body"; }
  void modify(const core::Transaction&, const core::Message&, core::Outcome& out) const override {
    ++calls;
    out.new_body = "replaced\r\n";
  }
};

// Records whether it got the transaction's own message (no copy) or a rebuilt one.
class EnvelopeModifier final : public core::Modifier {
 public:
  bool wants_message = false;
  mutable std::vector<bool> got_original;
  std::string_view name() const override { return "test-envelope"; }
  bool needs_message(const core::Transaction&, const core::Outcome&) const override {
    return wants_message;
  }
  void modify(const core::Transaction& tx, const core::Message& current,
              core::Outcome&) const override {
    got_original.push_back(&current == tx.message());
  }
};

// Records the body every finisher call saw.
class BodyRecorder final : public core::Finisher {
 public:
  mutable std::vector<std::string> seen;
  std::string_view name() const override { return "recorder"; }
  void finish(const core::Transaction&, const core::Message& leaving,
              core::Outcome&) const override {
    seen.emplace_back(leaving.body());
  }
};

// A disposer that cannot do its work. A test double: no store exists yet whose failure
// the test could cause for real.
class FailingDisposer final : public core::Disposer {
 public:
  bool throws = false;
  std::string_view name() const override { return "store"; }
  std::optional<std::string> dispose(const core::Transaction&, const core::Message&,
                                     const core::Outcome&) const override {
    if (throws) throw std::runtime_error("disk full");
    return "index locked";
  }
};

// Records what it was handed.
class RecordingDisposer final : public core::Disposer {
 public:
  mutable std::vector<std::string> seen;
  std::string_view name() const override { return "recording"; }
  std::optional<std::string> dispose(const core::Transaction&, const core::Message& leaving,
                                     const core::Outcome&) const override {
    seen.push_back(leaving.raw());
    return std::nullopt;
  }
};

struct Parts {
  std::vector<std::shared_ptr<const core::Finisher>> finishers;
  std::vector<std::shared_ptr<const core::Modifier>> modifiers;
  std::vector<std::shared_ptr<const core::Disposer>> disposers;
};

scan::SnapshotPtr snapshot(Parts parts, policy::Config cfg = {}) {
  auto pol = policy::parse_policy("", "empty.toml");
  REQUIRE(pol);
  core::Pipeline pipeline({}, cfg.on_error, cfg.stage_on_error);
  return std::make_shared<const scan::Snapshot>(scan::Snapshot{std::move(cfg),
                                                               std::move(*pol),
                                                               std::move(pipeline),
                                                               "mx.test",
                                                               nullptr,
                                                               std::move(parts.finishers),
                                                               std::move(parts.modifiers),
                                                               std::move(parts.disposers),
                                                               {}});
}

struct Result {
  core::Outcome outcome;
  json event;
};

Result run(const scan::SnapshotPtr& snap, const std::string& body, const std::string& sasl = "") {
  std::vector<json> events;
  Result r;
  {
    scan::Session s([&] { return snap; }, [&](const json& e) { events.push_back(e); });
    s.connection().client_address = "203.0.113.5";
    s.connection().sasl_user = sasl;
    s.connect();
    s.mail_from("<alice@example.com>");
    s.rcpt("<bob@example.net>");
    s.header("From", "alice@example.com");
    s.header("Subject", "hi");
    s.body(body);
    r.outcome = s.end_of_message();
  }
  REQUIRE(events.size() == 1);
  r.event = events[0];
  return r;
}

bool has_finding(const json& e, const std::string& sym, const std::string& detail_part) {
  for (const auto& f : e["postern"]["findings"])
    if (f["symbol"] == sym && f["detail"].get<std::string>().find(detail_part) != std::string::npos)
      return true;
  return false;
}

}  // namespace

TEST_CASE("modifiers run on a whole message and finishers see their body") {
  auto mod = std::make_shared<BodyModifier>();
  auto rec = std::make_shared<BodyRecorder>();
  auto snap = snapshot({{rec}, {mod}, {}});
  Result r = run(snap, "original\r\n");
  CHECK(mod->calls == 1);
  REQUIRE(r.outcome.new_body);
  CHECK(*r.outcome.new_body == "replaced\r\n");
  CHECK(rec->seen == std::vector<std::string>{"replaced\r\n"});
  CHECK(r.event["postern"]["body_replaced"] == true);
}

TEST_CASE("a modifier that does not read the message gets it without a copy") {
  for (bool wants : {false, true}) {
    auto mod = std::make_shared<EnvelopeModifier>();
    mod->wants_message = wants;
    run(snapshot({{}, {mod}, {}}), "body\r\n");
    CHECK(mod->got_original == std::vector<bool>{!wants});
  }
}

TEST_CASE("modifiers never run on a message buffered only in part") {
  auto mod = std::make_shared<BodyModifier>();
  auto rec = std::make_shared<BodyRecorder>();
  policy::Config cfg;
  cfg.limits.message_size = 64;  // the message below is longer
  auto snap = snapshot({{rec}, {mod}, {}}, cfg);
  Result r = run(snap, std::string(200, 'x') + "\r\n");
  CHECK(mod->calls == 0);
  CHECK_FALSE(r.outcome.new_body);
  REQUIRE(rec->seen.size() == 1);  // finishers still run (headers only)
  CHECK_FALSE(r.event["postern"].contains("body_replaced"));
}

TEST_CASE("a failing disposer turns the verdict into the on_error action: mail is not lost") {
  struct Row {
    const char* what;
    bool throws;
    std::optional<core::Action> on_error;        // config on_error (default tempfail)
    std::optional<core::Action> stage_on_error;  // for the disposer by name
    core::Action expected;
  };
  const std::vector<Row> rows{
      {"error return, default on_error", false, std::nullopt, std::nullopt, core::Action::Tempfail},
      {"exception, default on_error", true, std::nullopt, std::nullopt, core::Action::Tempfail},
      {"on_error = reject", false, core::Action::Reject, std::nullopt, core::Action::Reject},
      {"stage_on_error.store = quarantine", true, std::nullopt, core::Action::Quarantine,
       core::Action::Quarantine},
      {"on_error = accept keeps the verdict", false, core::Action::Accept, std::nullopt,
       core::Action::Accept},
  };
  for (const auto& row : rows) {
    INFO(row.what);
    auto fail = std::make_shared<FailingDisposer>();
    fail->throws = row.throws;
    auto after = std::make_shared<RecordingDisposer>();
    policy::Config cfg;
    if (row.on_error) cfg.on_error = *row.on_error;
    if (row.stage_on_error) cfg.stage_on_error["store"] = *row.stage_on_error;
    auto snap = snapshot({{}, {}, {fail, after}}, cfg);
    Result r = run(snap, "hello\r\n");
    CHECK(r.outcome.verdict.action == row.expected);
    CHECK(has_finding(r.event, "POSTERN_STAGE_ERROR",
                      row.throws ? "store: disk full" : "store: index locked"));
    CHECK(after->seen.empty());  // the disposers after a failed one do not run
    CHECK(r.event["postern"]["action"] == std::string(core::to_string(row.expected)));
    if (row.expected == core::Action::Tempfail) {
      CHECK(r.outcome.verdict.reply.code.starts_with("4"));
    }
    if (row.expected == core::Action::Quarantine) CHECK_FALSE(r.outcome.quarantine_reason.empty());
  }
}

TEST_CASE("disposers see the message exactly as it leaves") {
  auto mod = std::make_shared<BodyModifier>();
  auto rec = std::make_shared<RecordingDisposer>();
  auto snap = snapshot({{}, {mod}, {rec}});
  Result r = run(snap, "original\r\n");
  REQUIRE(rec->seen.size() == 1);
  CHECK(r.outcome.verdict.action == core::Action::Accept);
  CHECK(rec->seen[0].ends_with("\r\n\r\nreplaced\r\n"));
  CHECK(rec->seen[0].find("X-Postern-Verdict: accept") != std::string::npos);
}

TEST_CASE("a DKIM signature made after the banner verifies against the bannered body") {
  test::TempDir d;
  test::DkimKey ed = test::make_key(d, "ed", 0);
  std::string zone =
      d.write("local.zone", "local-zone: \"example.com.\" static\n" +
                                test::txt_line("e1._domainkey.example.com", ed.record) + "\n");
  d.write("policies/60-banner.toml",
          "[banner]\ntext = \"EXTERNAL: think before you click\"\ndirection = \"both\"\n");
  std::string cfg = d.write(
      "postern.toml", "[policy]\ndirs = [\"" POSTERN_SOURCE_DIR "/policies\", \"" + d.str() +
                          "/policies\"]\n[dns]\nforwarders = [\"127.0.0.1@9\"]\ntimeout_ms = 300\n"
                          "local_data = \"" +
                          zone +
                          "\"\n[dkim]\n[[dkim.sign]]\ndomain = \"example.com\"\nselector = \"e1\"\n"
                          "algorithm = \"ed25519-sha256\"\nkey = \"ed.pem\"\n");
  auto snap = scan::load_snapshot(cfg);
  INFO((snap ? std::string() : policy::to_string(snap.error())));
  REQUIRE(snap);
  REQUIRE((*snap)->modifiers.size() == 1);
  CHECK((*snap)->modifiers[0]->name() == "banner");

  core::Message original(
      "From: Alice <alice@example.com>\r\nTo: bob@example.net\r\nSubject: numbers\r\n"
      "Date: Tue, 1 Jul 2025 10:52:37 +0200\r\nMessage-ID: <9@example.com>\r\n"
      "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n"
      "Content-Transfer-Encoding: quoted-printable\r\n\r\nSee the numbers =E2=82=AC.\r\n");
  // outbound (SASL): bannered, then signed
  core::Outcome out = test::run_message(*snap, original, "198.51.100.7", "alice").outcome;
  REQUIRE(out.new_body);
  CHECK(out.new_body->starts_with("EXTERNAL: think before you click\r\n\r\nSee the numbers"));
  CHECK(std::any_of(out.added.begin(), out.added.end(),
                    [](const core::HeaderAddition& a) { return a.name == "DKIM-Signature"; }));
  core::Message leaving = core::apply_edits(original, out);
  CHECK(leaving.body() == *out.new_body);
  auto in = test::run_message(*snap, leaving, "203.0.113.9", "");  // the next hop verifies
  CHECK(in.dkim_findings == std::vector<std::string>{"DKIM_PASS"});
  // and the original body, under the same signature, would not
  core::Outcome unbannered = out;
  unbannered.new_body.reset();
  auto bad = test::run_message(*snap, core::apply_edits(original, unbannered), "203.0.113.9", "");
  CHECK(bad.dkim_findings == std::vector<std::string>{"DKIM_FAIL"});
}
