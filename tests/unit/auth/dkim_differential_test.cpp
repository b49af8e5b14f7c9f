// The native DKIM verifier against libopendkim (the oracle): every signed message of
// the shared corpus gets the same per-signature result from both. Three sets:
//   keys       auth/dkim (mail-auth with its records; every dkimpy message against
//              every dkimpy key record) and mime/torture's RFC 8463 example (its keys
//              are mail-auth 001's) — the only corpus mail whose keys exist offline;
//   no-keys    every other corpus message with a DKIM-Signature, every key name
//              answered NXDOMAIN: the signature parsing and its checks before the key;
//   re-signed  ham/usrp and mime messages signed again by libopendkim with keys made
//              here (simple/simple rsa-sha256, relaxed/relaxed ed25519-sha256,
//              relaxed/simple with l=, rsa-sha1), then changed in the body for a third
//              of them: the canonicalization of real mail, pass and fail.
// A difference fails the test unless it is listed, with its reason, in
// dkim_differential_allowlist.txt; an entry that no longer matches fails it too.
#include <fmt/format.h>
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "auth/dkim.hpp"
#include "core/address.hpp"
#include "support/dkim_keys.hpp"
#include "support/files.hpp"
#include "support/lsan.hpp"

#define _Bool bool
#include <dkim.h>
#undef _Bool

using namespace postern;
namespace fs = std::filesystem;

namespace {

const std::string kCorpusRoot = POSTERN_CORPUS_DIR;
const std::string kAllowlist =
    POSTERN_SOURCE_DIR "/tests/unit/auth/dkim_differential_allowlist.txt";

using postern::test::slurp;

std::string to_crlf(std::string_view text) {
  std::string out;
  out.reserve(text.size() + text.size() / 40);
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\n' && (i == 0 || text[i - 1] != '\r')) out += '\r';
    out += text[i];
  }
  return out;
}

// The key names (<s>._domainkey.<d>, lower case) the DKIM-Signature fields of `raw` ask for.
std::set<std::string> key_names(const std::string& raw) {
  std::set<std::string> out;
  core::Message m(raw);
  for (const auto* f : m.find_all("DKIM-Signature")) {
    std::string v;
    for (char c : m.raw_value(*f))
      if (c != ' ' && c != '\t' && c != '\r' && c != '\n') v += c;
    auto tag = [&](const std::string& name) {
      size_t p = (";" + v).find(";" + name + "=");
      if (p == std::string::npos) return std::string();
      size_t e = v.find(';', p);
      return v.substr(p + name.size() + 1, e == std::string::npos ? e : e - p - name.size() - 1);
    };
    std::string s = tag("s"), d = tag("d");
    if (!s.empty() && !d.empty()) out.insert(core::to_lower(s + "._domainkey." + d));
  }
  return out;
}

// A resolver answering `keys` {name, record} from local data; every other name NXDOMAIN.
std::shared_ptr<dns::Resolver> differential_resolver(
    const std::vector<std::pair<std::string, std::string>>& keys) {
  dns::Options o;
  o.forwarders = {"127.0.0.1@9"};  // never asked: "." is a static zone
  o.timeout = std::chrono::milliseconds(300);
  o.local_data = {"local-zone: \".\" static"};
  for (const auto& [name, rec] : keys) o.local_data.push_back(test::txt_line(name, rec));
  auto r = dns::Resolver::create(o);
  REQUIRE(r);
  return *r;
}

// Signs `raw` with libopendkim (the oracle signs too), field on top; "" when it cannot.
std::string oracle_sign(const std::string& raw, const std::string& pem, const char* selector,
                        dkim_canon_t hc, dkim_canon_t bc, dkim_alg_t alg, ssize_t length) {
  const test::LeaksIgnored libopendkim_leaks_its_signing_key;
  DKIM_LIB* lib = dkim_init(nullptr, nullptr);
  REQUIRE(lib);
  DKIM_STAT st;
  DKIM* d = dkim_sign(lib, reinterpret_cast<const u_char*>("t"), nullptr,
                      reinterpret_cast<dkim_sigkey_t>(const_cast<char*>(pem.data())),
                      reinterpret_cast<const u_char*>(selector),
                      reinterpret_cast<const u_char*>("example.com"), hc, bc, alg, length, &st);
  std::string out;
  if (d) {
    std::string copy = raw;
    u_char* buf = nullptr;
    size_t len = 0;
    if (dkim_chunk(d, reinterpret_cast<u_char*>(copy.data()), copy.size()) == DKIM_STAT_OK &&
        dkim_chunk(d, nullptr, 0) == DKIM_STAT_OK && dkim_eom(d, nullptr) == DKIM_STAT_OK &&
        dkim_getsighdr_d(d, 16, &buf, &len) == DKIM_STAT_OK) {
      std::string folded;
      for (char c : std::string(reinterpret_cast<char*>(buf), len)) {
        if (c == '\n') folded += '\r';
        folded += c;
      }
      out = "DKIM-Signature: " + folded + "\r\n" + raw;
    }
    dkim_free(d);
  }
  dkim_close(lib);
  return out;
}

struct Allowed {
  std::string reason;
  bool used = false;
};

// "<case>\t<signature index>\t<reason>" lines; '#' starts a comment.
std::map<std::pair<std::string, size_t>, Allowed> load_allowlist() {
  std::map<std::pair<std::string, size_t>, Allowed> out;
  std::istringstream in(slurp(kAllowlist));
  for (std::string line; std::getline(in, line);) {
    if (line.empty() || line[0] == '#') continue;
    size_t t1 = line.find('\t'), t2 = line.find('\t', t1 + 1);
    REQUIRE(t2 != std::string::npos);
    out[{line.substr(0, t1), std::stoul(line.substr(t1 + 1, t2 - t1 - 1))}] =
        Allowed{line.substr(t2 + 1)};
  }
  return out;
}

std::string describe(const auth::DkimSignature& s) {
  return fmt::format("{} d={} s={} a={} b={} i={} bits={}{} ({})", to_string(s.result), s.domain,
                     s.selector, s.algorithm, s.b, s.identity, s.key_bits,
                     s.body_length_limited ? " l<body" : "", s.detail);
}

bool same(const auth::DkimSignature& a, const auth::DkimSignature& b) {
  return a.result == b.result && a.domain == b.domain && a.selector == b.selector &&
         a.algorithm == b.algorithm && a.b == b.b && a.identity == b.identity &&
         a.body_length_limited == b.body_length_limited &&
         (a.key_bits == b.key_bits || a.key_bits == 0 || b.key_bits == 0);
}

struct Tally {
  size_t messages = 0, signatures = 0, identical = 0, allowed = 0, passes = 0;
  std::vector<std::string> differences;
};

class Differential {
 public:
  Differential() : allow_(load_allowlist()) {
    auth::DkimOptions o;
    o.max_signatures = 100;
    o.verifier = auth::DkimVerifierKind::Native;
    auto n = auth::DkimVerifier::create(o);
    o.verifier = auth::DkimVerifierKind::LibOpenDkim;
    auto l = auth::DkimVerifier::create(o);
    REQUIRE(n);
    REQUIRE(l);
    native_ = *n;
    oracle_ = *l;
  }

  void compare(const std::string& id, const std::string& raw,
               const std::shared_ptr<dns::Resolver>& res, Tally& t) {
    core::Message m(raw);
    dns::Budget b1(res, 200), b2(res, 200);
    auto a = native_->verify(m, b1);
    auto o = oracle_->verify(m, b2);
    ++t.messages;
    size_t n = std::max(a.results.signatures.size(), o.results.signatures.size());
    for (size_t i = 0; i < n; ++i) {
      ++t.signatures;
      const auth::DkimSignature* x =
          i < a.results.signatures.size() ? &a.results.signatures[i] : nullptr;
      const auth::DkimSignature* y =
          i < o.results.signatures.size() ? &o.results.signatures[i] : nullptr;
      if (x && y && same(*x, *y)) {
        ++t.identical;
        t.passes += x->result == auth::DkimStatus::Pass;
        continue;
      }
      auto it = allow_.find({id, i});
      if (it != allow_.end()) {
        it->second.used = true;
        ++t.allowed;
        continue;
      }
      t.differences.push_back(fmt::format("{}\t{}\n  native:      {}\n  libopendkim: {}", id, i,
                                          x ? describe(*x) : "(none)",
                                          y ? describe(*y) : "(none)"));
    }
  }

  std::vector<std::string> unused_allowances() const {
    std::vector<std::string> out;
    for (const auto& [k, v] : allow_)
      if (!v.used) out.push_back(fmt::format("{}\t{}\t{}", k.first, k.second, v.reason));
    return out;
  }

 private:
  std::map<std::pair<std::string, size_t>, Allowed> allow_;
  std::shared_ptr<const auth::DkimVerifier> native_, oracle_;
};

void report(const char* set, const Tally& t) {
  std::printf(
      "dkim differential, %s: %zu messages, %zu signatures compared, %zu identical "
      "(%zu pass), %zu allow-listed, %zu different\n",
      set, t.messages, t.signatures, t.identical, t.passes, t.allowed, t.differences.size());
  for (const auto& d : t.differences) std::printf("  %s\n", d.c_str());
}

std::vector<std::string> files_under(const std::string& dir) {
  std::vector<std::string> out;
  for (const auto& e : fs::recursive_directory_iterator(dir))
    if (e.is_regular_file()) out.push_back(e.path().string());
  std::sort(out.begin(), out.end());
  return out;
}

bool has_signature(const std::string& raw) {
  return !key_names(raw).empty() || core::Message(raw).count("DKIM-Signature") > 0;
}

}  // namespace

TEST_CASE("native and libopendkim agree on every signed corpus message",
          "[dkim][corpus][diff][all-mail]") {
  Differential diff;
  std::string dk = kCorpusRoot + "/auth/dkim/";

  // keys: the corpus mail whose keys exist offline.
  Tally keys;
  std::vector<std::pair<std::string, std::string>> mail_auth_001;
  for (int i = 1; i <= 6; ++i) {
    std::string file = fmt::format("mail-auth/00{}.txt", i);
    std::string text = slurp(dk + file);
    size_t split = text.find("\n\n");
    std::vector<std::pair<std::string, std::string>> recs;
    std::istringstream lines(text.substr(0, split));
    for (std::string line; std::getline(lines, line);)
      recs.push_back({line.substr(0, line.find(' ')), line.substr(line.find(' ') + 1)});
    if (i == 1) mail_auth_001 = recs;
    diff.compare("auth/dkim/" + file, to_crlf(text.substr(split + 2)), differential_resolver(recs),
                 keys);
  }
  std::vector<std::string> records, messages;
  for (const auto& f : files_under(dk + "dkimpy/data")) {
    std::string first = slurp(f).substr(0, slurp(f).find('\n'));
    if ((f.ends_with(".txt") || f.ends_with(".dns")) && first.find("p=") != std::string::npos)
      records.push_back(f);
    else if (f.ends_with(".msg") || f.ends_with(".message"))
      messages.push_back(f);
  }
  for (const auto& msg : messages) {
    std::string raw = to_crlf(slurp(msg));
    std::set<std::string> names = key_names(raw);
    if (names.empty()) continue;
    for (const auto& rec : records) {
      std::string text = slurp(rec);
      std::vector<std::pair<std::string, std::string>> zone;
      for (const auto& n : names) zone.push_back({n, text.substr(0, text.find('\n'))});
      diff.compare(
          fs::relative(msg, kCorpusRoot).string() + " with " + fs::path(rec).filename().string(),
          raw, differential_resolver(zone), keys);
    }
  }
  std::string rfc8463 = kCorpusRoot + "/mime/torture/rfc-8463.eml";
  diff.compare("mime/torture/rfc-8463.eml", to_crlf(slurp(rfc8463)),
               differential_resolver(mail_auth_001), keys);
  report("keys", keys);

  // no-keys: every other signed corpus message, every key NXDOMAIN.
  Tally nokeys;
  auto nx = differential_resolver({});
  for (const char* dir : {"ham", "spam", "phish", "mime"}) {
    for (const auto& f : files_under(kCorpusRoot + "/" + dir)) {
      if (f == rfc8463) continue;
      std::string raw = to_crlf(slurp(f));
      if (!has_signature(raw)) continue;
      diff.compare(fs::relative(f, kCorpusRoot).string(), raw, nx, nokeys);
    }
  }
  report("no-keys", nokeys);

  // re-signed: real mail signed again by libopendkim, some of it changed after signing.
  Tally resigned;
  test::TempDir tmp;
  test::DkimKey rsa = test::make_key(tmp, "rsa", 2048), ed = test::make_key(tmp, "ed", 0);
  std::string rsa_pem = slurp(rsa.pem_path), ed_pem = slurp(ed.pem_path);
  auto res = differential_resolver(
      {{"r._domainkey.example.com", rsa.record}, {"e._domainkey.example.com", ed.record}});
  std::vector<std::string> sample;
  auto usrp = files_under(kCorpusRoot + "/ham/usrp");
  for (size_t i = 0; i < usrp.size(); i += 8) sample.push_back(usrp[i]);
  for (const char* dir : {"/mime/torture", "/mime/rspamd"})
    for (const auto& f : files_under(kCorpusRoot + dir)) sample.push_back(f);
  size_t k = 0;
  for (const auto& f : sample) {
    std::string raw = to_crlf(slurp(f));
    const std::string& s = raw;
    std::string signed_raw;
    switch (k++ % 4) {
      case 0:
        signed_raw = oracle_sign(s, rsa_pem, "r", DKIM_CANON_SIMPLE, DKIM_CANON_SIMPLE,
                                 DKIM_SIGN_RSASHA256, -1);
        break;
      case 1:
        signed_raw = oracle_sign(s, ed_pem, "e", DKIM_CANON_RELAXED, DKIM_CANON_RELAXED,
                                 DKIM_SIGN_ED25519SHA256, -1);
        break;
      case 2:
        signed_raw = oracle_sign(s, rsa_pem, "r", DKIM_CANON_RELAXED, DKIM_CANON_SIMPLE,
                                 DKIM_SIGN_RSASHA256, 200);
        break;
      default:
        signed_raw = oracle_sign(s, rsa_pem, "r", DKIM_CANON_RELAXED, DKIM_CANON_RELAXED,
                                 DKIM_SIGN_RSASHA1, -1);
    }
    if (signed_raw.empty()) continue;
    if (k % 3 == 0) signed_raw += "Appended after signing.\r\n";
    diff.compare("re-signed " + fs::relative(f, kCorpusRoot).string(), signed_raw, res, resigned);
  }
  report("re-signed", resigned);

  std::vector<std::string> stale = diff.unused_allowances();
  for (const auto& s : stale) std::printf("stale allowlist entry: %s\n", s.c_str());
  CHECK(keys.differences.empty());
  CHECK(nokeys.differences.empty());
  CHECK(resigned.differences.empty());
  CHECK(stale.empty());
  // The sets are what they claim: real comparisons, passes among them.
  CHECK(keys.signatures >= 70);
  CHECK(keys.passes >= 10);
  CHECK(nokeys.messages >= 1000);
  CHECK(resigned.messages >= 200);
  CHECK(resigned.passes >= 100);
}
