// Dnsbl: parallel zone lookups, answer classification, an LRU result cache; the dnsbl stage.
#include "reputation/dnsbl.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <list>
#include <mutex>
#include <optional>
#include <unordered_map>

#include "dns/transaction_budget.hpp"

namespace postern::reputation {
using Clock = std::chrono::steady_clock;
using Kind = DnsblResult::Kind;

std::string reversed_name(const core::IpAddress& a) {
  if (!a.v6) return fmt::format("{}.{}.{}.{}", a.bytes[3], a.bytes[2], a.bytes[1], a.bytes[0]);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(63);
  for (size_t i = 16; i-- > 0;) {
    if (!out.empty()) out.push_back('.');
    out.push_back(kHex[a.bytes[i] & 0x0f]);
    out.push_back('.');
    out.push_back(kHex[a.bytes[i] >> 4]);
  }
  return out;
}

bool is_local_address(const core::IpAddress& a) {
  static const std::vector<core::Cidr> kLocal = [] {
    std::vector<core::Cidr> v;
    for (const char* c :
         {"0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16",
          "172.16.0.0/12", "192.168.0.0/16", "::/128", "::1/128", "fc00::/7", "fe80::/10"})
      v.push_back(*core::Cidr::parse(c));
    return v;
  }();
  return std::any_of(kLocal.begin(), kLocal.end(),
                     [&](const core::Cidr& c) { return c.contains(a); });
}

struct DnsblCache::Impl {
  struct Entry {
    Kind kind = Kind::NotListed;
    std::vector<std::string> codes;
    std::string text, detail;
    Clock::time_point expires;
    std::list<std::string>::iterator lru;
  };
  size_t capacity = 0;
  std::mutex mu;
  std::list<std::string> order;  // most recently used first
  std::unordered_map<std::string, Entry> map;

  bool get(const std::string& key, DnsblResult& r) {
    std::lock_guard lk(mu);
    auto it = map.find(key);
    if (it == map.end()) return false;
    if (it->second.expires <= Clock::now()) {
      order.erase(it->second.lru);
      map.erase(it);
      return false;
    }
    order.splice(order.begin(), order, it->second.lru);
    r.kind = it->second.kind;
    r.codes = it->second.codes;
    r.text = it->second.text;
    r.detail = it->second.detail;
    r.cached = true;
    return true;
  }

  void put(const std::string& key, const DnsblResult& r, uint32_t ttl) {
    if (capacity == 0 || r.kind == Kind::TempError) return;
    auto life =
        std::clamp<std::chrono::seconds>(std::chrono::seconds(ttl), Dnsbl::kMinTtl, Dnsbl::kMaxTtl);
    std::lock_guard lk(mu);
    if (auto it = map.find(key); it != map.end()) {
      order.erase(it->second.lru);
      map.erase(it);
    }
    while (map.size() >= capacity) {
      map.erase(order.back());
      order.pop_back();
    }
    order.push_front(key);
    map.emplace(key, Entry{r.kind, r.codes, r.text, r.detail, Clock::now() + life, order.begin()});
  }
};

DnsblCache::DnsblCache(size_t capacity) : impl_(std::make_unique<Impl>()) {
  impl_->capacity = capacity;
}
DnsblCache::~DnsblCache() = default;
size_t DnsblCache::capacity() const {
  return impl_->capacity;
}
bool DnsblCache::get(const std::string& key, DnsblResult& r) {
  return impl_->get(key, r);
}
void DnsblCache::put(const std::string& key, const DnsblResult& r, uint32_t ttl) {
  impl_->put(key, r, ttl);
}

Dnsbl::Dnsbl(std::vector<policy::DnsblZone> zones, std::shared_ptr<DnsblCache> cache)
    : zones_(std::move(zones)),
      cache_(cache ? std::move(cache) : std::make_shared<DnsblCache>(0)) {}

Dnsbl::~Dnsbl() = default;

namespace {

// The result of a zone's A answer (the TXT comes later, for listings only).
DnsblResult classify(const dns::Answer& a) {
  DnsblResult r;
  switch (a.status) {
    case dns::Status::NxDomain:
    case dns::Status::NoData:
      r.kind = Kind::NotListed;
      return r;
    case dns::Status::Ok:
      break;
    default:
      r.kind = Kind::TempError;
      r.detail = a.detail.empty() ? std::string(dns::to_string(a.status))
                                  : fmt::format("{}: {}", dns::to_string(a.status), a.detail);
      return r;
  }
  std::vector<std::string> errors;
  for (const auto& rec : a.records) {
    auto ip = core::IpAddress::parse(rec);
    bool in_127 = ip && !ip->v6 && ip->bytes[0] == 127;
    bool refused = in_127 && ip->bytes[1] == 255 && ip->bytes[2] == 255;
    if (in_127 && !refused) {
      if (r.codes.size() < Dnsbl::kMaxCodes &&
          std::find(r.codes.begin(), r.codes.end(), rec) == r.codes.end())
        r.codes.push_back(rec);
    } else if (errors.size() < Dnsbl::kMaxCodes) {
      errors.push_back(rec);
    }
  }
  if (!r.codes.empty()) {
    r.kind = Kind::Listed;
  } else {
    r.kind = Kind::Error;
    r.detail = fmt::format(
        "answered {}: not a listing (query refused, public resolver or "
        "not a DNSBL answer)",
        fmt::join(errors, ","));
  }
  return r;
}

// Waits for `f` until `deadline`; a late answer is a timeout.
dns::Answer wait(const std::shared_future<dns::Answer>& f, Clock::time_point deadline, int ms) {
  if (f.wait_until(deadline) == std::future_status::ready) return f.get();
  return dns::Answer{
      dns::Status::Timeout, {}, false, false, fmt::format("no answer in {} ms", ms), 0};
}

}  // namespace

std::vector<DnsblResult> Dnsbl::check(const core::IpAddress& a, dns::Budget& budget) const {
  const DnsblName name{reversed_name(a), a.to_string()};
  return std::move(check_names(std::span(&name, 1), budget).front());
}

std::vector<std::vector<DnsblResult>> Dnsbl::check_names(std::span<const DnsblName> names,
                                                         dns::Budget& budget) const {
  using Future = std::optional<std::shared_future<dns::Answer>>;
  const size_t nz = zones_.size();
  std::vector<std::vector<DnsblResult>> out(names.size(), std::vector<DnsblResult>(nz));
  std::vector<std::vector<Future>> asked(names.size(), std::vector<Future>(nz));
  const auto start = Clock::now();
  for (size_t n = 0; n < names.size(); ++n)
    for (size_t i = 0; i < nz; ++i) {
      out[n][i].zone = &zones_[i];
      if (!cache_->get(zones_[i].zone + "|" + names[n].id, out[n][i]))
        asked[n][i] = budget.query(names[n].query + "." + zones_[i].zone, dns::Type::A);
    }
  std::vector<std::vector<uint32_t>> ttl(names.size(), std::vector<uint32_t>(nz, 0));
  std::vector<std::vector<Future>> txt(names.size(), std::vector<Future>(nz));
  for (size_t n = 0; n < names.size(); ++n)
    for (size_t i = 0; i < nz; ++i) {
      if (!asked[n][i]) continue;
      int ms = zones_[i].timeout_ms;
      dns::Answer ans = wait(*asked[n][i], start + std::chrono::milliseconds(ms), ms);
      out[n][i] = classify(ans);
      out[n][i].zone = &zones_[i];
      ttl[n][i] = ans.ttl;
      if (out[n][i].kind == Kind::Listed)
        txt[n][i] = budget.query(names[n].query + "." + zones_[i].zone, dns::Type::TXT);
    }
  const auto txt_start = Clock::now();
  for (size_t n = 0; n < names.size(); ++n)
    for (size_t i = 0; i < nz; ++i) {
      if (txt[n][i]) {
        int ms = zones_[i].timeout_ms;
        dns::Answer t = wait(*txt[n][i], txt_start + std::chrono::milliseconds(ms), ms);
        if (t.status == dns::Status::Ok && !t.records.empty())
          out[n][i].text = t.records.front().substr(0, kMaxText);
      }
      if (asked[n][i]) cache_->put(zones_[i].zone + "|" + names[n].id, out[n][i], ttl[n][i]);
    }
  return out;
}

core::Step DnsblStage::on_connect(core::Transaction& tx) const {
  if (tx.direction() == core::Direction::Outbound) return core::Step::next();
  auto ip = core::IpAddress::parse(tx.connection().client_address);
  if (!ip || is_local_address(*ip)) return core::Step::next();
  dns::Budget& budget = dns::transaction_budget(tx, resolver_, max_queries_);
  const std::string addr = ip->to_string();
  for (const auto& r : dnsbl_.check(*ip, budget)) {
    const policy::DnsblZone& z = *r.zone;
    switch (r.kind) {
      case Kind::NotListed:
        break;
      case Kind::Error:
        tx.add_finding("DNSBL_ERROR", 0, fmt::format("{} for {}: {}", z.zone, addr, r.detail));
        break;
      case Kind::TempError:
        tx.add_finding("DNSBL_TEMPERROR", 0, fmt::format("{} for {}: {}", z.zone, addr, r.detail));
        break;
      case Kind::Listed: {
        std::string detail =
            fmt::format("{} listed by {} ({})", addr, z.zone, fmt::join(r.codes, ","));
        if (!r.text.empty()) detail += ": " + r.text;
        for (const auto& code : r.codes) {
          auto m = z.codes.find(code);
          const std::string& sym = m != z.codes.end() ? m->second.symbol : z.symbol;
          double score = m != z.codes.end() ? m->second.score : z.score;
          if (!tx.has_finding(sym)) tx.add_finding(sym, score, detail);
        }
        break;
      }
    }
  }
  return core::Step::next();
}

}  // namespace postern::reputation
