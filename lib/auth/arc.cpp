// ARC chain validation and sealing (see arc.hpp).
#include "auth/arc.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <optional>
#include <set>

#include "auth/signature.hpp"
#include "core/address.hpp"
#include "core/digest.hpp"

namespace postern::auth {
namespace {

constexpr std::string_view kAar = "ARC-Authentication-Results";
constexpr std::string_view kAms = "ARC-Message-Signature";
constexpr std::string_view kAs = "ARC-Seal";

// An instance number: 1*DIGIT within 1..max (leading zeros allowed, as DKIM's i= is text).
std::optional<unsigned> parse_instance(std::string_view v, unsigned max) {
  if (v.empty() || v.size() > 6) return std::nullopt;
  unsigned n = 0;
  for (char c : v) {
    if (c < '0' || c > '9') return std::nullopt;
    n = n * 10 + static_cast<unsigned>(c - '0');
  }
  if (n < 1 || n > max) return std::nullopt;
  return n;
}

// The i= of an ARC-Authentication-Results value: "i=" 1*DIGIT ";" at its start.
std::optional<std::string_view> aar_instance(std::string_view raw) {
  auto ws = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; };
  size_t p = 0;
  while (p < raw.size() && ws(raw[p])) ++p;
  if (raw.substr(p, 1) != "i") return std::nullopt;
  ++p;
  while (p < raw.size() && ws(raw[p])) ++p;
  if (raw.substr(p, 1) != "=") return std::nullopt;
  ++p;
  while (p < raw.size() && ws(raw[p])) ++p;
  size_t b = p;
  while (p < raw.size() && raw[p] >= '0' && raw[p] <= '9') ++p;
  std::string_view digits = raw.substr(b, p - b);
  while (p < raw.size() && ws(raw[p])) ++p;
  if (digits.empty() || raw.substr(p, 1) != ";") return std::nullopt;
  return digits;
}

bool all_digits(std::string_view v) {
  return !v.empty() && v.size() <= 12 &&
         std::all_of(v.begin(), v.end(), [](char c) { return c >= '0' && c <= '9'; });
}

struct Set {
  const core::HeaderField* aar = nullptr;
  const core::HeaderField* ams = nullptr;
  const core::HeaderField* as = nullptr;
  std::optional<TagList> ams_tags;
  std::optional<TagList> as_tags;
};

class Chain {
 public:
  Chain(const core::Message& m, dns::Budget& budget, const ArcVerifyOptions& o)
      : m_(m), budget_(budget), o_(o) {}
  ArcResult run();

 private:
  bool fail(std::string why) {
    r_.cv = ArcStatus::Fail;
    r_.detail = std::move(why);
    return false;
  }
  bool collect();
  bool check_seals();
  bool check_ams(const Set& s, unsigned i, std::optional<CanonPair>& canon,
                 std::vector<std::string>& names);
  void fetch_keys();
  const SignatureKey* key_for(const TagList& t, std::string_view what);
  bool verify_signature(const TagList& t, std::string_view data, std::string_view what);

  const core::Message& m_;
  dns::Budget& budget_;
  const ArcVerifyOptions& o_;
  ArcResult r_;
  std::map<unsigned, Set> sets_;
  unsigned n_ = 0;
  struct KeyResult {
    std::optional<SignatureKey> key;
    std::string why;  // when no key
    bool temporary = false;
  };
  std::map<std::pair<std::string, std::string>, KeyResult> keys_;  // (s, lower-case d)
};

bool Chain::collect() {
  size_t count = 0;
  size_t max_fields = 3 * static_cast<size_t>(o_.max_instances);
  for (const auto& f : m_.headers()) {
    bool aar = core::iequals(f.name, kAar), ams = core::iequals(f.name, kAms),
         as = core::iequals(f.name, kAs);
    if (!aar && !ams && !as) continue;
    if (++count > max_fields) return fail(fmt::format("more than {} ARC sets", o_.max_instances));
    if (f.length > o_.max_field_bytes)
      return fail(fmt::format("{} longer than {} bytes", f.name, o_.max_field_bytes));
    std::string_view raw = m_.raw_value(f);
    std::string_view what = aar ? kAar : ams ? kAms : kAs;
    std::optional<unsigned> i;
    std::optional<TagList> tags;
    if (aar) {
      auto d = aar_instance(raw);
      if (!d) return fail(fmt::format("{} does not start with i=N;", kAar));
      i = parse_instance(*d, kArcMaxInstances + 1000);
    } else {
      auto t = TagList::parse(raw);
      if (!t) return fail(fmt::format("{}: {}", what, t.error()));
      auto v = t->get("i");
      if (!v) return fail(fmt::format("{} has no i=", what));
      i = parse_instance(*v, kArcMaxInstances + 1000);
      tags = std::move(*t);
    }
    if (!i) return fail(fmt::format("{} has a bad i=", what));
    if (*i > o_.max_instances)
      return fail(
          fmt::format("{} i={} is past the limit of {} ARC sets", what, *i, o_.max_instances));
    Set& s = sets_[*i];
    const core::HeaderField*& slot = aar ? s.aar : ams ? s.ams : s.as;
    if (slot) return fail(fmt::format("duplicate {} i={}", what, *i));
    slot = &f;
    if (ams) s.ams_tags = std::move(tags);
    if (as) s.as_tags = std::move(tags);
  }
  if (sets_.empty()) return true;
  n_ = sets_.rbegin()->first;
  r_.instances = n_;
  for (unsigned i = 1; i <= n_; ++i) {
    auto it = sets_.find(i);
    if (it == sets_.end()) return fail(fmt::format("ARC set i={} is missing", i));
    if (!it->second.aar) return fail(fmt::format("{} i={} is missing", kAar, i));
    if (!it->second.ams) return fail(fmt::format("{} i={} is missing", kAms, i));
    if (!it->second.as) return fail(fmt::format("{} i={} is missing", kAs, i));
  }
  return true;
}

// The ARC-Seal tags: syntax, cv= sequence; fills the sealers.
bool Chain::check_seals() {
  if (sets_.at(n_).as_tags->get("cv") == "fail")
    return fail(fmt::format("the ARC-Seal i={} says cv=fail", n_));
  for (unsigned i = 1; i <= n_; ++i) {
    const TagList& t = *sets_.at(i).as_tags;
    for (const char* req : {"a", "b", "cv", "d", "s"})
      if (!t.get(req) || t.get(req)->empty())
        return fail(fmt::format("ARC-Seal i={} has no {}=", i, req));
    if (t.get("h")) return fail(fmt::format("ARC-Seal i={} has h= (not allowed)", i));
    if (auto v = t.get("t"); v && !all_digits(*v))
      return fail(fmt::format("ARC-Seal i={} has a bad t=", i));
    if (!valid_domain(*t.get("d"))) return fail(fmt::format("ARC-Seal i={} has a bad d=", i));
    std::string_view cv = *t.get("cv");
    if (cv != "none" && cv != "pass" && cv != "fail")
      return fail(fmt::format("ARC-Seal i={} has a bad cv=", i));
    if (i == 1 && cv != "none") return fail("the ARC-Seal i=1 does not say cv=none");
    if (i > 1 && cv != "pass")
      return fail(fmt::format("the ARC-Seal i={} does not say cv=pass", i));
    r_.sealers.emplace_back(*t.get("d"));
  }
  return true;
}

bool Chain::check_ams(const Set& s, unsigned i, std::optional<CanonPair>& canon,
                      std::vector<std::string>& names) {
  const TagList& t = *s.ams_tags;
  for (const char* req : {"a", "b", "bh", "d", "s"})
    if (!t.get(req) || t.get(req)->empty())
      return fail(fmt::format("ARC-Message-Signature i={} has no {}=", i, req));
  auto h = t.get("h");
  if (!h) return fail(fmt::format("ARC-Message-Signature i={} has no h=", i));
  if (t.get("l")) return fail(fmt::format("ARC-Message-Signature i={} has l= (not accepted)", i));
  if (auto v = t.get("t"); v && !all_digits(*v))
    return fail(fmt::format("ARC-Message-Signature i={} has a bad t=", i));
  if (!valid_domain(*t.get("d")))
    return fail(fmt::format("ARC-Message-Signature i={} has a bad d=", i));
  canon = t.get("c") ? parse_canon(*t.get("c")) : CanonPair{};
  if (!canon) return fail(fmt::format("ARC-Message-Signature i={} has a bad c=", i));
  names = signed_names(*h);
  if (names.size() > o_.max_signed_fields)
    return fail(fmt::format("ARC-Message-Signature i={} signs more than {} fields", i,
                            o_.max_signed_fields));
  if (std::find(names.begin(), names.end(), "arc-seal") != names.end())
    return fail(fmt::format("ARC-Message-Signature i={} signs ARC-Seal", i));
  return true;
}

// Starts every key query the chain needs at once, then waits for them.
void Chain::fetch_keys() {
  std::vector<std::pair<std::string, std::string>> wanted;  // (s, d)
  auto want = [&](const TagList& t) {
    wanted.emplace_back(std::string(*t.get("s")), core::to_lower(*t.get("d")));
  };
  want(*sets_.at(n_).ams_tags);
  for (unsigned i = 1; i <= n_; ++i) want(*sets_.at(i).as_tags);
  std::sort(wanted.begin(), wanted.end());
  wanted.erase(std::unique(wanted.begin(), wanted.end()), wanted.end());
  std::vector<std::shared_future<dns::Answer>> pending;
  for (const auto& [s, d] : wanted)
    pending.push_back(budget_.query(s + "._domainkey." + d, dns::Type::TXT));
  for (size_t k = 0; k < wanted.size(); ++k) {
    const dns::Answer& a = pending[k].get();
    std::string name = wanted[k].first + "._domainkey." + wanted[k].second;
    KeyResult& r = keys_[wanted[k]];
    if (a.status == dns::Status::Ok && !a.records.empty()) {
      auto key = SignatureKey::from_record(a.records.front());
      if (!key)
        r.why = fmt::format("key {}: {}", name, key.error().text);
      else if (key->key.kind() == SignatureKey::Kind::Rsa && key->key.bits() < kMinArcRsaBits)
        r.why = fmt::format("key {}: RSA key of {} bits (at least {})", name, key->key.bits(),
                            kMinArcRsaBits);
      else
        r.key = std::move(key->key);
    } else if (a.status == dns::Status::Ok || a.status == dns::Status::NoData ||
               a.status == dns::Status::NxDomain) {
      r.why = "no key at " + name;
    } else {
      r.why = fmt::format("key {}: DNS {}", name, dns::to_string(a.status));
      r.temporary = true;
    }
  }
}

const SignatureKey* Chain::key_for(const TagList& t, std::string_view what) {
  auto it = keys_.find({std::string(*t.get("s")), core::to_lower(*t.get("d"))});
  if (it == keys_.end()) {
    fail(fmt::format("{}: no key", what));
    return nullptr;
  }
  if (!it->second.key) {
    fail(fmt::format("{}: {}", what, it->second.why));
    r_.temporary = it->second.temporary;
    return nullptr;
  }
  return &*it->second.key;
}

bool Chain::verify_signature(const TagList& t, std::string_view data, std::string_view what) {
  const SignatureKey* key = key_for(t, what);
  if (!key) return false;
  if (*t.get("a") != key->algorithm())
    return fail(
        fmt::format("{}: a={} does not fit the {} key", what, *t.get("a"), key->algorithm()));
  auto sig = base64_decode(*t.get("b"));
  if (!sig) return fail(fmt::format("{}: b= is not base64", what));
  if (!key->verify(data, *sig)) return fail(fmt::format("{}: bad signature", what));
  return true;
}

ArcResult Chain::run() {
  if (!collect()) return r_;
  if (sets_.empty()) return r_;  // cv=none
  if (!check_seals()) return r_;
  const Set& newest = sets_.at(n_);
  std::optional<CanonPair> canon;
  std::vector<std::string> names;
  std::string what = fmt::format("ARC-Message-Signature i={}", n_);
  if (!check_ams(newest, n_, canon, names)) return r_;
  auto known_algorithm = [](std::string_view a) {
    return a == "rsa-sha256" || a == "ed25519-sha256";
  };
  if (!known_algorithm(*newest.ams_tags->get("a"))) {
    fail(what + ": unknown algorithm a=" + std::string(*newest.ams_tags->get("a")));
    return r_;
  }
  for (const auto& [i, s] : sets_) {
    if (!known_algorithm(*s.as_tags->get("a"))) {
      fail(fmt::format("ARC-Seal i={}: unknown algorithm a={}", i, *s.as_tags->get("a")));
      return r_;
    }
  }
  fetch_keys();

  // The newest AMS: body hash, then the signature over the signed fields and itself.
  const TagList& ams = *newest.ams_tags;
  auto bh = base64_decode(*ams.get("bh"));
  if (!bh) {
    fail(what + ": bh= is not base64");
    return r_;
  }
  if (core::sha256(canon_body(canon->body, m_.body())) != *bh) {
    fail(what + ": body hash mismatch");
    return r_;
  }
  std::string data = signed_header_data(m_, names, canon->header, newest.ams);
  data += self_canon(m_, *newest.ams, ams, canon->header);
  if (!verify_signature(ams, data, what)) return r_;

  // Every seal, newest first, over the sets 1..i.
  for (unsigned i = n_; i >= 1; --i) {
    std::string seal_data;
    for (unsigned j = 1; j <= i; ++j) {
      const Set& s = sets_.at(j);
      for (const core::HeaderField* f : {s.aar, s.ams}) {
        seal_data += canon_header(Canon::Relaxed, f->name, m_.raw_value(*f), m_.raw_field(*f));
      }
      if (j < i)
        seal_data +=
            canon_header(Canon::Relaxed, s.as->name, m_.raw_value(*s.as), m_.raw_field(*s.as));
      else
        seal_data += self_canon(m_, *s.as, *s.as_tags, Canon::Relaxed);
    }
    if (!verify_signature(*sets_.at(i).as_tags, seal_data, fmt::format("ARC-Seal i={}", i)))
      return r_;
  }
  r_.cv = ArcStatus::Pass;
  return r_;
}

// Highest instance of any ARC field (best effort), and whether the newest seal says cv=fail.
struct Existing {
  unsigned highest = 0;
  bool any = false;
  bool newest_failed = false;
  std::map<unsigned, Set> sets;
};

Existing existing_sets(const core::Message& m) {
  Existing e;
  unsigned seal_i = 0;
  for (const auto& f : m.headers()) {
    bool aar = core::iequals(f.name, kAar), ams = core::iequals(f.name, kAms),
         as = core::iequals(f.name, kAs);
    if (!aar && !ams && !as) continue;
    e.any = true;
    std::optional<unsigned> i;
    std::optional<TagList> tags;
    if (aar) {
      if (auto d = aar_instance(m.raw_value(f))) i = parse_instance(*d, 1000000);
    } else if (auto t = TagList::parse(m.raw_value(f))) {
      if (auto v = t->get("i")) i = parse_instance(*v, 1000000);
      tags = std::move(*t);
    }
    if (!i) continue;
    e.highest = std::max(e.highest, *i);
    Set& s = e.sets[*i];
    (aar ? s.aar : ams ? s.ams : s.as) = &f;
    if (as && *i >= seal_i) {
      seal_i = *i;
      e.newest_failed = tags->get("cv") == "fail";
    }
  }
  return e;
}

}  // namespace

ArcResult verify_arc(const core::Message& m, dns::Budget& budget, const ArcVerifyOptions& options) {
  ArcVerifyOptions o = options;
  o.max_instances = std::min(o.max_instances, kArcMaxInstances);
  return Chain(m, budget, o).run();
}

const std::vector<std::string>& default_arc_signed_headers() {
  static const std::vector<std::string> names = {
      "from",           "reply-to",     "subject",
      "date",           "to",           "cc",
      "message-id",     "in-reply-to",  "references",
      "mime-version",   "content-type", "content-transfer-encoding",
      "dkim-signature", "list-id"};
  return names;
}

postern::expected<ArcSet, std::string> seal_arc(const core::Message& leaving, std::string_view ar,
                                                ArcStatus cv, const ArcSealer& sealer,
                                                int64_t timestamp) {
  if (!sealer.key) return postern::unexpected(std::string("no sealing key"));
  if (!valid_domain(sealer.domain) || sealer.selector.empty())
    return postern::unexpected(std::string("bad sealing domain or selector"));
  Existing e = existing_sets(leaving);
  if (cv == ArcStatus::None && e.any)
    return postern::unexpected(std::string("cv=none for a message with ARC fields"));
  if (e.newest_failed)
    return postern::unexpected(
        fmt::format("the chain ended in cv=fail at i={}: no further sets", e.highest));
  unsigned max = std::min(sealer.max_instances, kArcMaxInstances);
  if (e.highest + 1 > max)
    return postern::unexpected(
        fmt::format("the chain already has {} sets (limit {})", e.highest, max));
  ArcSet out;
  out.instance = e.highest + 1;
  const unsigned i = out.instance;
  const SignatureKey& key = *sealer.key;

  out.aar = fmt::format("i={}; {}", i, relaxed_value(ar));

  std::vector<std::string> names;
  for (const auto& n : sealer.headers) {
    std::string l = core::to_lower(n);
    if (l == "arc-seal" || l == "arc-message-signature" || l == "arc-authentication-results" ||
        std::find(names.begin(), names.end(), l) != names.end())
      continue;
    names.push_back(l);
  }
  std::vector<std::string> h;
  for (const auto& n : names)
    for (size_t k = leaving.count(n); k > 0; --k) h.push_back(n);
  std::string bh = base64_encode(core::sha256(canon_body(Canon::Relaxed, leaving.body())));
  std::string h_list;
  for (const auto& n : h) h_list += (h_list.empty() ? "" : ":") + n;
  auto ams_value = [&](std::string_view b) {
    return fmt::format("a={}; b={}; bh={}; c=relaxed/relaxed; d={}; h={}; i={}; s={}; t={}",
                       key.algorithm(), b, bh, sealer.domain, h_list, i, sealer.selector,
                       timestamp);
  };
  std::string data = signed_header_data(leaving, h, Canon::Relaxed, nullptr);
  std::string self = canon_header(Canon::Relaxed, kAms, ams_value(""), "");
  data += self.substr(0, self.size() - 2);
  auto ams_sig = key.sign(data);
  if (!ams_sig) return postern::unexpected(ams_sig.error());
  out.ams = ams_value(base64_encode(*ams_sig));

  auto seal_value = [&](std::string_view b) {
    return fmt::format("a={}; b={}; cv={}; d={}; i={}; s={}; t={}", key.algorithm(), b,
                       to_string(cv), sealer.domain, i, sealer.selector, timestamp);
  };
  std::string seal_data;
  if (cv != ArcStatus::Fail) {  // RFC 8617 5.1.2: a failed chain's seal covers its own set only
    for (unsigned j = 1; j < i; ++j) {
      auto it = e.sets.find(j);
      if (it == e.sets.end() || !it->second.aar || !it->second.ams || !it->second.as)
        return postern::unexpected(
            fmt::format("ARC set i={} is incomplete: cv cannot be {}", j, to_string(cv)));
      for (const core::HeaderField* f : {it->second.aar, it->second.ams, it->second.as})
        seal_data +=
            canon_header(Canon::Relaxed, f->name, leaving.raw_value(*f), leaving.raw_field(*f));
    }
  }
  seal_data += canon_header(Canon::Relaxed, kAar, out.aar, "");
  seal_data += canon_header(Canon::Relaxed, kAms, out.ams, "");
  std::string seal_self = canon_header(Canon::Relaxed, kAs, seal_value(""), "");
  seal_data += seal_self.substr(0, seal_self.size() - 2);
  auto seal_sig = key.sign(seal_data);
  if (!seal_sig) return postern::unexpected(seal_sig.error());
  out.seal = seal_value(base64_encode(*seal_sig));
  return out;
}

}  // namespace postern::auth
