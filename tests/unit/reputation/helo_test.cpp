// Tests for reputation::HeloStage: HELO syntax, our own names and addresses, the HELO name
// against the client address through lib/dns local data.
#include "reputation/helo.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <string>
#include <vector>

using namespace postern;
using Symbols = std::vector<std::string>;

namespace {

std::shared_ptr<dns::Resolver> resolver() {
  dns::Options o;
  o.forwarders = {"127.0.0.1@9"};  // never asked: the zone is static
  o.timeout = std::chrono::milliseconds(500);
  o.local_data = {
      "local-zone: \"helo.example.\" static",     "good.helo.example. A 192.0.2.20",
      "v6.helo.example. AAAA 2001:db8::20",       "both.helo.example. A 198.51.100.1",
      "both.helo.example. AAAA 2001:db8::21",     "other.helo.example. A 198.51.100.1",
      "txtonly.helo.example. TXT \"no address\"",
  };
  auto r = dns::Resolver::create(o);
  REQUIRE(r);
  return *r;
}

reputation::HeloStage stage() {
  return reputation::HeloStage(
      resolver(), 10,
      {{"mx.ours.example", "host.ours.example"},
       {*core::IpAddress::parse("203.0.113.5"), *core::IpAddress::parse("2001:db8:5::5")}});
}

}  // namespace

TEST_CASE("HELO checks: bare IPs, non-FQDNs, our names and addresses, rDNS mismatch", "[helo]") {
  auto st = stage();
  struct Row {
    std::string client, client_name, helo;
    Symbols want;
  };
  const std::vector<Row> rows = {
      // fine
      {"192.0.2.20", "unknown", "good.helo.example", {}},
      {"192.0.2.20", "unknown", "GOOD.helo.example.", {}},
      {"192.0.2.20", "unknown", "[192.0.2.20]", {}},
      {"2001:db8::20", "unknown", "[IPv6:2001:db8::20]", {}},
      {"2001:db8::20", "unknown", "v6.helo.example", {}},
      {"2001:db8::21", "unknown", "both.helo.example", {}},
      {"198.51.100.1", "both.helo.example", "both.helo.example", {}},  // = its rDNS name
      {"192.0.2.30", "other.helo.example", "Other.Helo.Example", {}},  // rDNS, any case
      // syntax
      {"192.0.2.20", "unknown", "192.0.2.20", {"HELO_BARE_IP"}},
      {"2001:db8::20", "unknown", "2001:db8::20", {"HELO_BARE_IP"}},
      {"192.0.2.20", "unknown", "localhost", {"HELO_NOT_FQDN"}},
      {"192.0.2.20", "unknown", "WIN-PC", {"HELO_NOT_FQDN"}},
      {"192.0.2.20", "unknown", "bad_name.helo.example", {"HELO_NOT_FQDN"}},
      {"192.0.2.20", "unknown", "-dash.helo.example", {"HELO_NOT_FQDN"}},
      {"192.0.2.20", "unknown", "a..helo.example", {"HELO_NOT_FQDN"}},
      {"192.0.2.20", "unknown", "[not.an.address]", {"HELO_NOT_FQDN"}},
      {"192.0.2.20", "unknown", std::string(300, 'a') + ".example", {"HELO_NOT_FQDN"}},
      {"192.0.2.20", "unknown", "good.helo.example\x01", {"HELO_NOT_FQDN"}},
      // claims to be us
      {"192.0.2.20", "unknown", "mx.ours.example", {"HELO_CLAIMS_US"}},
      {"192.0.2.20", "unknown", "HOST.ours.example.", {"HELO_CLAIMS_US"}},
      {"192.0.2.20", "unknown", "[203.0.113.5]", {"HELO_CLAIMS_US"}},
      {"192.0.2.20", "unknown", "[IPv6:2001:db8:5::5]", {"HELO_CLAIMS_US"}},
      {"192.0.2.20", "unknown", "203.0.113.5", {"HELO_BARE_IP", "HELO_CLAIMS_US"}},
      {"192.0.2.20", "unknown", "mta.example.net", {"HELO_CLAIMS_US"}},  // the MTA's own name
      // the HELO name does not lead to the client
      {"192.0.2.20", "unknown", "other.helo.example", {"HELO_RDNS_MISMATCH"}},
      {"192.0.2.20", "client.example.net", "missing.helo.example", {"HELO_RDNS_MISMATCH"}},
      {"192.0.2.20", "unknown", "txtonly.helo.example", {"HELO_RDNS_MISMATCH"}},
      {"2001:db8::99", "unknown", "v6.helo.example", {"HELO_RDNS_MISMATCH"}},
      // skipped: loopback, unknown client
      {"127.0.0.1", "localhost", "localhost", {}},
      {"::1", "localhost", "1.2.3.4", {}},
      {"", "unknown", "localhost", {}},
  };
  for (const auto& r : rows) {
    CAPTURE(r.client, r.client_name, r.helo);
    core::ConnectionInfo conn;
    conn.client_address = r.client;
    conn.client_name = r.client_name;
    conn.helo = r.helo;
    conn.mta_name = "mta.example.net";
    core::Transaction tx(conn, core::Direction::Inbound, core::Limits{}, nullptr, "id");
    CHECK(st.on_helo(tx).kind == core::Step::Kind::Continue);
    Symbols got;
    for (const auto& f : tx.findings()) got.push_back(f.symbol);
    std::sort(got.begin(), got.end());
    CHECK(got == r.want);
  }
}

TEST_CASE("HELO checks skip outbound clients and name the HELO in the detail", "[helo]") {
  auto st = stage();
  core::ConnectionInfo conn;
  conn.client_address = "192.0.2.20";
  conn.client_name = "unknown";
  conn.helo = "192.0.2.20";
  core::Transaction out(conn, core::Direction::Outbound, core::Limits{}, nullptr, "id");
  st.on_helo(out);
  CHECK(out.findings().empty());

  core::Transaction in(conn, core::Direction::Inbound, core::Limits{}, nullptr, "id");
  st.on_helo(in);
  REQUIRE(in.findings().size() == 1);
  CHECK(in.findings()[0].symbol == "HELO_BARE_IP");
  CHECK(in.findings()[0].score == 1.5);
  CHECK(in.findings()[0].detail == "HELO 192.0.2.20 is an address without brackets");

  conn.helo = "other.helo.example";
  core::Transaction mm(conn, core::Direction::Inbound, core::Limits{}, nullptr, "id");
  st.on_helo(mm);
  REQUIRE(mm.findings().size() == 1);
  CHECK(mm.findings()[0].detail ==
        "HELO other.helo.example is not the client's reverse DNS name (unknown) and has no "
        "address 192.0.2.20");
}

TEST_CASE("the host's own addresses include loopback", "[helo]") {
  auto a = reputation::host_addresses();
  CHECK(std::find(a.begin(), a.end(), *core::IpAddress::parse("127.0.0.1")) != a.end());
}
