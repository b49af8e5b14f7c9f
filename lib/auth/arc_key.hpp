// ArcKey: one RSA or Ed25519 key for ARC signatures (OpenSSL libcrypto).
//
// Contract: a public key comes from a DKIM key record (RFC 6376 3.6.1: the TXT
// of <s>._domainkey.<d>; v=DKIM1 first if present, k=rsa|ed25519, p= base64,
// empty p= = revoked, h= must allow sha256, s= must allow email); a private key
// from a PEM file (PKCS#1 or PKCS#8). Algorithms: rsa-sha256 (RFC 6376; RSA
// keys of 1024..8192 bits, anything else is refused: short keys are forgeable,
// huge ones cost CPU) and ed25519-sha256 (RFC 8463). `sign`/`verify` take the
// canonical bytes and hash them. Immutable after creation; thread-safe (the
// EVP_PKEY is shared and only read).
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "core/expected.hpp"

struct evp_pkey_st;

namespace postern::auth::arc {

inline constexpr unsigned kMinRsaBits = 1024;
inline constexpr unsigned kMaxRsaBits = 8192;
inline constexpr size_t kMaxKeyRecord = 8192;  // bytes of one key TXT record

class ArcKey {
 public:
  enum class Kind { Rsa, Ed25519 };

  // The public key of a DKIM key record (errors say why in a few words).
  static postern::expected<ArcKey, std::string> from_record(std::string_view record);
  // A private key in PEM text / a PEM file (the error names the file).
  static postern::expected<ArcKey, std::string> from_private_pem(std::string_view pem);
  static postern::expected<ArcKey, std::string> load_private_pem_file(const std::string& path);

  Kind kind() const { return kind_; }
  unsigned bits() const { return bits_; }
  // "rsa-sha256" or "ed25519-sha256": the a= value this key signs or verifies.
  std::string_view algorithm() const;

  // Signs `data` (raw signature bytes); only for private keys.
  postern::expected<std::string, std::string> sign(std::string_view data) const;
  bool verify(std::string_view data, std::string_view signature) const;

 private:
  ArcKey(std::shared_ptr<evp_pkey_st> k, Kind kind, unsigned bits)
      : pkey_(std::move(k)), kind_(kind), bits_(bits) {}
  static postern::expected<ArcKey, std::string> wrap(evp_pkey_st* k);

  std::shared_ptr<evp_pkey_st> pkey_;
  Kind kind_ = Kind::Rsa;
  unsigned bits_ = 0;
};

}  // namespace postern::auth::arc
