// One message through a scan::Session, for the DKIM sign → verify round trips.
//
// Contract: test-only; include after <catch2/catch.hpp>. `run_message` drives a
// Session on `snap` as the milter would (connect, HELO, MAIL alice@example.com,
// RCPT bob@example.net, each header field of `m`, its body, end of message) from
// `ip` (with `sasl_user` when given: outbound) and returns the outcome and the
// DKIM_* findings of the one event, in order. Not thread-safe.
#pragma once

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

#include "scan/session.hpp"

namespace postern::test {

struct DkimRun {
  core::Outcome outcome;
  std::vector<std::string> dkim_findings;  // DKIM_* symbols, in order
};

inline DkimRun run_message(const scan::SnapshotPtr& snap, const core::Message& m,
                           const std::string& ip, const std::string& sasl_user) {
  std::vector<nlohmann::json> events;
  DkimRun out;
  {
    scan::Session s([&] { return snap; }, [&](const nlohmann::json& e) { events.push_back(e); });
    s.connection().client_address = ip;
    s.connection().sasl_user = sasl_user;
    s.connect();
    s.helo("client.example.net");
    s.mail_from("<alice@example.com>");
    s.rcpt("<bob@example.net>");
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
  for (const auto& f : events[0]["postern"]["findings"]) {
    std::string sym = f["symbol"].get<std::string>();
    if (sym.rfind("DKIM_", 0) == 0) out.dkim_findings.push_back(sym);
  }
  return out;
}

}  // namespace postern::test
