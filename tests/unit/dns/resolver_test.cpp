// The resolver against local zone data and a silent forwarder: real libunbound, no network.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>
#include <catch2/catch.hpp>

#include <algorithm>
#include <chrono>

#include "dns/resolver.hpp"

using namespace postern::dns;

namespace {

std::shared_ptr<Resolver> local_resolver() {
  Options o;
  o.forwarders = {"127.0.0.1@9"};  // never used: every name below is in a static local zone
  o.timeout = std::chrono::milliseconds(2000);
  o.local_data = {
      "local-zone: \"example.test.\" static",
      "mx.example.test. 300 IN A 192.0.2.25",
      "mx.example.test. 300 IN AAAA 2001:db8::25",
      "example.test. 300 IN MX 10 mx.example.test.",
      "example.test. 300 IN TXT \"v=spf1 ip4:192.0.2.0/24 \" \"-all\"",
      "_dmarc.example.test. 300 IN TXT \"v=DMARC1; p=reject\"",
      "25.2.0.192.in-addr.arpa. 300 IN PTR mx.example.test.",
      "local-zone: \"2.0.192.in-addr.arpa.\" static",
  };
  auto r = Resolver::create(o);
  REQUIRE(r.has_value());
  return *r;
}

}  // namespace

TEST_CASE("local zone data answers every record type a stage asks for", "[dns]") {
  auto r = local_resolver();
  struct Row {
    const char* name;
    Type type;
    Status status;
    std::vector<std::string> records;
  };
  const Row rows[] = {
      {"mx.example.test", Type::A, Status::Ok, {"192.0.2.25"}},
      {"mx.example.test", Type::AAAA, Status::Ok, {"2001:db8::25"}},
      {"example.test", Type::MX, Status::Ok, {"10 mx.example.test"}},
      {"example.test", Type::TXT, Status::Ok, {"v=spf1 ip4:192.0.2.0/24 -all"}},  // strings joined
      {"_dmarc.example.test", Type::TXT, Status::Ok, {"v=DMARC1; p=reject"}},
      {"25.2.0.192.in-addr.arpa", Type::PTR, Status::Ok, {"mx.example.test"}},
      {"mx.example.test", Type::TXT, Status::NoData, {}},
      {"missing.example.test", Type::A, Status::NxDomain, {}},
  };
  for (const auto& row : rows) {
    CAPTURE(row.name, static_cast<int>(row.type));
    Answer a = r->resolve(row.name, row.type);
    CHECK(a.status == row.status);
    CHECK(a.records == row.records);
    CHECK_FALSE(a.secure);  // no trust anchor configured
  }
}

TEST_CASE("a name without data in a static local zone is NXDOMAIN without asking the forwarder",
          "[dns]") {
  Options o;
  o.forwarders = {"127.0.0.1@9"};  // the discard port: a query sent there would time out
  o.timeout = std::chrono::milliseconds(500);
  o.local_data = {"local-zone: \"corp.example.\" static", "www.corp.example. 300 IN A 192.0.2.80"};
  auto r = Resolver::create(o);
  REQUIRE(r.has_value());
  CHECK((*r)->resolve("www.corp.example", Type::A).status == Status::Ok);
  CHECK((*r)->resolve("www.corp.example", Type::TXT).status == Status::NoData);
  CHECK((*r)->resolve("nothing.corp.example", Type::TXT).status == Status::NxDomain);
}

TEST_CASE("many queries of one message run at the same time and all get answers", "[dns]") {
  auto r = local_resolver();
  std::vector<std::shared_future<Answer>> fs;
  for (int i = 0; i < 200; ++i)
    fs.push_back(
        r->query(i % 2 ? "mx.example.test" : "nothing.example.test", i % 2 ? Type::A : Type::TXT));
  for (size_t i = 0; i < fs.size(); ++i)
    CHECK(fs[i].get().status == (i % 2 ? Status::Ok : Status::NxDomain));
}

TEST_CASE("a server that never answers gives a timeout, not a hang", "[dns]") {
  // A UDP socket that receives queries and never replies.
  int fd = ::socket(AF_INET, SOCK_DGRAM, 0);
  REQUIRE(fd >= 0);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) == 0);
  socklen_t len = sizeof sa;
  REQUIRE(::getsockname(fd, reinterpret_cast<sockaddr*>(&sa), &len) == 0);
  Options o;
  o.forwarders = {"127.0.0.1@" + std::to_string(ntohs(sa.sin_port))};
  o.timeout = std::chrono::milliseconds(300);
  auto r = Resolver::create(o);
  REQUIRE(r.has_value());
  auto t0 = std::chrono::steady_clock::now();
  Answer a = (*r)->resolve("silent.example.org", Type::A);
  auto waited = std::chrono::steady_clock::now() - t0;
  CHECK(a.status == Status::Timeout);
  CHECK(waited < std::chrono::seconds(5));
  ::close(fd);
}

TEST_CASE("a message's query budget is enforced", "[dns]") {
  Budget b(local_resolver(), 2);
  CHECK(b.query("mx.example.test", Type::A).get().status == Status::Ok);
  CHECK(b.query("mx.example.test", Type::AAAA).get().status == Status::Ok);
  CHECK(b.exhausted());
  CHECK(b.query("example.test", Type::MX).get().status == Status::Budget);
  CHECK(b.used() == 2);
}

TEST_CASE("bad local data and bad names are errors, never crashes", "[dns]") {
  Options o;
  o.forwarders = {"127.0.0.1@9"};
  o.local_data = {"this is not a record"};
  auto bad = Resolver::create(o);
  REQUIRE_FALSE(bad.has_value());
  CHECK(bad.error().find("local data line 1") != std::string::npos);
  auto r = local_resolver();
  CHECK(r->resolve("", Type::A).status == Status::Error);
  CHECK(r->resolve(std::string(300, 'a'), Type::A).status == Status::Error);
}
