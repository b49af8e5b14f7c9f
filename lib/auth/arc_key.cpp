// ArcKey over libcrypto's EVP_PKEY (see arc_key.hpp).
#include "auth/arc_key.hpp"

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/sha.h>
#include <openssl/x509.h>

#include <fstream>
#include <sstream>

#include "auth/arc_canon.hpp"

namespace postern::auth::arc {
namespace {

struct MdCtxFree {
  void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); }
};
using MdCtx = std::unique_ptr<EVP_MD_CTX, MdCtxFree>;
struct BioFree {
  void operator()(BIO* b) const { BIO_free(b); }
};

// Colon-separated list `list` (whitespace allowed) contains `item`.
bool list_has(std::string_view list, std::string_view item) {
  size_t pos = 0;
  while (pos <= list.size()) {
    size_t c = list.find(':', pos);
    if (c == std::string_view::npos) c = list.size();
    std::string v = relaxed_value(list.substr(pos, c - pos));
    if (v == item) return true;
    pos = c + 1;
  }
  return false;
}

std::string sha256(std::string_view data) {
  unsigned char h[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(data.data()), data.size(), h);
  return std::string(reinterpret_cast<char*>(h), sizeof h);
}

}  // namespace

postern::expected<ArcKey, std::string> ArcKey::wrap(EVP_PKEY* k) {
  std::shared_ptr<EVP_PKEY> p(k, EVP_PKEY_free);
  int id = EVP_PKEY_get_base_id(k);
  if (id == EVP_PKEY_ED25519) return ArcKey(std::move(p), Kind::Ed25519, 256);
  if (id != EVP_PKEY_RSA) return postern::unexpected(std::string("not an RSA or Ed25519 key"));
  auto bits = static_cast<unsigned>(EVP_PKEY_get_bits(k));
  if (bits < kMinRsaBits || bits > kMaxRsaBits)
    return postern::unexpected("RSA key of " + std::to_string(bits) + " bits (1024..8192 allowed)");
  return ArcKey(std::move(p), Kind::Rsa, bits);
}

postern::expected<ArcKey, std::string> ArcKey::from_record(std::string_view record) {
  if (record.size() > kMaxKeyRecord) return postern::unexpected(std::string("key record too long"));
  auto tags = TagList::parse(record);
  if (!tags) return postern::unexpected("bad key record: " + tags.error());
  if (auto v = tags->get("v")) {
    if (*v != "DKIM1" || tags->tags().front().name != "v")
      return postern::unexpected(std::string("bad key record version"));
  }
  if (auto h = tags->get("h"); h && !list_has(*h, "sha256"))
    return postern::unexpected(std::string("key record does not allow sha256"));
  if (auto s = tags->get("s"); s && !list_has(*s, "*") && !list_has(*s, "email"))
    return postern::unexpected(std::string("key record not for email"));
  auto p = tags->get("p");
  if (!p) return postern::unexpected(std::string("key record has no p="));
  auto der = base64_decode(*p);
  if (!der) return postern::unexpected(std::string("key record p= is not base64"));
  if (der->empty()) return postern::unexpected(std::string("key revoked (empty p=)"));
  std::string_view k = tags->get("k").value_or("rsa");
  auto bytes = reinterpret_cast<const unsigned char*>(der->data());
  if (k == "ed25519") {
    if (der->size() != 32) return postern::unexpected(std::string("bad ed25519 key"));
    EVP_PKEY* e = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nullptr, bytes, 32);
    if (!e) return postern::unexpected(std::string("bad ed25519 key"));
    return wrap(e);
  }
  if (k != "rsa") return postern::unexpected("unknown key type k=" + std::string(k));
  const unsigned char* q = bytes;
  EVP_PKEY* r = d2i_PUBKEY(nullptr, &q, static_cast<long>(der->size()));
  if (!r) {  // some records carry a bare PKCS#1 RSAPublicKey
    q = bytes;
    r = d2i_PublicKey(EVP_PKEY_RSA, nullptr, &q, static_cast<long>(der->size()));
  }
  if (!r) return postern::unexpected(std::string("key record p= is not a public key"));
  if (EVP_PKEY_get_base_id(r) != EVP_PKEY_RSA) {
    EVP_PKEY_free(r);
    return postern::unexpected(std::string("k=rsa but p= is not an RSA key"));
  }
  return wrap(r);
}

postern::expected<ArcKey, std::string> ArcKey::from_private_pem(std::string_view pem) {
  std::unique_ptr<BIO, BioFree> bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  if (!bio) return postern::unexpected(std::string("out of memory"));
  EVP_PKEY* k = PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr);
  if (!k) return postern::unexpected(std::string("not a PEM private key"));
  return wrap(k);
}

postern::expected<ArcKey, std::string> ArcKey::load_private_pem_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return postern::unexpected(path + ": cannot read the key file");
  std::ostringstream s;
  s << in.rdbuf();
  auto k = from_private_pem(s.str());
  if (!k) return postern::unexpected(path + ": " + k.error());
  return k;
}

std::string_view ArcKey::algorithm() const {
  return kind_ == Kind::Rsa ? "rsa-sha256" : "ed25519-sha256";
}

postern::expected<std::string, std::string> ArcKey::sign(std::string_view data) const {
  MdCtx ctx(EVP_MD_CTX_new());
  std::string digest =
      kind_ == Kind::Rsa ? std::string() : sha256(data);  // RFC 8463: sign the hash
  std::string_view input = kind_ == Kind::Rsa ? data : std::string_view(digest);
  const EVP_MD* md = kind_ == Kind::Rsa ? EVP_sha256() : nullptr;
  size_t len = 0;
  auto in = reinterpret_cast<const unsigned char*>(input.data());
  if (!ctx || EVP_DigestSignInit(ctx.get(), nullptr, md, nullptr, pkey_.get()) != 1 ||
      EVP_DigestSign(ctx.get(), nullptr, &len, in, input.size()) != 1)
    return postern::unexpected(std::string("cannot sign with this key"));
  std::string sig(len, '\0');
  if (EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(sig.data()), &len, in,
                     input.size()) != 1)
    return postern::unexpected(std::string("signing failed"));
  sig.resize(len);
  return sig;
}

bool ArcKey::verify(std::string_view data, std::string_view signature) const {
  MdCtx ctx(EVP_MD_CTX_new());
  std::string digest =
      kind_ == Kind::Rsa ? std::string() : sha256(data);  // RFC 8463: sign the hash
  std::string_view input = kind_ == Kind::Rsa ? data : std::string_view(digest);
  const EVP_MD* md = kind_ == Kind::Rsa ? EVP_sha256() : nullptr;
  if (!ctx || EVP_DigestVerifyInit(ctx.get(), nullptr, md, nullptr, pkey_.get()) != 1) return false;
  return EVP_DigestVerify(ctx.get(), reinterpret_cast<const unsigned char*>(signature.data()),
                          signature.size(), reinterpret_cast<const unsigned char*>(input.data()),
                          input.size()) == 1;
}

}  // namespace postern::auth::arc
