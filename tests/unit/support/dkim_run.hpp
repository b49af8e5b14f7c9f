// One message through a scan::Session, for the DKIM sign → verify round trips and the
// other whole-pipeline tests.
//
// Contract: test-only; include after <catch2/catch.hpp>. `run_session` drives a
// Session on `snap` as the milter would (connect, HELO, MAIL `from`, RCPT `rcpt`, each
// header field of `m`, its body, end of message) from `ip` (with `sasl_user` when
// given: outbound) and returns the outcome, the one event and its finding symbols in
// order. `run_message` is run_session with MAIL alice@example.com, RCPT
// bob@example.net, and keeps the DKIM_* findings. Not thread-safe.
#pragma once

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

#include "scan/session.hpp"

namespace postern::test {

struct SessionRun {
  core::Outcome outcome;
  nlohmann::json event;
  std::vector<std::string> symbols;  // every finding's, in order
};

inline SessionRun run_session(const scan::SnapshotPtr& snap, const core::Message& m,
                              const std::string& ip, const std::string& sasl_user,
                              const std::string& from = "alice@example.com",
                              const std::string& rcpt = "bob@example.net") {
  std::vector<nlohmann::json> events;
  SessionRun out;
  {
    scan::Session s([&] { return snap; }, [&](const nlohmann::json& e) { events.push_back(e); });
    s.connection().client_address = ip;
    s.connection().sasl_user = sasl_user;
    s.connect();
    s.helo("client.example.net");
    s.mail_from("<" + from + ">");
    s.rcpt("<" + rcpt + ">");
    for (const auto& h : m.headers()) {
      std::string_view v = m.raw_value(h);
      if (!v.empty() && v.front() == ' ') v.remove_prefix(1);
      if (v.ends_with("\r\n")) v.remove_suffix(2);
      s.header(h.name, v);
    }
    s.body(m.body());
    out.outcome = s.end_of_message("Q1");
  }
  REQUIRE(events.size() == 1);
  out.event = events[0];
  for (const auto& f : events[0]["postern"]["findings"])
    out.symbols.push_back(f["symbol"].get<std::string>());
  return out;
}

struct DkimRun {
  core::Outcome outcome;
  std::vector<std::string> dkim_findings;  // DKIM_* symbols, in order
};

inline DkimRun run_message(const scan::SnapshotPtr& snap, const core::Message& m,
                           const std::string& ip, const std::string& sasl_user) {
  SessionRun r = run_session(snap, m, ip, sasl_user);
  DkimRun out;
  out.outcome = std::move(r.outcome);
  for (auto& sym : r.symbols)
    if (sym.rfind("DKIM_", 0) == 0) out.dkim_findings.push_back(std::move(sym));
  return out;
}

}  // namespace postern::test
