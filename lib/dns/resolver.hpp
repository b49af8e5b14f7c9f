// Resolver: the one DNS resolver every stage uses (libunbound).
//
// Contract: `Resolver::create(options)` builds an unbound context: the system
// resolver (/etc/resolv.conf) by default, or the configured forwarders; DNSSEC
// validation when a trust anchor file is given (Answer::secure / bogus);
// local zone data from a file (unbound syntax: resource records, plus
// `local-zone: "name." TYPE` lines; a name inside a `static` local zone that
// has no data is NXDOMAIN without ever reaching the network) — admins use it
// for overrides, the tests use it instead of the internet; unbound's cache.
// Queries are asynchronous: `query()` returns at once with a future, so the
// SPF, DKIM, DMARC and DNSBL lookups of one message run at the same time; one
// dispatcher thread delivers results and enforces the per-query timeout (a
// late query is cancelled and answers Status::Timeout). `Budget` bounds the
// number of queries one message may make (Status::Budget past it). Resolver is
// thread-safe and shared by every snapshot built on it; a Budget belongs to one
// transaction.
//
// Lifecycle (the "dns.resolver" service, dns/registration.cpp, scan/services.hpp):
// created from [dns] (dns/config.hpp) when the daemon or `postern scan` starts;
// none without a [dns] section. At a reload (SIGHUP) it is rebuilt only when the
// [dns] section was added or removed, a resolver setting or the local data or
// trust anchor file changed (dns::resolver_changed), and the new one is swapped
// in with the snapshot built on it; otherwise this one is kept, with its cache
// and its dispatcher thread. A snapshot (and so a message in flight) keeps the
// resolver it was built on until it is released.
#pragma once

#include <chrono>
#include <cstdint>
#include <future>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/expected.hpp"

namespace postern::dns {

enum class Type : uint16_t { A = 1, NS = 2, CNAME = 5, PTR = 12, MX = 15, TXT = 16, AAAA = 28 };

enum class Status {
  Ok,        // records present
  NoData,    // the name exists, no records of this type
  NxDomain,  // the name does not exist
  ServFail,  // the server failed (or DNSSEC validation failed: bogus)
  Timeout,   // no answer within the timeout
  Budget,    // the message's query budget is spent: not asked
  Error,     // anything else (bad name, resolver error)
};

std::string_view to_string(Status s);

struct Answer {
  Status status = Status::Error;
  // A/AAAA: addresses as text; TXT: each record's strings joined; MX: "PREF host";
  // PTR, CNAME, NS: the name (no trailing dot).
  std::vector<std::string> records;
  bool secure = false;  // DNSSEC-validated
  bool bogus = false;   // DNSSEC validation failed
  std::string detail;   // why (error text, why_bogus)
  uint32_t ttl = 0;
};

struct Options {
  std::vector<std::string> forwarders;  // "IP" or "IP@PORT"; empty = /etc/resolv.conf
  std::string trust_anchor_file;        // e.g. /usr/share/dns/root.key; "" = no DNSSEC validation
  std::string local_data_file;          // unbound-style records and local-zone lines
  std::vector<std::string> local_data;  // the same, inline (tests)
  std::chrono::milliseconds timeout{5000};
};

class Resolver {
 public:
  static postern::expected<std::shared_ptr<Resolver>, std::string> create(const Options& o);
  ~Resolver();
  Resolver(const Resolver&) = delete;
  Resolver& operator=(const Resolver&) = delete;

  // Starts a query; the future is always satisfied (at the latest after the timeout).
  std::shared_future<Answer> query(std::string_view name, Type type);
  // query(...).get()
  Answer resolve(std::string_view name, Type type) { return query(name, type).get(); }

  struct Impl;

 private:
  explicit Resolver(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// The queries one message may make.
class Budget {
 public:
  Budget(std::shared_ptr<Resolver> r, size_t max_queries) : r_(std::move(r)), left_(max_queries) {}
  std::shared_future<Answer> query(std::string_view name, Type type);
  size_t used() const { return used_; }
  bool exhausted() const { return left_ == 0; }

 private:
  std::shared_ptr<Resolver> r_;
  size_t left_;
  size_t used_ = 0;
};

}  // namespace postern::dns
