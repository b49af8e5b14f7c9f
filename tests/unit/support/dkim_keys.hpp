// DKIM test keys made at run time with OpenSSL, and their DNS records as local zone data.
//
// Contract: test-only. `make_key` generates an RSA key of `bits` or (bits == 0) an
// ed25519 key, writes its private PEM (PKCS#8) into `dir` and returns the path
// with the key record ("v=DKIM1; k=...; p=..."). `txt_line` turns a record into
// one unbound local-data line, split into quoted chunks of at most 255 bytes.
// Not thread-safe (writes files).
#pragma once

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "support/temp_dir.hpp"

namespace postern::test {

struct DkimKey {
  std::string pem_path;
  std::string record;  // TXT: "v=DKIM1; k=rsa; p=..."
  unsigned bits = 0;   // 0 = ed25519
};

inline std::string base64(const unsigned char* p, size_t n) {
  std::string out(4 * ((n + 2) / 3) + 1, '\0');
  int len = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), p, static_cast<int>(n));
  out.resize(static_cast<size_t>(len));
  return out;
}

inline DkimKey make_key(const TempDir& dir, const std::string& name, unsigned bits) {
  std::unique_ptr<EVP_PKEY_CTX, decltype(&EVP_PKEY_CTX_free)> ctx(
      EVP_PKEY_CTX_new_id(bits ? EVP_PKEY_RSA : EVP_PKEY_ED25519, nullptr), &EVP_PKEY_CTX_free);
  EVP_PKEY* raw = nullptr;
  if (!ctx || EVP_PKEY_keygen_init(ctx.get()) != 1 ||
      (bits && EVP_PKEY_CTX_set_rsa_keygen_bits(ctx.get(), static_cast<int>(bits)) != 1) ||
      EVP_PKEY_keygen(ctx.get(), &raw) != 1)
    throw std::runtime_error("keygen failed");
  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key(raw, &EVP_PKEY_free);
  DkimKey k;
  k.bits = bits;
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new(BIO_s_mem()), &BIO_free);
  PEM_write_bio_PrivateKey(bio.get(), key.get(), nullptr, nullptr, 0, nullptr, nullptr);
  char* data = nullptr;
  long n = BIO_get_mem_data(bio.get(), &data);
  k.pem_path = dir.write(name + ".pem", std::string(data, static_cast<size_t>(n)));
  if (bits) {
    unsigned char* der = nullptr;
    int len = i2d_PUBKEY(key.get(), &der);
    k.record = "v=DKIM1; k=rsa; p=" + base64(der, static_cast<size_t>(len));
    OPENSSL_free(der);
  } else {
    unsigned char pub[32];
    size_t len = sizeof pub;
    EVP_PKEY_get_raw_public_key(key.get(), pub, &len);
    k.record = "v=DKIM1; k=ed25519; p=" + base64(pub, len);
  }
  return k;
}

// `name. IN TXT "chunk" "chunk"` (no trailing dot needed in `name`).
inline std::string txt_line(const std::string& name, const std::string& record) {
  std::string line = name + ". IN TXT";
  for (size_t i = 0; i < record.size(); i += 255) line += " \"" + record.substr(i, 255) + "\"";
  if (record.empty()) line += " \"\"";
  return line;
}

}  // namespace postern::test
