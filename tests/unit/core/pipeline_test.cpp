// Tests for core/stage.hpp: the Pipeline contains errors and steers the chain.
#include <catch2/catch.hpp>

#include <chrono>
#include <thread>

#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "core/stage.hpp"

using namespace postern::core;

namespace {

// What a test stage does on every hook.
enum class Does { Continue, Sleep, Throw, ThrowNonStd, Error };

class TestStage final : public Stage {
 public:
  TestStage(std::string name, Does does) : name_(std::move(name)), does_(does) {}
  std::string_view name() const override { return name_; }
  Step on_connect(Transaction& tx) const override { return act(tx, "connect"); }
  Step on_helo(Transaction& tx) const override { return act(tx, "helo"); }
  Step on_mail_from(Transaction& tx) const override { return act(tx, "mail"); }
  Step on_rcpt(Transaction& tx, std::string_view rcpt) const override {
    return act(tx, "rcpt " + std::string(rcpt));
  }
  Step on_message(Transaction& tx) const override { return act(tx, "message"); }

 private:
  Step act(Transaction& tx, const std::string& event) const {
    tx.add_finding("RAN", 0, name_ + " " + event);
    switch (does_) {
      case Does::Continue:
        return Step::next();
      case Does::Sleep:  // 5 ms of wall time: the recorded time cannot be less
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
        return Step::next();
      case Does::Throw:
        throw std::runtime_error("boom");
      case Does::ThrowNonStd:
        throw 42;
      case Does::Error:
        return Step::error("dns down");
    }
    return Step::next();
  }
  std::string name_;
  Does does_;
};

// A stage that only overrides one hook: every other hook must continue.
class OnlyRcpt final : public Stage {
 public:
  std::string_view name() const override { return "only_rcpt"; }
  Step on_rcpt(Transaction&, std::string_view rcpt) const override {
    return rcpt == "bad@x.test" ? Step::error("bad rcpt") : Step::next();
  }
};

struct StageSpec {
  std::string name;
  Does does;
};

Pipeline make(const std::vector<StageSpec>& specs, Action on_error = Action::Tempfail,
              std::map<std::string, Action, std::less<>> per_stage = {}) {
  std::vector<std::unique_ptr<Stage>> stages;
  for (const auto& s : specs) stages.push_back(std::make_unique<TestStage>(s.name, s.does));
  return Pipeline(std::move(stages), on_error, std::move(per_stage));
}

std::vector<std::string> ran(const Transaction& tx) {
  std::vector<std::string> out;
  for (const auto& f : tx.findings())
    if (f.symbol == "RAN") out.push_back(f.detail);
  return out;
}

std::vector<std::string> stage_error_details(const Transaction& tx) {
  std::vector<std::string> out;
  for (const auto& f : tx.findings())
    if (f.symbol == "POSTERN_STAGE_ERROR") out.push_back(f.detail);
  return out;
}

struct Fixture {
  ConnectionInfo conn;
  Transaction tx{conn, Direction::Inbound, Limits{}, nullptr, "id"};
};

}  // namespace

TEST_CASE("a stage that fails gets the on_error action and a POSTERN_STAGE_ERROR finding",
          "[pipeline]") {
  struct Row {
    std::string name;
    Does does;
    Action on_error;
    std::map<std::string, Action, std::less<>> per_stage;
    Step::Kind kind;
    Action action;
    std::string detail;
    std::vector<std::string> ran;
  };
  const std::vector<Row> rows = {
      {"a throwing stage tempfails by default",
       Does::Throw,
       Action::Tempfail,
       {},
       Step::Kind::Error,
       Action::Tempfail,
       "bad: boom",
       {"a message", "bad message"}},
      {"a non-std exception is contained",
       Does::ThrowNonStd,
       Action::Tempfail,
       {},
       Step::Kind::Error,
       Action::Tempfail,
       "bad: unknown exception",
       {"a message", "bad message"}},
      {"an error step is treated like a throw",
       Does::Error,
       Action::Tempfail,
       {},
       Step::Kind::Error,
       Action::Tempfail,
       "bad: dns down",
       {"a message", "bad message"}},
      {"the global on_error applies",
       Does::Throw,
       Action::Reject,
       {},
       Step::Kind::Error,
       Action::Reject,
       "bad: boom",
       {"a message", "bad message"}},
      {"a per-stage on_error overrides the global one",
       Does::Throw,
       Action::Tempfail,
       {{"bad", Action::Quarantine}},
       Step::Kind::Error,
       Action::Quarantine,
       "bad: boom",
       {"a message", "bad message"}},
      {"a per-stage override for another stage does not apply",
       Does::Throw,
       Action::Tempfail,
       {{"other", Action::Accept}},
       Step::Kind::Error,
       Action::Tempfail,
       "bad: boom",
       {"a message", "bad message"}},
      {"on_error accept lets the mail through the failing stage",
       Does::Error,
       Action::Tempfail,
       {{"bad", Action::Accept}},
       Step::Kind::Continue,
       Action::Accept,
       "bad: dns down",
       {"a message", "bad message", "z message"}},
  };
  for (const auto& r : rows) {
    CAPTURE(r.name);
    Fixture f;
    Pipeline p = make({{"a", Does::Continue}, {"bad", r.does}, {"z", Does::Continue}}, r.on_error,
                      r.per_stage);
    Step st = p.run(Event::Message, f.tx);
    CHECK(st.kind == r.kind);
    if (r.kind == Step::Kind::Error) {
      CHECK(st.action == r.action);
      CHECK(st.reason == "stage error: " + r.detail);
    }
    CHECK(stage_error_details(f.tx) == std::vector<std::string>{r.detail});
    CHECK(ran(f.tx) == r.ran);
  }
}

TEST_CASE("the first failing stage ends the event and later stages do not run", "[pipeline]") {
  struct Row {
    std::vector<StageSpec> stages;
    Step::Kind kind;
    std::string reason;
    std::vector<std::string> ran;
  };
  const std::vector<Row> rows = {
      {{{"a", Does::Continue}, {"b", Does::Continue}},
       Step::Kind::Continue,
       "",
       {"a mail", "b mail"}},
      {{{"a", Does::Error}, {"b", Does::Continue}},
       Step::Kind::Error,
       "stage error: a: dns down",
       {"a mail"}},
      {{{"a", Does::Continue}, {"b", Does::Throw}, {"c", Does::Error}},
       Step::Kind::Error,
       "stage error: b: boom",
       {"a mail", "b mail"}},
      {{}, Step::Kind::Continue, "", {}},
  };
  for (const auto& r : rows) {
    Fixture f;
    Pipeline p = make(r.stages);
    Step st = p.run(Event::MailFrom, f.tx);
    CHECK(st.kind == r.kind);
    CHECK(st.action == (r.kind == Step::Kind::Error ? Action::Tempfail : Action::Accept));
    CHECK(st.reason == r.reason);
    CHECK(ran(f.tx) == r.ran);
    CHECK(stage_error_details(f.tx).size() == (r.kind == Step::Kind::Error ? 1u : 0u));
  }
}

TEST_CASE("each event reaches the matching hook, and rcpt gets the recipient", "[pipeline]") {
  Fixture f;
  Pipeline p = make({{"a", Does::Continue}});
  p.run(Event::Connect, f.tx);
  p.run(Event::Helo, f.tx);
  p.run(Event::MailFrom, f.tx);
  p.run(Event::Rcpt, f.tx, "r@x.test");
  p.run(Event::Message, f.tx);
  CHECK(ran(f.tx) ==
        std::vector<std::string>{"a connect", "a helo", "a mail", "a rcpt r@x.test", "a message"});
}

TEST_CASE("a stage overriding one hook continues on every other", "[pipeline]") {
  Fixture f;
  std::vector<std::unique_ptr<Stage>> stages;
  stages.push_back(std::make_unique<OnlyRcpt>());
  Pipeline p(std::move(stages), Action::Tempfail);
  for (Event e : {Event::Connect, Event::Helo, Event::MailFrom, Event::Message})
    CHECK(p.run(e, f.tx).kind == Step::Kind::Continue);
  CHECK(p.run(Event::Rcpt, f.tx, "good@x.test").kind == Step::Kind::Continue);
  Step st = p.run(Event::Rcpt, f.tx, "bad@x.test");
  CHECK(st.kind == Step::Kind::Error);
  CHECK(st.action == Action::Tempfail);
}

TEST_CASE("time is recorded per stage that ran, once per stage name, accumulated over events",
          "[pipeline]") {
  Fixture f;
  Pipeline p = make({{"a", Does::Sleep}, {"b", Does::Throw}, {"c", Does::Continue}});
  p.run(Event::Connect, f.tx);
  p.run(Event::Message, f.tx);
  const auto& times = f.tx.stage_times();
  REQUIRE(times.size() == 2);  // c never ran: b failed first
  CHECK(times[0].name == "a");
  CHECK(times[1].name == "b");
  CHECK(times[0].ms >= 10);  // two events, each sleeping 5 ms in a: the time adds up
  CHECK(p.stage_names() == std::vector<std::string_view>{"a", "b", "c"});
}

TEST_CASE("stage time adds up under the same name", "[pipeline]") {
  Fixture f;
  f.tx.add_stage_time("x", 1.5);
  f.tx.add_stage_time("y", 1);
  f.tx.add_stage_time("x", 2);
  REQUIRE(f.tx.stage_times().size() == 2);
  CHECK(f.tx.stage_times()[0].ms == Approx(3.5));
  CHECK(f.tx.stage_times()[1].ms == Approx(1));
}

namespace {

// A content stage that spends CPU until the message's budget is gone.
class BurnStage final : public Stage {
 public:
  std::string_view name() const override { return "burn"; }
  bool content() const override { return true; }
  Step on_message(Transaction& tx) const override {
    tx.add_finding("RAN", 0, "burn message");
    volatile unsigned long x = 0;
    while (!tx.budget().tick()) x = x + 1;
    return Step::next();
  }
};

// A stage that records that it ran; content or not.
class MarkStage final : public Stage {
 public:
  MarkStage(std::string name, bool content) : name_(std::move(name)), content_(content) {}
  std::string_view name() const override { return name_; }
  bool content() const override { return content_; }
  Step on_message(Transaction& tx) const override {
    tx.add_finding("RAN", 0, name_ + " message");
    return Step::next();
  }
  Step on_connect(Transaction& tx) const override {
    tx.add_finding("RAN", 0, name_ + " connect");
    return Step::next();
  }

 private:
  std::string name_;
  bool content_;
};

std::vector<const Finding*> with_symbol(const Transaction& tx, std::string_view symbol) {
  std::vector<const Finding*> out;
  for (const auto& f : tx.findings())
    if (f.symbol == symbol) out.push_back(&f);
  return out;
}

}  // namespace

TEST_CASE("once the CPU budget is spent the content stages are skipped, the others still run",
          "[pipeline][budget]") {
  ConnectionInfo conn;
  Limits lim;
  lim.scan_time_ms = 5;
  Transaction tx{conn, Direction::Inbound, lim, nullptr, "id"};
  std::vector<std::unique_ptr<Stage>> stages;
  stages.push_back(std::make_unique<MarkStage>("first", true));
  stages.push_back(std::make_unique<BurnStage>());
  stages.push_back(std::make_unique<MarkStage>("later_content", true));
  stages.push_back(std::make_unique<MarkStage>("auth", false));
  stages.push_back(std::make_unique<MarkStage>("more_content", true));
  Pipeline p(std::move(stages), Action::Tempfail);
  Step s = p.run(Event::Message, tx);
  CHECK(s.kind == Step::Kind::Continue);  // the message is not lost or tempfailed
  CHECK(ran(tx) == std::vector<std::string>{"first message", "burn message", "auth message"});
  auto limit = with_symbol(tx, "LIMIT_SCAN_TIME");
  REQUIRE(limit.size() == 1);
  CHECK(limit[0]->score == 1.0);
  CHECK(limit[0]->detail.find("limit 5 ms") != std::string::npos);
  CHECK(limit[0]->detail.find("'burn' stopped early") != std::string::npos);
  CHECK(limit[0]->detail.ends_with("skipped: later_content, more_content"));
}

TEST_CASE("a message within its CPU budget has no LIMIT_SCAN_TIME and runs every stage",
          "[pipeline][budget]") {
  ConnectionInfo conn;
  Transaction tx{conn, Direction::Inbound, Limits{}, nullptr, "id"};  // 2 s by default
  CHECK(Limits{}.scan_time_ms == 2000);
  std::vector<std::unique_ptr<Stage>> stages;
  stages.push_back(std::make_unique<MarkStage>("a", true));
  stages.push_back(std::make_unique<MarkStage>("b", false));
  Pipeline p(std::move(stages), Action::Tempfail);
  p.run(Event::Message, tx);
  CHECK(ran(tx) == std::vector<std::string>{"a message", "b message"});
  CHECK(with_symbol(tx, "LIMIT_SCAN_TIME").empty());
}

TEST_CASE("the budget restarts at end of message and does not apply to earlier events",
          "[pipeline][budget]") {
  ConnectionInfo conn;
  Limits lim;
  lim.scan_time_ms = 5;
  Transaction tx{conn, Direction::Inbound, lim, nullptr, "id"};
  // spent before end of message (a long connection): the message gets a fresh budget
  while (!tx.budget().expired()) {
  }
  std::vector<std::unique_ptr<Stage>> stages;
  stages.push_back(std::make_unique<MarkStage>("c", true));
  Pipeline p(std::move(stages), Action::Tempfail);
  p.run(Event::Connect, tx);
  p.run(Event::Message, tx);
  CHECK(ran(tx) == std::vector<std::string>{"c connect", "c message"});
  CHECK(with_symbol(tx, "LIMIT_SCAN_TIME").empty());
}

TEST_CASE("what the stages find at RCPT is about that recipient, errors included", "[pipeline]") {
  Fixture f;
  Pipeline p = make({{"a", Does::Continue}, {"b", Does::Error}}, Action::Accept);
  p.run(Event::MailFrom, f.tx);
  p.run(Event::Rcpt, f.tx, "r1@x.test");
  p.run(Event::Rcpt, f.tx, "r2@x.test");
  p.run(Event::Message, f.tx);
  std::vector<std::pair<std::string, std::string>> got;  // detail, recipient
  for (const auto& x : f.tx.findings()) got.emplace_back(x.detail, x.recipient);
  CHECK(got == std::vector<std::pair<std::string, std::string>>{
                   {"a mail", ""},
                   {"b mail", ""},
                   {"b: dns down", ""},
                   {"a rcpt r1@x.test", "r1@x.test"},
                   {"b rcpt r1@x.test", "r1@x.test"},
                   {"b: dns down", "r1@x.test"},
                   {"a rcpt r2@x.test", "r2@x.test"},
                   {"b rcpt r2@x.test", "r2@x.test"},
                   {"b: dns down", "r2@x.test"},
                   {"a message", ""},
                   {"b message", ""},
                   {"b: dns down", ""},
               });
  CHECK(f.tx.current_recipient().empty());  // the scope closes with the event
}
