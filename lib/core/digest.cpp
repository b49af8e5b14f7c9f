// SHA-256 over OpenSSL's EVP_Digest, HMAC-SHA256 over HMAC() (see digest.hpp).
#include "core/digest.hpp"

#include <openssl/evp.h>
#include <openssl/hmac.h>

namespace postern::core {

std::string sha256(std::string_view data) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(data.data(), data.size(), md, &len, EVP_sha256(), nullptr);
  return std::string(reinterpret_cast<const char*>(md), len);
}

std::string sha256_hex(std::string_view data) {
  static const char* hex = "0123456789abcdef";
  std::string md = sha256(data);
  std::string out;
  out.reserve(md.size() * 2);
  for (unsigned char c : md) {
    out.push_back(hex[c >> 4]);
    out.push_back(hex[c & 15]);
  }
  return out;
}

std::string hmac_sha256(std::string_view key, std::string_view data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (!HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
            reinterpret_cast<const unsigned char*>(data.data()), data.size(), out, &len))
    return {};
  return std::string(reinterpret_cast<const char*>(out), len);
}

}  // namespace postern::core
