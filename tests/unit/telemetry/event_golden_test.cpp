// The event of corpus messages against a recorded copy: the event's key names and
// values are a public interface (SIEM dashboards), so a refactoring of who writes
// which part (telemetry/event.cpp, the folders' event writers) must leave them
// byte-identical. Only @timestamp, the scan id (postern.scan_id and in
// X-Postern-Verdict) and the stage times vary.
// The session is driven as `postern scan --json --client-ip 192.0.2.77 --helo
// client.example.net` drives it, so the recorded file is that command's output
// (run in the corpus directory) with those fields taken out; POSTERN_WRITE_GOLDEN=1
// rewrites it from this test (review the diff).
#include <catch2/catch.hpp>

#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "core/message.hpp"
#include "scan/envelope_guess.hpp"
#include "scan/session.hpp"
#include "scan/snapshot.hpp"
#include "support/temp_dir.hpp"
#include "telemetry/event.hpp"

using namespace postern;
using nlohmann::json;

namespace {

const char* const kGolden = POSTERN_SOURCE_DIR "/tests/data/events/corpus.jsonl";

// Messages with HTML, links, attachments, DKIM signatures and forged headers.
const std::vector<std::string> kMessages = {
    "ham/spamassassin-hard/sa-hard-00000.eml", "ham/spamassassin-hard/sa-hard-00001.eml",
    "ham/spamassassin-hard/sa-hard-00002.eml", "phish/nazario/nazario0-00000.eml",
    "phish/nazario/nazario0-00001.eml",        "phish/nazario/nazario0-00002.eml",
};

std::string read(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// The event with what varies from run to run taken out.
json stable(json e) {
  std::string id = e["postern"]["scan_id"].get<std::string>();
  e.erase("@timestamp");
  e["postern"].erase("scan_id");
  for (auto& h : e["postern"]["headers_added"]) {  // X-Postern-Verdict: ... id=<scan_id>
    std::string v = h["value"].get<std::string>();
    if (auto at = v.find("id=" + id); at != std::string::npos)
      v.replace(at + 3, id.size(), "SCAN_ID");
    h["value"] = v;
  }
  for (auto& s : e["postern"]["stages"]) s.erase("ms");
  return e;
}

// As tools/scan_command.cpp drives it.
json scan_one(const scan::SnapshotPtr& snap, const std::string& raw) {
  std::vector<json> events;
  scan::GuessedEnvelope guess = scan::guess_envelope(raw);
  {
    scan::Session s([&] { return snap; }, [&](const json& e) { events.push_back(e); });
    s.connection().client_address = "192.0.2.77";
    s.connection().client_name = "unknown";
    REQUIRE(s.connect().action == core::Action::Accept);
    REQUIRE(s.helo("client.example.net").action == core::Action::Accept);
    s.mail_from(guess.from);
    bool accepted = false;
    for (const auto& r : guess.rcpts)
      if (s.rcpt(r).action == core::Action::Accept) accepted = true;
    if (accepted) {
      core::split_raw_message(
          raw, [&](std::string_view n, std::string_view v) { s.header(n, v); },
          [&](std::string_view b) { s.body(b); });
      s.end_of_message();
    } else {
      s.abort();
    }
  }
  REQUIRE(events.size() == 1);
  return stable(events[0]);
}

}  // namespace

TEST_CASE("the event of corpus messages is the recorded one, key for key", "[event]") {
  test::TempDir d;
  // Every name is answered locally (NXDOMAIN but for the records below): no network.
  std::string zone = d.write("local.zone",
                             "local-zone: \".\" static\n"
                             "local-zone: \"example.com.\" static\n"
                             "example.com. IN TXT \"v=spf1 ip4:192.0.2.0/24 -all\"\n"
                             "_dmarc.example.com. IN TXT \"v=DMARC1; p=reject\"\n");
  // The same event on every machine: no state store (no sender history from earlier runs)
  // and no classifier model (an installed package's model would otherwise be read).
  d.write("local-policies/99-golden.toml", "[classifier]\nenabled = false\n");
  std::string cfg =
      d.write("postern.toml", "[policy]\ndirs = [\"" POSTERN_SOURCE_DIR "/policies\", \"" +
                                  (d.path() / "local-policies").string() +
                                  "\"]\n[state]\npath = \"\"\n[scan]\nauthserv_id = \"mx.test\"\n"
                                  "[dns]\nforwarders = [\"127.0.0.1@9\"]\n"
                                  "local_data = \"" +
                                  zone + "\"\ntimeout_ms = 300\n");
  auto snap = scan::load_snapshot(cfg);
  INFO((snap ? std::string() : policy::to_string(snap.error())));
  REQUIRE(snap);
  std::vector<json> got;
  for (const auto& m : kMessages) {
    std::string raw = read(std::string(POSTERN_CORPUS_DIR) + "/" + m);
    REQUIRE_FALSE(raw.empty());
    json e = scan_one(*snap, raw);
    e["postern"]["file"] = m;
    got.push_back(std::move(e));
  }
  if (std::getenv("POSTERN_WRITE_GOLDEN")) {
    std::ofstream out(kGolden, std::ios::binary);
    for (const auto& e : got) out << telemetry::to_line(e) << "\n";
  }
  // Message by message, so a failure shows the one whose event changed.
  std::istringstream want(read(kGolden));
  size_t i = 0;
  for (std::string line; std::getline(want, line); ++i) {
    REQUIRE(i < got.size());
    CAPTURE(kMessages[i]);
    json w = json::parse(line);
    CHECK(got[i].dump(1) == w.dump(1));
  }
  CHECK(i == got.size());
}
