// A throwaway S/MIME PKI for tests: a CA and end-entity certificates made at test
// time with the OpenSSL API (no key is committed), written as PEM files.
//
// Contract: test-only. `Pki pki(dir)` makes a CA (RSA 2048, "Postern Test CA", valid
// from a day ago for 30 days) and writes dir/ca.pem. `pki.issue(name, spec)` makes a
// key (RSA 2048, or EC P-256 when spec.ec) and a certificate signed by the CA (or
// self-signed when spec.self_signed), valid from spec.from_days to spec.to_days around
// now, with subjectAltName email:ADDR for every address, the given EKU and key usage
// ("" = the extension absent), and writes dir/NAME.pem and dir/NAME.key. Paths are
// returned. Any OpenSSL failure throws std::runtime_error. Not thread-safe.
#pragma once

#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <cstdio>
#include <filesystem>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace postern::test {

struct CertSpec {
  std::vector<std::string> emails;
  std::string subject_email;  // the subject's emailAddress ("" = none)
  long from_days = -1, to_days = 30;
  std::string eku = "emailProtection";
  std::string key_usage = "digitalSignature,keyEncipherment";
  bool ec = false;
  bool self_signed = false;
  // Chained setters (designated initializers of a struct with defaults trip
  // -Wmissing-field-initializers on g++ 12).
  CertSpec& email(std::string e) {
    emails.push_back(std::move(e));
    return *this;
  }
  CertSpec& subject(std::string e) {
    subject_email = std::move(e);
    return *this;
  }
  CertSpec& days(long from, long to) {
    from_days = from;
    to_days = to;
    return *this;
  }
  CertSpec& usage(std::string ext_key_usage, std::string key_usage_) {
    eku = std::move(ext_key_usage);
    key_usage = std::move(key_usage_);
    return *this;
  }
  CertSpec& ec_key() {
    ec = true;
    return *this;
  }
  CertSpec& self() {
    self_signed = true;
    return *this;
  }
};

struct Issued {
  std::string cert, key;  // PEM file paths
};

class Pki {
 public:
  explicit Pki(std::filesystem::path dir) : dir_(std::move(dir)) {
    std::filesystem::create_directories(dir_);
    ca_key_ = new_key(false);
    ca_ = make(ca_key_.get(), "Postern Test CA", {}, "", -1, 30, "", "critical,keyCertSign,cRLSign",
               true, nullptr, nullptr);
    ca_path_ = write_cert(ca_.get(), "ca.pem");
  }

  const std::string& ca_file() const { return ca_path_; }

  Issued issue(const std::string& name, const CertSpec& s) {
    auto key = new_key(s.ec);
    auto x =
        make(key.get(), name, s.emails, s.subject_email, s.from_days, s.to_days, s.eku, s.key_usage,
             false, s.self_signed ? nullptr : ca_.get(), s.self_signed ? nullptr : ca_key_.get());
    Issued out;
    out.cert = write_cert(x.get(), name + ".pem");
    out.key = (dir_ / (name + ".key")).string();
    FILE* f = std::fopen(out.key.c_str(), "w");
    if (!f || PEM_write_PrivateKey(f, key.get(), nullptr, nullptr, 0, nullptr, nullptr) != 1)
      throw std::runtime_error("cannot write " + out.key);
    std::fclose(f);
    return out;
  }

 private:
  using Key = std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)>;
  using Cert = std::unique_ptr<X509, decltype(&X509_free)>;

  static Key new_key(bool ec) {
    EVP_PKEY* k = ec ? EVP_EC_gen("P-256") : EVP_RSA_gen(2048);
    if (!k) throw std::runtime_error("key generation failed");
    return Key(k, EVP_PKEY_free);
  }

  static void ext(X509* x, X509* issuer, int nid, const std::string& value) {
    if (value.empty()) return;
    X509V3_CTX ctx;
    X509V3_set_ctx(&ctx, issuer ? issuer : x, x, nullptr, nullptr, 0);
    X509_EXTENSION* e = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str());
    if (!e || !X509_add_ext(x, e, -1)) throw std::runtime_error("extension " + value);
    X509_EXTENSION_free(e);
  }

  Cert make(EVP_PKEY* key, const std::string& cn, const std::vector<std::string>& emails,
            const std::string& subject_email, long from_days, long to_days, const std::string& eku,
            const std::string& ku, bool ca, X509* issuer, EVP_PKEY* issuer_key) {
    Cert x(X509_new(), X509_free);
    X509_set_version(x.get(), 2);
    ASN1_INTEGER_set(X509_get_serialNumber(x.get()), ++serial_);
    X509_gmtime_adj(X509_getm_notBefore(x.get()), from_days * 86400);
    X509_gmtime_adj(X509_getm_notAfter(x.get()), to_days * 86400);
    X509_set_pubkey(x.get(), key);
    X509_NAME* n = X509_get_subject_name(x.get());
    X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_UTF8,
                               reinterpret_cast<const unsigned char*>(cn.c_str()), -1, -1, 0);
    if (!subject_email.empty())
      X509_NAME_add_entry_by_NID(n, NID_pkcs9_emailAddress, MBSTRING_ASC,
                                 reinterpret_cast<const unsigned char*>(subject_email.c_str()), -1,
                                 -1, 0);
    X509_set_issuer_name(x.get(), issuer ? X509_get_subject_name(issuer) : n);
    ext(x.get(), issuer, NID_basic_constraints, ca ? "critical,CA:TRUE" : "CA:FALSE");
    ext(x.get(), issuer, NID_key_usage, ku);
    ext(x.get(), issuer, NID_ext_key_usage, eku);
    ext(x.get(), issuer, NID_subject_key_identifier, "hash");
    if (issuer) ext(x.get(), issuer, NID_authority_key_identifier, "keyid");
    std::string san;
    for (const auto& e : emails) san += (san.empty() ? "email:" : ",email:") + e;
    ext(x.get(), issuer, NID_subject_alt_name, san);
    if (!X509_sign(x.get(), issuer_key ? issuer_key : key, EVP_sha256()))
      throw std::runtime_error("X509_sign");
    return x;
  }

  std::string write_cert(X509* x, const std::string& name) {
    std::string path = (dir_ / name).string();
    FILE* f = std::fopen(path.c_str(), "w");
    if (!f || PEM_write_X509(f, x) != 1) throw std::runtime_error("cannot write " + path);
    std::fclose(f);
    return path;
  }

  std::filesystem::path dir_;
  Key ca_key_{nullptr, EVP_PKEY_free};
  Cert ca_{nullptr, X509_free};
  std::string ca_path_;
  long serial_ = 1000;
};

}  // namespace postern::test
