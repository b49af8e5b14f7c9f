// DKIM: the verifier choice, the libopendkim verifier with keys through lib/dns, and our
// own signing (see dkim.hpp; the native verifier is dkim_native.cpp).
#include "auth/dkim.hpp"

#include <fmt/format.h>
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <algorithm>
#include <cstring>
#include <ctime>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "auth/signature.hpp"
#include "core/address.hpp"
#include "core/digest.hpp"

#define _Bool bool
#include <dkim.h>
#undef _Bool

namespace postern::auth {

struct DkimVerifier::Handle {
  DKIM_LIB* lib = nullptr;
  ~Handle() {
    if (lib) dkim_close(lib);
  }
};

namespace {

using DkimPtr = std::unique_ptr<DKIM, decltype(&dkim_free)>;

const char* kSignedHeaderNames[] = {"From",
                                    "To",
                                    "Cc",
                                    "Subject",
                                    "Date",
                                    "Message-ID",
                                    "Reply-To",
                                    "In-Reply-To",
                                    "References",
                                    "MIME-Version",
                                    "Content-Type",
                                    "Content-Transfer-Encoding",
                                    "Content-Disposition",
                                    "List-Unsubscribe",
                                    "List-Unsubscribe-Post",
                                    nullptr};

// Oversigned (RFC 6376 8.15): each is listed once more in h= than it occurs, so a
// field of that name added later (a second From or Subject on top, which mail
// clients show) breaks the signature instead of riding on it.
const char* kOversignedHeaderNames[] = {
    "From",     "To",         "Cc",           "Subject",      "Date",
    "Reply-To", "Message-ID", "MIME-Version", "Content-Type", "Content-Transfer-Encoding",
    nullptr};

// What one verification shares with libopendkim's callbacks (dkim_set_user_context).
struct VerifyContext {
  dns::Budget* budget = nullptr;
  size_t max_signatures = 0;
  bool skip_all = false;  // truncated message: list the signatures, evaluate none
  size_t seen = 0;
  std::map<std::string, std::shared_future<dns::Answer>> queries;  // lower-case key name
  std::map<std::string, dns::Answer> answers;
  std::set<std::string> too_long;  // key records larger than libopendkim's buffer
};

std::string str(const unsigned char* p) {
  return p ? std::string(reinterpret_cast<const char*>(p)) : std::string();
}

// "<s>._domainkey.<d>", lower-case; "" when either tag is missing.
std::string key_name(DKIM_SIGINFO* sig) {
  std::string s = str(dkim_sig_getselector(sig)), d = str(dkim_sig_getdomain(sig));
  if (s.empty() || d.empty()) return {};
  return core::to_lower(s + "._domainkey." + d);
}

VerifyContext* context_of(DKIM* dkim) {
  return static_cast<VerifyContext*>(dkim_get_user_context(dkim));
}

// After the header block: bound the signatures and start every key query at once.
// libopendkim has parsed the signatures but not processed them yet: a well-formed one
// is still DKIM_SIGERROR_UNKNOWN here, and only one it already found broken (a syntax
// error, a missing tag) has an error of its own and needs no key.
DKIM_CBSTAT prescreen(DKIM* dkim, DKIM_SIGINFO** sigs, int nsigs) {
  VerifyContext* ctx = context_of(dkim);
  if (!ctx) return DKIM_CBSTAT_CONTINUE;
  try {
    ctx->seen = static_cast<size_t>(std::max(nsigs, 0));
    for (int i = 0; i < nsigs; ++i) {
      if (ctx->skip_all || static_cast<size_t>(i) >= ctx->max_signatures) {
        dkim_sig_ignore(sigs[i]);
        continue;
      }
      int err = dkim_sig_geterror(sigs[i]);
      if (err != DKIM_SIGERROR_UNKNOWN && err != DKIM_SIGERROR_OK) continue;
      std::string name = key_name(sigs[i]);
      if (!name.empty() && !ctx->queries.contains(name))
        ctx->queries.emplace(name, ctx->budget->query(name, dns::Type::TXT));
    }
  } catch (...) {
    return DKIM_CBSTAT_ERROR;
  }
  return DKIM_CBSTAT_CONTINUE;
}

// A key record whose p= is a bare PKCS#1 RSAPublicKey (RFC 6376 3.6.1's letter; some
// publishers use it) rewritten to SubjectPublicKeyInfo, the only form libopendkim reads.
// Any other record is returned unchanged.
std::string spki_record(const std::string& rec) {
  size_t p = std::string::npos;
  for (size_t i = rec.find("p="); i != std::string::npos; i = rec.find("p=", i + 1)) {
    size_t before = rec.find_last_not_of(" \t", i == 0 ? std::string::npos : i - 1);
    if (i == 0 || before == std::string::npos || rec[before] == ';') {
      p = i + 2;
      break;
    }
  }
  if (p == std::string::npos) return rec;
  size_t end = std::min(rec.find(';', p), rec.size());
  if (end - p > kMaxKeyRecord) return rec;
  auto der = base64_decode(std::string_view(rec).substr(p, end - p));
  if (!der || der->empty()) return rec;
  const auto* in = reinterpret_cast<const unsigned char*>(der->data());
  if (EVP_PKEY* spki = d2i_PUBKEY(nullptr, &in, static_cast<long>(der->size()))) {
    EVP_PKEY_free(spki);
    return rec;
  }
  in = reinterpret_cast<const unsigned char*>(der->data());
  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key(
      d2i_PublicKey(EVP_PKEY_RSA, nullptr, &in, static_cast<long>(der->size())), &EVP_PKEY_free);
  if (!key) return rec;
  unsigned char* out = nullptr;
  int len = i2d_PUBKEY(key.get(), &out);
  if (len <= 0) return rec;
  std::string enc =
      base64_encode(std::string_view(reinterpret_cast<char*>(out), static_cast<size_t>(len)));
  OPENSSL_free(out);
  return rec.substr(0, p) + enc + rec.substr(end);
}

// libopendkim asks for a key: wait for the query prescreen started (all of them are in
// flight by now, so N silent keys cost one timeout, not N).
DKIM_CBSTAT key_lookup(DKIM* dkim, DKIM_SIGINFO* sig, u_char* buf, size_t buflen) {
  VerifyContext* ctx = context_of(dkim);
  if (!ctx) return DKIM_CBSTAT_NOTFOUND;
  try {
    std::string name = key_name(sig);
    if (name.empty()) return DKIM_CBSTAT_NOTFOUND;
    auto it = ctx->queries.find(name);
    if (it == ctx->queries.end())
      it = ctx->queries.emplace(name, ctx->budget->query(name, dns::Type::TXT)).first;
    dns::Answer a = it->second.get();
    ctx->answers[name] = a;
    switch (a.status) {
      case dns::Status::Ok: {
        if (a.records.empty()) return DKIM_CBSTAT_NOTFOUND;
        // Several TXT records: the one that looks like a key (RFC 6376 3.6.2.2 lets us choose).
        auto rec = std::find_if(a.records.begin(), a.records.end(), [](const std::string& r) {
          return r.find("p=") != std::string::npos;
        });
        std::string r = spki_record(rec == a.records.end() ? a.records.front() : *rec);
        if (r.size() + 1 > buflen) {
          ctx->too_long.insert(name);
          return DKIM_CBSTAT_NOTFOUND;
        }
        std::memcpy(buf, r.data(), r.size());
        buf[r.size()] = '\0';
        return DKIM_CBSTAT_CONTINUE;
      }
      default:
        // Also for DNS failures: TRYAGAIN would make libopendkim stop at this signature and
        // give no results at all; verify() maps the recorded answer to temperror itself.
        return DKIM_CBSTAT_NOTFOUND;
    }
  } catch (...) {
    return DKIM_CBSTAT_NOTFOUND;
  }
}

// A signature tag's raw value, "" when absent.
std::string tag(DKIM_SIGINFO* sig, const char* name) {
  return str(dkim_sig_gettagvalue(sig, false, reinterpret_cast<u_char*>(const_cast<char*>(name))));
}

std::string first_b(DKIM_SIGINFO* sig) {
  std::string b;
  for (char c : tag(sig, "b"))
    if (!std::isspace(static_cast<unsigned char>(c))) b += c;
  return b.substr(0, 8);
}

void set_option(DKIM_LIB* lib, dkim_opts_t opt, void* value, size_t len, const char* what,
                std::string& err) {
  if (err.empty() && dkim_options(lib, DKIM_OP_SETOPT, opt, value, len) != DKIM_STAT_OK)
    err = fmt::format("libopendkim rejected option {}", what);
}

// The PEM key in `path`, checked against `alg` and re-encoded as PKCS#8.
postern::expected<std::string, std::string> load_key(const std::string& path, DkimAlgorithm alg) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return postern::unexpected(fmt::format("cannot read key file {}", path));
  std::stringstream ss;
  ss << in.rdbuf();
  std::string text = ss.str();
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(
      BIO_new_mem_buf(text.data(), static_cast<int>(text.size())), &BIO_free);
  pem_password_cb* no_passphrase = [](char*, int, int, void*) { return 0; };
  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key(
      bio ? PEM_read_bio_PrivateKey(bio.get(), nullptr, no_passphrase, nullptr) : nullptr,
      &EVP_PKEY_free);
  if (!key)
    return postern::unexpected(
        fmt::format("key file {}: not an unencrypted PEM private key", path));
  int type = EVP_PKEY_get_base_id(key.get());
  if (alg == DkimAlgorithm::RsaSha256) {
    if (type != EVP_PKEY_RSA)
      return postern::unexpected(fmt::format("key file {}: not an RSA key (rsa-sha256)", path));
    if (EVP_PKEY_get_bits(key.get()) < 1024)
      return postern::unexpected(
          fmt::format("key file {}: RSA key of {} bits, at least 1024 (RFC 8301)", path,
                      EVP_PKEY_get_bits(key.get())));
  } else if (type != EVP_PKEY_ED25519) {
    return postern::unexpected(
        fmt::format("key file {}: not an ed25519 key (ed25519-sha256)", path));
  }
  std::unique_ptr<BIO, decltype(&BIO_free)> out(BIO_new(BIO_s_mem()), &BIO_free);
  if (!out ||
      PEM_write_bio_PrivateKey(out.get(), key.get(), nullptr, nullptr, 0, nullptr, nullptr) != 1)
    return postern::unexpected(fmt::format("key file {}: cannot re-encode the key", path));
  char* data = nullptr;
  long n = BIO_get_mem_data(out.get(), &data);
  return std::string(data, static_cast<size_t>(n));
}

}  // namespace

const std::vector<std::string> kDkimSignedHeaders(std::begin(kSignedHeaderNames),
                                                  std::end(kSignedHeaderNames) - 1);

std::string_view to_string(DkimAlgorithm a) {
  return a == DkimAlgorithm::RsaSha256 ? "rsa-sha256" : "ed25519-sha256";
}

size_t dkim_canonical_body_length(std::string_view body, bool relaxed) {
  return canon_body(relaxed ? Canon::Relaxed : Canon::Simple, body).size();
}

std::string_view to_string(DkimVerifierKind k) {
  return k == DkimVerifierKind::Native ? "native" : "libopendkim";
}

DkimVerifier::DkimVerifier(std::unique_ptr<Handle> lib, DkimOptions o)
    : lib_(std::move(lib)), keys_(lib_ ? nullptr : make_key_cache()), options_(o) {}
DkimVerifier::~DkimVerifier() = default;

DkimVerification DkimVerifier::verify(const core::Message& m, dns::Budget& budget) const {
  return lib_ ? verify_libopendkim(m, budget) : verify_native(m, budget);
}

postern::expected<std::shared_ptr<const DkimVerifier>, std::string> DkimVerifier::create(
    const DkimOptions& options) {
  if (options.verifier == DkimVerifierKind::Native)
    return std::shared_ptr<const DkimVerifier>(new DkimVerifier(nullptr, options));
  auto h = std::make_unique<Handle>();
  h->lib = dkim_init(nullptr, nullptr);
  if (!h->lib) return postern::unexpected(std::string("dkim_init failed"));
  std::string err;
  u_int flags = 0;
  dkim_options(h->lib, DKIM_OP_GETOPT, DKIM_OPTS_FLAGS, &flags, sizeof flags);
  flags |= DKIM_LIBFLAGS_BADSIGHANDLES;  // a result for unparsable signatures too
  set_option(h->lib, DKIM_OPTS_FLAGS, &flags, sizeof flags, "flags", err);
  u_int min_bits = 1;  // RSA key size is judged here (RFC 8301), not for ed25519's 256 bits
  set_option(h->lib, DKIM_OPTS_MINKEYBITS, &min_bits, sizeof min_bits, "minkeybits", err);
  // The option takes the NULL-terminated array itself (as opendkim's filter passes it).
  set_option(h->lib, DKIM_OPTS_SIGNHDRS, static_cast<void*>(kSignedHeaderNames),
             sizeof(const char**), "signhdrs", err);
  set_option(h->lib, DKIM_OPTS_OVERSIGNHDRS, static_cast<void*>(kOversignedHeaderNames),
             sizeof(const char**), "oversignhdrs", err);
  if (err.empty() && dkim_set_prescreen(h->lib, &prescreen) != DKIM_STAT_OK)
    err = "dkim_set_prescreen failed";
  if (err.empty() && dkim_set_key_lookup(h->lib, &key_lookup) != DKIM_STAT_OK)
    err = "dkim_set_key_lookup failed";
  if (!err.empty()) return postern::unexpected(err);
  return std::shared_ptr<const DkimVerifier>(new DkimVerifier(std::move(h), options));
}

DkimVerification DkimVerifier::verify_libopendkim(const core::Message& m,
                                                  dns::Budget& budget) const {
  DkimVerification out;
  VerifyContext ctx;
  ctx.budget = &budget;
  ctx.max_signatures = options_.max_signatures;
  ctx.skip_all = m.truncated();
  DKIM_STAT st = DKIM_STAT_OK;
  DkimPtr d(dkim_verify(lib_->lib, reinterpret_cast<const u_char*>("postern"), nullptr, &st),
            &dkim_free);
  if (!d) return out;
  dkim_set_user_context(d.get(), &ctx);
  auto* raw = reinterpret_cast<u_char*>(const_cast<char*>(m.raw().data()));
  st = dkim_chunk(d.get(), raw, m.raw().size());
  if (st == DKIM_STAT_OK) st = dkim_chunk(d.get(), nullptr, 0);
  if (st == DKIM_STAT_OK) st = dkim_eom(d.get(), nullptr);

  DKIM_SIGINFO** sigs = nullptr;
  int nsigs = 0;
  if (dkim_getsiglist(d.get(), &sigs, &nsigs) != DKIM_STAT_OK || nsigs <= 0) return out;
  out.signatures_seen = static_cast<size_t>(nsigs);
  out.limited = out.signatures_seen > options_.max_signatures;
  size_t n = std::min(out.signatures_seen, options_.max_signatures);
  for (size_t i = 0; i < n; ++i) {
    DKIM_SIGINFO* sig = sigs[i];
    DkimSignature r;
    r.domain = str(dkim_sig_getdomain(sig));
    r.selector = str(dkim_sig_getselector(sig));
    r.algorithm = tag(sig, "a");
    r.identity = tag(sig, "i");
    r.b = first_b(sig);
    unsigned flags = dkim_sig_getflags(sig);
    int err = dkim_sig_geterror(sig);
    dkim_alg_t alg = DKIM_SIGN_UNKNOWN;
    dkim_sig_getsignalg(sig, &alg);
    u_int bits = 0;
    if (dkim_sig_getkeysize(sig, &bits) == DKIM_STAT_OK) r.key_bits = bits;
    ssize_t signlen = -1;
    dkim_sig_getcanonlen(d.get(), sig, nullptr, nullptr, &signlen);
    if (signlen >= 0) {
      dkim_canon_t hc = DKIM_CANON_SIMPLE, bc = DKIM_CANON_SIMPLE;
      dkim_sig_getcanons(sig, &hc, &bc);
      r.body_length_limited = static_cast<size_t>(signlen) <
                              dkim_canonical_body_length(m.body(), bc == DKIM_CANON_RELAXED);
    }
    std::string name = key_name(sig);
    auto ans = ctx.answers.find(name);
    dns::Status dns_status = ans == ctx.answers.end() ? dns::Status::Ok : ans->second.status;
    auto set = [&](DkimStatus s, std::string detail) {
      r.result = s;
      r.detail = std::move(detail);
    };
    if (flags & DKIM_SIGFLAG_IGNORE) {
      set(DkimStatus::Neutral, "message truncated: not verified");
    } else if (dns_status == dns::Status::ServFail || dns_status == dns::Status::Timeout ||
               dns_status == dns::Status::Budget) {
      set(DkimStatus::TempError, fmt::format("key {}: {}", name, dns::to_string(dns_status)));
    } else if (dns_status == dns::Status::Error) {
      // A name that cannot be asked (a label over 63 bytes, bad bytes) never will be: permanent.
      set(DkimStatus::PermError, fmt::format("key name {} is not a valid DNS name", name));
    } else if (ctx.too_long.contains(name)) {
      set(DkimStatus::PermError, fmt::format("key record at {} too long", name));
    } else if (err == DKIM_SIGERROR_NOKEY || dns_status == dns::Status::NxDomain ||
               dns_status == dns::Status::NoData) {
      set(DkimStatus::PermError, fmt::format("no key at {}", name));
    } else if (alg != DKIM_SIGN_ED25519SHA256 && r.key_bits > 0 &&
               r.key_bits < options_.min_key_bits) {
      set(DkimStatus::PermError,
          fmt::format("key too short: {} bits (at least {})", r.key_bits, options_.min_key_bits));
    } else if ((err == DKIM_SIGERROR_OK || err == DKIM_SIGERROR_BADSIG) &&
               (flags & DKIM_SIGFLAG_PROCESSED)) {
      if (DKIM_SIG_CHECK(sig))
        set(DkimStatus::Pass, "");
      else if (dkim_sig_getbh(sig) == DKIM_SIGBH_MISMATCH)
        set(DkimStatus::Fail, "body hash mismatch");
      else
        set(DkimStatus::Fail, "signature mismatch");
      if (alg == DKIM_SIGN_RSASHA1 && !options_.allow_rsa_sha1)
        set(DkimStatus::Fail, r.result == DkimStatus::Pass
                                  ? "rsa-sha1 is not accepted (RFC 8301)"
                                  : r.detail + "; rsa-sha1 is not accepted (RFC 8301)");
    } else if (err != DKIM_SIGERROR_OK) {
      const char* why = dkim_sig_geterrorstr(static_cast<DKIM_SIGERROR>(err));
      set(DkimStatus::PermError, why ? why : fmt::format("signature error {}", err));
    } else {
      set(DkimStatus::Neutral, "not evaluated");
    }
    out.results.signatures.push_back(std::move(r));
  }
  return out;
}

postern::expected<std::shared_ptr<const DkimSigner>, std::string> DkimSigner::create(
    const std::vector<DkimKeySpec>& specs) {
  std::vector<Key> keys;
  for (const auto& s : specs) {
    auto pem = load_key(s.key_file, s.algorithm);
    if (!pem) return postern::unexpected(pem.error());
    auto key = SignatureKey::from_private_pem(*pem);
    if (!key) return postern::unexpected(fmt::format("key file {}: {}", s.key_file, key.error()));
    keys.push_back(Key{s, std::make_shared<const SignatureKey>(std::move(*key))});
    keys.back().spec.domain = core::to_lower(s.domain);
  }
  std::shared_ptr<const DkimSigner> signer(new DkimSigner(std::move(keys)));
  // A trial signature: every key must sign now, not fail at the first message.
  core::Message probe("From: a@b\r\n\r\nx\r\n");
  for (const auto& k : signer->keys_) {
    Signed t = signer->sign(probe, k.spec.domain);
    if (!t.errors.empty())
      return postern::unexpected(fmt::format("key file {}: {}", k.spec.key_file, t.errors.front()));
  }
  return signer;
}

bool DkimSigner::matches(const Key& k, std::string_view from) const {
  const std::string& d = k.spec.domain;
  if (from == d) return true;
  return k.spec.subdomains && from.size() > d.size() + 1 && from.ends_with(d) &&
         from[from.size() - d.size() - 1] == '.';
}

bool DkimSigner::has_key_for(std::string_view from_domain) const {
  return std::any_of(keys_.begin(), keys_.end(),
                     [&](const Key& k) { return matches(k, from_domain); });
}

DkimSigner::Signed DkimSigner::sign(const core::Message& m, std::string_view from_domain) const {
  Signed out;
  std::string from = core::to_lower(from_domain);
  if (!has_key_for(from)) return out;
  // Shared by every key: the body hash and the signed fields (RFC 6376 5.4.2: the
  // fields of one name are taken from the bottom up; a name listed once more than
  // it occurs signs the absence of another one).
  std::string bh = base64_encode(core::sha256(canon_body(Canon::Relaxed, m.body())));
  std::vector<std::string> names;
  std::string data;
  for (const char* const* n = kSignedHeaderNames; *n; ++n) {
    std::vector<const core::HeaderField*> fields = m.find_all(*n);
    bool oversign =
        std::any_of(std::begin(kOversignedHeaderNames), std::end(kOversignedHeaderNames) - 1,
                    [&](const char* o) { return core::iequals(o, *n); });
    if (fields.empty() && !oversign) continue;
    for (auto it = fields.rbegin(); it != fields.rend(); ++it) {
      names.emplace_back(*n);
      data += canon_header(Canon::Relaxed, (*it)->name, m.raw_value(**it), {});
    }
    if (oversign) names.emplace_back(*n);
  }
  std::string h;
  for (const auto& n : names) h += (h.empty() ? "" : ":") + n;
  long now = static_cast<long>(std::time(nullptr));
  for (const auto& k : keys_) {
    if (!matches(k, from)) continue;
    std::string value =
        fmt::format("v=1; a={}; c=relaxed/relaxed; d={}; s={}; t={}; h={}; bh={}; b=",
                    to_string(k.spec.algorithm), k.spec.domain, k.spec.selector, now, h, bh);
    std::string signed_data = data + canon_header(Canon::Relaxed, "DKIM-Signature", value, {});
    signed_data.resize(signed_data.size() - 2);  // the signature field itself: no CRLF
    auto sig = k.key->sign(signed_data);
    if (!sig) {
      out.errors.push_back(fmt::format("{} {} {}: {}", k.spec.domain, k.spec.selector,
                                       to_string(k.spec.algorithm), sig.error()));
      continue;
    }
    out.signatures.push_back(
        Signature{k.spec.domain, k.spec.selector, k.spec.algorithm, value + base64_encode(*sig)});
  }
  return out;
}

}  // namespace postern::auth
