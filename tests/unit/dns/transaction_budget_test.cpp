// One DNS budget per transaction: every stage of a message (or of a connection) spends the same.
#include <catch2/catch.hpp>

#include "dns/transaction_budget.hpp"

using namespace postern;

TEST_CASE("the stages of one transaction share one budget; another transaction has its own",
          "[dns]") {
  dns::Options o;
  o.local_data = {"local-zone: \"example.\" static", "a.example. A 192.0.2.1"};
  auto r = dns::Resolver::create(o);
  REQUIRE(r);
  core::ConnectionInfo conn;
  core::Transaction tx(conn, core::Direction::Inbound, core::Limits{}, nullptr, "a");
  dns::Budget& first = dns::transaction_budget(tx, *r, 2);
  CHECK(first.query("a.example", dns::Type::A).get().status == dns::Status::Ok);
  dns::Budget& second = dns::transaction_budget(tx, *r, 2);  // a later stage: same budget
  CHECK(&first == &second);
  CHECK(second.query("a.example", dns::Type::A).get().status == dns::Status::Ok);
  CHECK(second.query("a.example", dns::Type::A).get().status == dns::Status::Budget);
  core::Transaction other(conn, core::Direction::Inbound, core::Limits{}, nullptr, "b");
  CHECK(dns::transaction_budget(other, *r, 2).query("a.example", dns::Type::A).get().status ==
        dns::Status::Ok);
}
