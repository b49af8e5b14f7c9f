// The external sandbox against a real c-icap in front of a real clamd
// (icap_server.hpp): verdicts and their cache, the durable record of a held
// message, and release passes with c-icap stopped, then started; the [sandbox]
// config's errors. The release and delete commands are a shell line that
// appends to a log, as postsuper would act on the queue.
#include "attach/sandbox.hpp"

#include <sys/stat.h>

#include <catch2/catch.hpp>

#include <fstream>
#include <sstream>

#include "attach/icap_server.hpp"
#include "core/digest.hpp"
#include "policy/config.hpp"
#include "scan/registry.hpp"
#include "support/files.hpp"
#include "support/temp_dir.hpp"

using namespace postern;
using namespace postern::attach;
using namespace std::chrono_literals;
namespace fs = std::filesystem;
using Clock = std::chrono::system_clock;

namespace {

using postern::test::slurp;

struct Fixture {
  test::TempDir dir;
  std::string log = (dir.path() / "commands.log").string();
  SandboxSettings settings() const {
    SandboxSettings s;
    s.icap.port = test::icap_server().port();
    s.icap.service = "avscan";
    s.icap.connect_timeout = 2s;
    s.state_dir = (dir.path() / "state").string();
    s.inline_wait = 5s;
    s.deadline = 20s;
    s.release_command = {"/bin/sh", "-c", "echo release $0 >> " + log, "{id}"};
    s.delete_command = {"/bin/sh", "-c", "echo delete $0 >> " + log, "{id}"};
    return s;
  }
  std::shared_ptr<Sandbox> make(const SandboxSettings& s) const {
    auto sb = Sandbox::make(s);
    REQUIRE(sb);
    return *sb;
  }
};

// A record held a minute ago (past the pass's settling time), for one file.
PendingRecord record(std::string qid, const std::string& sha, std::string name,
                     std::chrono::seconds ago = 60s) {
  return {std::move(qid),
          "scan-1",
          std::chrono::duration_cast<std::chrono::seconds>((Clock::now() - ago).time_since_epoch())
              .count(),
          {{sha, std::move(name)}}};
}

std::vector<Sandbox::HeldFile> held(const std::string& sha, const std::string& name,
                                    const std::string& data) {
  return {{{sha, name}, std::make_shared<const std::string>(data)}};
}

}  // namespace

TEST_CASE("the sandbox's verdicts come from c-icap and are cached by SHA-256") {
  if (!test::icap_server().running()) {
    WARN("c-icap or clamd did not start (scripts/bootstrap installs them)");
    return;
  }
  Fixture fx;
  auto sb = fx.make(fx.settings());
  const std::string clean = "a quarterly report, nothing else";
  const std::string bad_sha = core::sha256_hex(test::kEicar), ok_sha = core::sha256_hex(clean);

  SandboxVerdict bad = sb->verdict(bad_sha, test::kEicar, "invoice.doc");
  CHECK(bad.kind == SandboxVerdict::Kind::Malicious);
  CHECK(bad.detail.find("Postern.Test.Eicar") != std::string::npos);
  CHECK_FALSE(bad.cached);
  CHECK(sb->verdict(ok_sha, clean, "report.pdf").kind == SandboxVerdict::Kind::Clean);

  // With c-icap down, the cache answers for what it knows and nothing else.
  test::icap_server().stop();
  SandboxVerdict again = sb->verdict(bad_sha, test::kEicar, "other-name.doc");
  CHECK(again.kind == SandboxVerdict::Kind::Malicious);
  CHECK(again.cached);
  CHECK(sb->verdict(ok_sha, clean, "report.pdf").cached);
  const std::string unseen = "a file c-icap never saw";
  SandboxVerdict none = sb->verdict(core::sha256_hex(unseen), unseen, "x.pdf");
  CHECK(none.kind == SandboxVerdict::Kind::Unanswered);
  CHECK_FALSE(none.detail.empty());

  // A clean verdict past its TTL is asked again.
  SandboxSettings s = fx.settings();
  s.clean_ttl = 0s;
  auto strict = fx.make(s);
  CHECK_FALSE(strict->cached(ok_sha, Clock::now()));
  CHECK(strict->cached(bad_sha, Clock::now()));
  test::icap_server().start();
  REQUIRE(test::icap_server().running());
}

TEST_CASE("a held message is released once c-icap, stopped when it came, answers clean") {
  if (!test::icap_server().running()) {
    WARN("c-icap or clamd did not start");
    return;
  }
  Fixture fx;
  auto sb = fx.make(fx.settings());
  const std::string doc = "a contract draft sent by a stranger";
  const std::string sha = core::sha256_hex(doc);

  test::icap_server().stop();
  REQUIRE(sb->verdict(sha, doc, "contract.docx").kind == SandboxVerdict::Kind::Unanswered);
  REQUIRE_FALSE(
      sb->hold(record("4XyZ12abC", sha, "contract.docx"), held(sha, "contract.docx", doc)));
  // The record and the file's copy are on disk: a new process (a restarted daemon) finds them.
  auto reopened = fx.make(fx.settings());
  auto pending = reopened->pending();
  REQUIRE(pending.size() == 1);
  CHECK(pending[0].queue_id == "4XyZ12abC");
  CHECK(pending[0].scan_id == "scan-1");
  REQUIRE(pending[0].files.size() == 1);
  CHECK(pending[0].files[0].sha256 == sha);
  CHECK(fs::exists(fs::path(fx.settings().state_dir) / "files" / sha));

  PassReport down = reopened->release_pass(Clock::now());
  CHECK(down.done.empty());
  CHECK(down.waiting == 1);
  CHECK_FALSE(fs::exists(fx.log));

  test::icap_server().start();
  REQUIRE(test::icap_server().running());
  PassReport up = reopened->release_pass(Clock::now());
  REQUIRE(up.done.size() == 1);
  CHECK(up.done[0].end == HoldEnd::Release);
  CHECK(up.done[0].why == "clean");
  CHECK(slurp(fx.log) == "release 4XyZ12abC\n");
  CHECK(reopened->pending().empty());
  CHECK(reopened->cached(sha, Clock::now()));
  // Its copy goes once it is old and no record names it.
  auto later = reopened->release_pass(Clock::now() + 11min);
  CHECK(later.done.empty());
  CHECK_FALSE(fs::exists(fs::path(fx.settings().state_dir) / "files" / sha));
}

TEST_CASE(
    "a release pass ends records by verdict, timeout and policy, and retries failed commands") {
  if (!test::icap_server().running()) {
    WARN("c-icap or clamd did not start");
    return;
  }
  const std::string bad_sha = core::sha256_hex(test::kEicar);
  const std::string quiet = "nobody will ever answer about this one";
  const std::string quiet_sha = core::sha256_hex(quiet);
  struct Row {
    std::string name;
    bool icap_up;
    std::string data;
    std::chrono::seconds ago;
    HoldEnd on_malicious, on_timeout;
    std::string log;  // what the commands did
    bool ended;
    HoldEnd end;
  };
  for (const auto& r : std::vector<Row>{
           {"malicious: deleted", true, test::kEicar, 60s, HoldEnd::Delete, HoldEnd::Hold,
            "delete Q1\n", true, HoldEnd::Delete},
           {"malicious, kept for an operator", true, test::kEicar, 60s, HoldEnd::Hold,
            HoldEnd::Hold, "", true, HoldEnd::Hold},
           {"no answer within the hold timeout: released", false, quiet, 7200s, HoldEnd::Delete,
            HoldEnd::Release, "release Q1\n", true, HoldEnd::Release},
           {"no answer within the hold timeout: left held", false, quiet, 7200s, HoldEnd::Delete,
            HoldEnd::Hold, "", true, HoldEnd::Hold},
           {"no answer yet: waits", false, quiet, 600s, HoldEnd::Delete, HoldEnd::Release, "",
            false, HoldEnd::Hold},
           {"held seconds ago: the MTA may still be queueing it", true, test::kEicar, 2s,
            HoldEnd::Delete, HoldEnd::Hold, "", false, HoldEnd::Hold},
       }) {
    INFO(r.name);
    Fixture fx;
    SandboxSettings s = fx.settings();
    s.on_malicious = r.on_malicious;
    s.on_timeout = r.on_timeout;
    s.hold_timeout = 3600s;
    s.clean_ttl = s.malicious_ttl = 0s;  // every pass asks c-icap
    auto sb = fx.make(s);
    const std::string sha = core::sha256_hex(r.data);
    REQUIRE_FALSE(sb->hold(record("Q1", sha, "f.doc", r.ago), held(sha, "f.doc", r.data)));
    if (!r.icap_up) test::icap_server().stop();
    PassReport rep = sb->release_pass(Clock::now());
    if (!r.icap_up) test::icap_server().start();
    REQUIRE(test::icap_server().running());
    CHECK(rep.errors.empty());
    CHECK(rep.done.size() == (r.ended ? 1u : 0u));
    if (r.ended && !rep.done.empty()) CHECK(rep.done[0].end == r.end);
    CHECK(sb->pending().size() == (r.ended ? 0u : 1u));
    CHECK((fs::exists(fx.log) ? slurp(fx.log) : std::string()) == r.log);
  }

  // A command that fails keeps the record for the next pass.
  Fixture fx;
  SandboxSettings s = fx.settings();
  s.delete_command = {"/bin/sh", "-c", "echo queue busy >&2; exit 3", "{id}"};
  auto sb = fx.make(s);
  REQUIRE_FALSE(sb->hold(record("Q2", bad_sha, "f.doc"), held(bad_sha, "f.doc", test::kEicar)));
  PassReport failed = sb->release_pass(Clock::now());
  CHECK(failed.done.empty());
  REQUIRE(failed.errors.size() == 1);
  CHECK(failed.errors[0].find("exit 3") != std::string::npos);
  CHECK(failed.errors[0].find("queue busy") != std::string::npos);
  CHECK(sb->pending().size() == 1);
}

TEST_CASE("a held message needs a queue id that is only letters and digits") {
  Fixture fx;
  SandboxSettings s;
  s.state_dir = (fx.dir.path() / "state").string();
  auto sb = fx.make(s);
  const std::string sha = core::sha256_hex("x");
  for (std::string bad : std::vector<std::string>{"", "../../etc/passwd", "-d", "ALL ",
                                                  "4XyZ12abC\n", std::string(65, 'A')}) {
    INFO(bad);
    CHECK(sb->hold(record(bad, sha, "x"), held(sha, "x", "x")));
  }
  CHECK(sb->pending().empty());
  CHECK(valid_queue_id("4XyZ12abC"));
  CHECK(valid_queue_id("3F1C2A1B0C"));
}

TEST_CASE("[sandbox] config: values, and errors at file:line:column") {
  test::TempDir d;
  auto c = scan::load_config(d.write("ok.toml",
                                     "[sandbox]\nurl = \"icap://127.0.0.1:11344/sandbox\"\n"
                                     "state_dir = \"state\"\ninline_wait = 0\nhold_timeout = 600\n"
                                     "on_timeout = \"release\"\non_malicious = \"hold\"\n"
                                     "release_command = [\"/usr/sbin/postsuper\", \"-c\", "
                                     "\"/etc/postfix-out\", \"-H\", \"{id}\"]\n"));
  INFO((c ? std::string() : policy::to_string(c.error())));
  REQUIRE(c);
  const auto& s = c->section<SandboxSettings>("sandbox");
  CHECK(s.icap.port == 11344);
  CHECK(s.icap.service == "sandbox");
  CHECK(s.state_dir == (d.path() / "state").string());
  CHECK(s.inline_wait == 0s);
  CHECK(s.hold_timeout == 600s);
  CHECK(s.on_timeout == HoldEnd::Release);
  CHECK(s.on_malicious == HoldEnd::Hold);
  CHECK(s.release_command.size() == 5);

  struct Row {
    std::string text, error;
  };
  for (const auto& r : std::vector<Row>{
           {"[sandbox]\nstate_dir = \"x\"\n", "needs 'url'"},
           {"[sandbox]\nurl = \"http://x/y\"\n", "expected icap://"},
           {"[sandbox]\nurl = \"icap://x/y\"\non_malicious = \"release\"\n",
            "'on_malicious': expected \"delete\" or \"hold\""},
           {"[sandbox]\nurl = \"icap://x/y\"\nrelease_command = [\"postsuper\", \"{id}\"]\n",
            "'release_command': expected an absolute program"},
           {"[sandbox]\nurl = \"icap://x/y\"\ndelete_command = [\"/usr/sbin/postsuper\", \"-d\"]\n",
            "'delete_command': expected an absolute program"},
           {"[sandbox]\nurl = \"icap://x/y\"\ninline_wait = 500\n", "inline_wait"},
           {"[sandbox]\nurl = \"icap://x/y\"\nsandbox_url = 1\n", "sandbox_url"},
       }) {
    INFO(r.text);
    auto bad = scan::load_config(d.write("bad.toml", r.text));
    REQUIRE_FALSE(bad);
    std::string all = policy::to_string(bad.error());
    CHECK(all.find(r.error) != std::string::npos);
    CHECK(all.find("bad.toml:") != std::string::npos);
  }
}
