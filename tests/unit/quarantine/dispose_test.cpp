// Quarantine modes end to end through scan::Session: the real disposer on a real
// SQLite state store and real directories, and what the MTA is told (Outcome).
// The failure rows mount real file systems (read-only tmpfs, a full 2 MB ext4
// loop image): the unit tests run as root.
#include "quarantine/stage.hpp"

#include <sys/mount.h>
#include <unistd.h>

#include <fmt/format.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "policy/policy.hpp"
#include "quarantine/release.hpp"
#include "scan/session.hpp"
#include "scan/snapshot.hpp"
#include "state/redis_store.hpp"
#include "state/sqlite_store.hpp"
#include "support/temp_dir.hpp"

using namespace postern;

namespace {

// Everything quarantines: thresholds at 0 for inbound mail.
const std::string kQuarantineAll = R"(
[inbound]
tag = 0.0
quarantine = 0.0
)";

struct Mode {
  test::TempDir tmp;
  std::shared_ptr<state::Store> state;
  std::string dir;
  explicit Mode(std::shared_ptr<state::Store> st = nullptr) {
    dir = tmp.str() + "/q";
    state =
        st ? st : *state::SqliteStore::open(state::SqliteOptions{.path = tmp.str() + "/state.db"});
  }
  std::shared_ptr<const quarantine::Store> store() const {
    return std::make_shared<const quarantine::Store>(dir, state);
  }
};

struct Setup {
  std::string policy;  // appended to kQuarantineAll
  policy::Config cfg{};
  size_t max_bytes = 1 << 20;
  std::string release_key{};  // "" = no release stage
};

scan::SnapshotPtr quarantine_snapshot(const Mode& m, const Setup& s) {
  auto pol = policy::parse_policy(kQuarantineAll + s.policy, "test.toml");
  REQUIRE(pol);
  std::vector<std::unique_ptr<core::Stage>> stages;
  if (!s.release_key.empty())
    stages.push_back(std::make_unique<quarantine::ReleaseStage>(s.release_key, 3600));
  core::Pipeline pipeline(std::move(stages), s.cfg.on_error, s.cfg.stage_on_error);
  std::vector<std::shared_ptr<const core::Disposer>> disposers{
      std::make_shared<quarantine::QuarantineDisposer>(m.store(), s.max_bytes)};
  return std::make_shared<const scan::Snapshot>(scan::Snapshot{s.cfg,
                                                               std::move(*pol),
                                                               std::move(pipeline),
                                                               "mx.test",
                                                               nullptr,
                                                               {},
                                                               {},
                                                               std::move(disposers),
                                                               {}});
}

struct Sent {
  core::Outcome out;
  nlohmann::json event;
  bool has(const std::string& sym) const {
    for (const auto& f : event["postern"]["findings"])
      if (f["symbol"] == sym) return true;
    return false;
  }
};

Sent send_one(const scan::SnapshotPtr& snap, const std::string& body,
              std::vector<std::pair<std::string, std::string>> extra = {},
              const std::string& queue_id = "4XyZ1") {
  Sent r;
  scan::Session s([&] { return snap; }, [&](const nlohmann::json& e) { r.event = e; });
  s.connection().client_address = "203.0.113.5";
  s.connect();
  s.mail_from("<alice@sender.example>");
  s.rcpt("<bob@feas.test>");
  for (auto& [n, v] : extra) s.header(n, v);
  s.header("From", "Alice <alice@sender.example>");
  s.header("Subject", "quarterly invoice");
  s.body(body);
  r.out = s.end_of_message(queue_id);
  return r;
}

std::vector<quarantine::Entry> listed(const Mode& m) {
  auto l = m.store()->list({});
  REQUIRE(l);
  return *l;
}

// A file system mounted for one test (mount(8) as root), unmounted at the end.
class TestMount {
 public:
  TestMount(const std::string& what, const std::string& dir) : dir_(dir) {
    std::filesystem::create_directories(dir);
    ok_ = std::system(fmt::format("mount {} {} 2>/dev/null", what, dir).c_str()) == 0;
  }
  ~TestMount() {
    if (ok_) ::umount2(dir_.c_str(), MNT_DETACH);
  }
  bool ok() const { return ok_; }

 private:
  std::string dir_;
  bool ok_ = false;
};

}  // namespace

TEST_CASE("quarantine_mode decides where a quarantined message goes") {
  struct Row {
    const char* policy;
    core::QuarantineMode mode;
    bool stored;
  };
  for (const auto& row : std::vector<Row>{
           {"", core::QuarantineMode::Hold, false},
           {"[quarantine]\nmode = \"hold\"\n", core::QuarantineMode::Hold, false},
           {"[quarantine]\nmode = \"store\"\n", core::QuarantineMode::Store, true},
           {"[quarantine]\nmode = \"both\"\n", core::QuarantineMode::Both, true},
       }) {
    INFO(row.policy);
    Mode m;
    Sent r = send_one(quarantine_snapshot(m, {row.policy}), "Pay the invoice.\r\n");
    CHECK(r.out.verdict.action == core::Action::Quarantine);
    CHECK(r.out.quarantine_mode == row.mode);
    CHECK(r.out.stored == row.stored);
    auto entries = listed(m);
    REQUIRE(entries.size() == (row.stored ? 1u : 0u));
    CHECK(r.event["postern"].contains("quarantine") == row.stored);
    if (!row.stored) continue;
    const auto& e = entries[0];
    // The event names the entry, so a SIEM finds it in `postern quarantine show`.
    CHECK(r.event["postern"]["quarantine"]["id"] == e.id);
    CHECK(r.event["postern"]["quarantine"]["mode"] == core::to_string(row.mode));
    CHECK(e.sender == "alice@sender.example");
    CHECK(e.recipients == std::vector<std::string>{"bob@feas.test"});
    CHECK(e.subject == "quarterly invoice");
    CHECK(e.from == "Alice <alice@sender.example>");
    CHECK(e.direction == "inbound");
    CHECK(e.group == "default");
    CHECK(e.queue_id == "4XyZ1");
    CHECK(e.expires - e.time == 30 * 86400);
    // The file is the message as it leaves: postern's headers included.
    auto raw = m.store()->read_message(e);
    REQUIRE(raw);
    CHECK(raw->find("X-Postern-Verdict: quarantine") != std::string::npos);
    CHECK(raw->find("Pay the invoice.") != std::string::npos);
  }
}

TEST_CASE("a group sets its own mode and retention") {
  Mode m;
  const std::string pol = R"(
[quarantine]
mode = "both"
retention_days = 10

[[group]]
name = "finance"
recipients = ["bob@feas.test"]
quarantine_mode = "store"
quarantine_days = 7
)";
  Sent r = send_one(quarantine_snapshot(m, {pol}), "x\r\n");
  CHECK(r.out.quarantine_mode == core::QuarantineMode::Store);
  CHECK(r.out.stored);
  auto entries = listed(m);
  REQUIRE(entries.size() == 1);
  CHECK(entries[0].group == "finance");
  CHECK(entries[0].expires - entries[0].time == 7 * 86400);
}

TEST_CASE("a bad quarantine_mode or retention is an error at its position") {
  for (const char* text : {"[quarantine]\nmode = \"bin\"\n", "[quarantine]\nretention_days = 0\n",
                           "[[group]]\nname = \"g\"\nrecipients = [\"a@b.c\"]\nquarantine_mode = "
                           "\"discard\"\n"}) {
    INFO(text);
    auto p = policy::parse_policy(text, "bad.toml");
    REQUIRE_FALSE(p);
    CHECK(p.error().front().to_string().find("bad.toml:") == 0);
  }
}

TEST_CASE("what the store cannot take goes to the hold queue, with a finding") {
  const std::string store_mode = "[quarantine]\nmode = \"store\"\n";
  SECTION("buffered only in part") {
    Mode m;
    Setup s{store_mode};
    s.cfg.limits.message_size = 256;
    Sent r = send_one(quarantine_snapshot(m, s), std::string(2000, 'x') + "\r\n");
    CHECK(r.out.verdict.action == core::Action::Quarantine);
    CHECK(r.out.quarantine_mode == core::QuarantineMode::Hold);
    CHECK_FALSE(r.out.stored);
    CHECK(r.has("QUARANTINE_HOLD_FALLBACK"));
    CHECK(listed(m).empty());
  }
  SECTION("over max_message_bytes") {
    Mode m;
    Setup s{store_mode};
    s.max_bytes = 1024;
    Sent r = send_one(quarantine_snapshot(m, s), std::string(2000, 'x') + "\r\n");
    CHECK(r.out.quarantine_mode == core::QuarantineMode::Hold);
    CHECK(r.has("QUARANTINE_HOLD_FALLBACK"));
    CHECK(listed(m).empty());
  }
  SECTION("no queue id: postern scan stores nothing") {
    Mode m;
    Sent r = send_one(quarantine_snapshot(m, {store_mode}), "x\r\n", {}, "");
    CHECK(r.out.quarantine_mode == core::QuarantineMode::Hold);
    CHECK(r.has("QUARANTINE_HOLD_FALLBACK"));
    CHECK(listed(m).empty());
  }
}

TEST_CASE("a store that cannot write tempfails the message, whatever on_error says") {
  const std::string store_mode = "[quarantine]\nmode = \"store\"\n";
  REQUIRE(::geteuid() == 0);  // the rows mount file systems
  struct Row {
    const char* what;
    std::optional<core::Action> on_error;
  };
  for (const auto& row : std::vector<Row>{{"default on_error", std::nullopt},
                                          {"on_error = accept", core::Action::Accept},
                                          {"on_error = quarantine", core::Action::Quarantine}}) {
    INFO(row.what);
    Setup s{store_mode};
    s.max_bytes = 8 << 20;
    if (row.on_error) s.cfg.on_error = *row.on_error;
    SECTION(std::string("read-only store directory, ") + row.what) {
      Mode m;
      TestMount ro("-t tmpfs -o size=1M,ro tmpfs", m.dir);
      REQUIRE(ro.ok());
      Sent r = send_one(quarantine_snapshot(m, s), "x\r\n");
      CHECK(r.out.verdict.action == core::Action::Tempfail);
      CHECK(r.out.verdict.reply.code == "451");
      CHECK_FALSE(r.out.stored);
      CHECK(r.has("POSTERN_STAGE_ERROR"));
      CHECK(listed(m).empty());
    }
    SECTION(std::string("disk full (2 MB ext4 on a loop device), ") + row.what) {
      Mode m;
      const std::string img = m.tmp.str() + "/small.img";
      REQUIRE(
          std::system(fmt::format("truncate -s 2M {0} && mkfs.ext4 -q -F {0} >/dev/null 2>&1", img)
                          .c_str()) == 0);
      TestMount full("-o loop " + img, m.dir);
      REQUIRE(full.ok());
      Sent r = send_one(quarantine_snapshot(m, s), std::string(3 << 20, 'y') + "\r\n");
      CHECK(r.out.verdict.action == core::Action::Tempfail);
      CHECK_FALSE(r.out.stored);
      CHECK(listed(m).empty());
      // Nothing half-written is left behind.
      size_t files = 0;
      for (const auto& f : std::filesystem::recursive_directory_iterator(m.dir))
        if (f.is_regular_file()) ++files;
      CHECK(files == 0);
    }
    SECTION(std::string("state store unavailable, ") + row.what) {
      auto down = state::RedisStore::open(state::RedisOptions{
          .url = "tcp://127.0.0.1:1/0", .timeout = std::chrono::milliseconds(200)});
      REQUIRE(down);
      Mode m(*down);
      Sent r = send_one(quarantine_snapshot(m, s), "x\r\n");
      CHECK(r.out.verdict.action == core::Action::Tempfail);
      CHECK_FALSE(r.out.stored);
    }
  }
}

TEST_CASE("a valid release header caps the verdict at tag; a forged one does nothing") {
  const std::string key(32, 'r');
  const std::string body = "Pay the invoice.\r\n";
  const int64_t now = state::now_seconds();
  const std::string digest = quarantine::body_digest(body);
  auto header = [&](std::vector<std::string> rcpts, std::string b, int64_t t) {
    return quarantine::release_header_value(key,
                                            {"RelEaSe0123abcd", t, std::move(b), std::move(rcpts)});
  };
  struct Row {
    const char* what;
    std::string value;
    core::Action action;
    const char* symbol;
  };
  const std::vector<Row> rows{
      {"valid", header({"bob@feas.test"}, digest, now), core::Action::Tag, "QUARANTINE_RELEASED"},
      {"for another message", header({"bob@feas.test"}, quarantine::body_digest("other\r\n"), now),
       core::Action::Quarantine, "QUARANTINE_RELEASE_FORGED"},
      {"for another recipient", header({"carol@feas.test"}, digest, now), core::Action::Quarantine,
       "QUARANTINE_RELEASE_FORGED"},
      {"stale", header({"bob@feas.test"}, digest, now - 7200), core::Action::Quarantine,
       "QUARANTINE_RELEASE_FORGED"},
      {"garbage", "v=1; id=x; t=1; mac=00", core::Action::Quarantine, "QUARANTINE_RELEASE_FORGED"},
  };
  for (const auto& row : rows) {
    INFO(row.what);
    Mode m;
    Setup s{"[quarantine]\nmode = \"store\"\n"};
    s.release_key = key;
    Sent r = send_one(quarantine_snapshot(m, s), body, {{"X-Postern-Release", row.value}});
    CHECK(r.out.verdict.action == row.action);
    CHECK(r.has(row.symbol));
    CHECK(listed(m).size() == (row.action == core::Action::Quarantine ? 1u : 0u));
    // The header never leaves: removed with every X-Postern-* field.
    bool removed = std::any_of(
        r.out.changed.begin(), r.out.changed.end(),
        [](const core::HeaderChange& c) { return c.name == "X-Postern-Release" && !c.value; });
    CHECK(removed);
  }
}
