// The native DKIM verifier on the signature core (see dkim.hpp): parse every
// DKIM-Signature, ask for every key at once, hash each (body canonicalization,
// hash, l=) once, verify. The checks follow RFC 6376 in libopendkim's order, so
// both verifiers give a broken signature the same result.
#include <fmt/format.h>
#include <openssl/evp.h>

#include <algorithm>
#include <ctime>
#include <future>
#include <map>
#include <mutex>
#include <optional>
#include <tuple>

#include "auth/dkim.hpp"
#include "auth/signature.hpp"
#include "core/address.hpp"
#include "core/digest.hpp"

namespace postern::auth {
namespace {

constexpr std::string_view kField = "DKIM-Signature";
constexpr uint64_t kClockDrift = 300;  // seconds of clock skew allowed for t= and x=
constexpr size_t kMaxSignatureTags = 64;

enum class Alg { RsaSha1, RsaSha256, Ed25519Sha256 };

bool is_fws(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

// A tag value with every folding whitespace removed (as libopendkim reads d=, s=, b=, ...).
std::string compact(std::string_view v) {
  std::string out;
  out.reserve(v.size());
  for (char c : v)
    if (!is_fws(c)) out.push_back(c);
  return out;
}

// The leading decimal digits of `v` as a number (saturating), as strtoull reads t= and x=.
uint64_t leading_number(std::string_view v) {
  uint64_t n = 0;
  for (char c : v) {
    if (c < '0' || c > '9') break;
    uint64_t d = static_cast<uint64_t>(c - '0');
    n = n > (UINT64_MAX - d) / 10 ? UINT64_MAX : n * 10 + d;
  }
  return n;
}

// The domain part of i= is d= or below it (case-insensitive).
bool identity_in_domain(std::string_view i, std::string_view d, bool exact) {
  size_t at = i.rfind('@');
  if (at == std::string_view::npos) return false;
  std::string dom = core::to_lower(i.substr(at + 1)), want = core::to_lower(d);
  if (dom == want) return true;
  return !exact && dom.size() > want.size() && dom.ends_with(want) &&
         dom[dom.size() - want.size() - 1] == '.';
}

// One DKIM-Signature field while it is being verified.
struct Sig {
  const core::HeaderField* field = nullptr;
  std::optional<TagList> tags;
  DkimSignature r;
  std::string error;  // a signature error found before any key: permerror, no key query
  Alg alg = Alg::RsaSha256;
  CanonPair canon;
  std::vector<std::string> names;
  std::optional<uint64_t> length;  // l=
  std::string bh;                  // decoded bh=
  std::string b;                   // decoded b=
  std::string key_name;            // <s>._domainkey.<d>, lower case
  size_t canonical_length = 0;     // of the body under the signature's body canonicalization
  const std::string* body_hash = nullptr;
  std::string header_data;  // what the header signature signs
};

// RFC 6376 3.5 and 6.1.1, in libopendkim's order (dkim_siglist_setup): the first
// problem found is the signature's error.
std::string check_signature(Sig& s, const core::Message& m, const DkimOptions& o, uint64_t now) {
  auto tags = TagList::parse(m.raw_value(*s.field), kMaxSignatureTags);
  if (!tags) return "signature syntax error: " + tags.error();
  s.tags = std::move(*tags);
  const TagList& t = *s.tags;
  auto val = [&](std::string_view name) -> std::optional<std::string> {
    auto v = t.get(name);
    if (!v) return std::nullopt;
    return compact(*v);
  };
  auto d = val("d"), sel = val("s"), v = val("v"), a = val("a"), i = val("i"), b = val("b");
  s.r.domain = d.value_or("");
  s.r.selector = sel.value_or("");
  s.r.algorithm = a.value_or("");
  s.r.identity = i.value_or("");
  s.r.b = b.value_or("").substr(0, 8);
  if (!d) return "domain tag missing";
  if (d->empty()) return "domain tag empty";
  if (!sel) return "selector tag missing";
  if (sel->empty()) return "selector tag empty";
  if (!v) return "version missing";
  if (v->empty()) return "version empty";
  if (*v != "1") return "unsupported signature version";
  if (!identity_in_domain(i ? *i : "@" + *d, *d, false)) return "invalid domain coverage";
  auto ts = val("t"), xs = val("x");
  if (xs && now >= leading_number(*xs) + kClockDrift) return "signature expired";
  if (ts && leading_number(*ts) > kClockDrift && now < leading_number(*ts) - kClockDrift)
    return "signature timestamp in the future";
  if (ts && xs && leading_number(*ts) >= leading_number(*xs))
    return "signature timestamp order error";
  if (auto c = val("c")) {
    std::string_view cv = *c;
    std::string_view hc = cv.substr(0, cv.find('/'));
    if (hc != "simple" && hc != "relaxed") return "invalid header canonicalization";
    auto pair = parse_canon(cv);
    if (!pair) return "invalid body canonicalization";
    s.canon = *pair;
  }
  if (!a) return "signature algorithm missing";
  if (*a == "rsa-sha256")
    s.alg = Alg::RsaSha256;
  else if (*a == "rsa-sha1")
    s.alg = Alg::RsaSha1;
  else if (*a == "ed25519-sha256")
    s.alg = Alg::Ed25519Sha256;
  else
    return "signature algorithm invalid";
  auto h = t.get("h");
  if (!h) return "header list missing";
  s.names = signed_names(*h);
  if (s.names.empty()) return "header list tag empty";
  if (s.names.size() > o.max_signed_fields)
    return fmt::format("header list of {} fields (at most {})", s.names.size(),
                       o.max_signed_fields);
  if (std::find(s.names.begin(), s.names.end(), "from") == s.names.end())
    return "header list missing required entries";
  if (auto l = val("l")) {
    if (l->empty() || l->size() > 19 ||
        !std::all_of(l->begin(), l->end(), [](char c) { return c >= '0' && c <= '9'; }))
      return "body length value invalid";
    s.length = leading_number(*l);
  }
  auto bh = val("bh");
  if (!bh) return "body hash missing";
  if (bh->empty()) return "body hash empty";
  if (!b) return "signature data missing";
  if (b->empty()) return "signature data empty";
  auto sig = base64_decode(*b);
  if (!sig) return "signature data corrupt";
  s.b = std::move(*sig);
  auto bh_raw = base64_decode(*bh);
  if (!bh_raw) return "body hash corrupt";
  s.bh = std::move(*bh_raw);
  s.key_name = core::to_lower(*sel + "._domainkey." + *d);
  return {};
}

// Canonical bodies and body hashes of one message, each made once.
class BodyHashes {
 public:
  explicit BodyHashes(std::string_view body) : body_(body) {}
  const std::string& canonical(Canon c) {
    auto& slot = canon_[c == Canon::Relaxed];
    if (!slot) slot = canon_body(c, body_);
    return *slot;
  }
  const std::string& hash(Canon c, Alg alg, std::optional<uint64_t> length) {
    bool sha1 = alg == Alg::RsaSha1;
    auto key = std::make_tuple(c == Canon::Relaxed, sha1, length.value_or(UINT64_MAX));
    auto it = hashes_.find(key);
    if (it != hashes_.end()) return it->second;
    std::string_view data = canonical(c);
    if (length && *length < data.size()) data = data.substr(0, *length);
    std::string digest;
    if (sha1) {
      unsigned char md[EVP_MAX_MD_SIZE];
      unsigned int len = 0;
      EVP_Digest(data.data(), data.size(), md, &len, EVP_sha1(), nullptr);
      digest.assign(reinterpret_cast<const char*>(md), len);
    } else {
      digest = core::sha256(data);
    }
    return hashes_.emplace(key, std::move(digest)).first->second;
  }

 private:
  std::string_view body_;
  std::optional<std::string> canon_[2];
  std::map<std::tuple<bool, bool, uint64_t>, std::string> hashes_;
};

// The record of a TXT answer that holds the key (RFC 6376 3.6.2.2 lets us choose).
const std::string& key_record(const dns::Answer& a) {
  auto rec = std::find_if(a.records.begin(), a.records.end(),
                          [](const std::string& r) { return r.find("p=") != std::string::npos; });
  return rec == a.records.end() ? a.records.front() : *rec;
}

bool key_fits(SignatureKey::Kind k, Alg a) {
  return (k == SignatureKey::Kind::Ed25519) == (a == Alg::Ed25519Sha256);
}

}  // namespace

// Parsing a key costs more than verifying with it (OpenSSL 3's decoders): a key record
// seen before is taken from here. Bounded: when full it starts over.
struct DkimVerifier::KeyCache {
  static constexpr size_t kMaxEntries = 256;
  using Parsed = postern::expected<SignatureKey::Record, KeyRecordError>;
  std::mutex mu;
  std::map<std::pair<std::string, Hash>, Parsed> entries;

  Parsed get(const std::string& record, Hash hash) {
    {
      std::lock_guard lock(mu);
      auto it = entries.find({record, hash});
      if (it != entries.end()) return it->second;
    }
    Parsed p = SignatureKey::from_record(record, hash);
    std::lock_guard lock(mu);
    if (entries.size() >= kMaxEntries) entries.clear();
    entries.emplace(std::pair{record, hash}, p);
    return p;
  }
};

std::shared_ptr<DkimVerifier::KeyCache> DkimVerifier::make_key_cache() {
  return std::make_shared<KeyCache>();
}

DkimVerification DkimVerifier::verify_native(const core::Message& m, dns::Budget& budget) const {
  DkimVerification out;
  std::vector<Sig> sigs;
  for (const auto& f : m.headers()) {
    if (!core::iequals(f.name, kField)) continue;
    ++out.signatures_seen;
    if (sigs.size() >= options_.max_signatures) continue;
    sigs.emplace_back();
    sigs.back().field = &f;
  }
  out.limited = out.signatures_seen > options_.max_signatures;
  if (sigs.empty()) return out;
  const uint64_t now = static_cast<uint64_t>(std::time(nullptr));
  for (auto& s : sigs) s.error = check_signature(s, m, options_, now);

  // Every key query at once: N silent keys cost one resolver timeout, not N.
  std::map<std::string, std::shared_future<dns::Answer>> queries;
  if (!m.truncated())
    for (const auto& s : sigs)
      if (s.error.empty() && !queries.contains(s.key_name))
        queries.emplace(s.key_name, budget.query(s.key_name, dns::Type::TXT));

  // The hashing runs while the keys are on their way.
  BodyHashes bodies(m.body());
  if (!m.truncated())
    for (auto& s : sigs) {
      if (!s.error.empty()) continue;
      s.canonical_length = bodies.canonical(s.canon.body).size();
      s.body_hash = &bodies.hash(s.canon.body, s.alg, s.length);
      s.header_data = signed_header_data(m, s.names, s.canon.header, nullptr) +
                      self_canon(m, *s.field, *s.tags, s.canon.header);
    }
  for (auto& s : sigs) {
    DkimSignature& r = s.r;
    auto set = [&](DkimStatus st, std::string detail) {
      r.result = st;
      r.detail = std::move(detail);
    };
    if (m.truncated()) {
      set(DkimStatus::Neutral, "message truncated: not verified");
      out.results.signatures.push_back(std::move(r));
      continue;
    }
    if (!s.error.empty()) {
      set(DkimStatus::PermError, s.error);
      out.results.signatures.push_back(std::move(r));
      continue;
    }
    const size_t canonical_length = s.canonical_length;
    if (s.length) r.body_length_limited = *s.length < canonical_length;
    const dns::Answer& a = queries.at(s.key_name).get();
    const std::string& name = s.key_name;
    std::optional<SignatureKey::Record> key;
    if (a.status == dns::Status::ServFail || a.status == dns::Status::Timeout ||
        a.status == dns::Status::Budget) {
      set(DkimStatus::TempError, fmt::format("key {}: {}", name, dns::to_string(a.status)));
    } else if (a.status == dns::Status::Error) {
      // A name that cannot be asked (a label over 63 bytes, bad bytes) never will be: permanent.
      set(DkimStatus::PermError, fmt::format("key name {} is not a valid DNS name", name));
    } else if (a.status != dns::Status::Ok || a.records.empty()) {
      set(DkimStatus::PermError, fmt::format("no key at {}", name));
    } else if (auto k =
                   keys_->get(key_record(a), s.alg == Alg::RsaSha1 ? Hash::Sha1 : Hash::Sha256);
               !k) {
      set(DkimStatus::PermError, fmt::format("key {}: {}", name, k.error().text));
    } else if (!key_fits(k->key.kind(), s.alg)) {
      set(DkimStatus::PermError,
          fmt::format("key {}: its type does not fit a={}", name, r.algorithm));
    } else {
      key = std::move(*k);
      r.key_bits = key->key.bits();
    }
    if (!key) {
      out.results.signatures.push_back(std::move(r));
      continue;
    }
    if (key->key.kind() == SignatureKey::Kind::Rsa && r.key_bits < options_.min_key_bits) {
      set(DkimStatus::PermError,
          fmt::format("key too short: {} bits (at least {})", r.key_bits, options_.min_key_bits));
    } else if (key->strict_identity &&
               !identity_in_domain(r.identity.empty() ? "@" + r.domain : r.identity, r.domain,
                                   true)) {
      set(DkimStatus::PermError, "unauthorized subdomain (key t=s)");
    } else if (s.length && *s.length > canonical_length) {
      set(DkimStatus::PermError, "length tag value exceeds body size");
    } else {
      bool body_ok = *s.body_hash == s.bh;
      bool header_ok =
          key->key.verify(s.header_data, s.b, s.alg == Alg::RsaSha1 ? Hash::Sha1 : Hash::Sha256);
      if (!body_ok)
        set(DkimStatus::Fail, "body hash mismatch");
      else if (!header_ok)
        set(DkimStatus::Fail, "signature mismatch");
      else
        set(DkimStatus::Pass, "");
      if (s.alg == Alg::RsaSha1 && !options_.allow_rsa_sha1)
        set(DkimStatus::Fail, r.result == DkimStatus::Pass
                                  ? "rsa-sha1 is not accepted (RFC 8301)"
                                  : r.detail + "; rsa-sha1 is not accepted (RFC 8301)");
    }
    out.results.signatures.push_back(std::move(r));
  }
  return out;
}

}  // namespace postern::auth
