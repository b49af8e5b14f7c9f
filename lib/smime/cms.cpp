// OpenSSL CMS wrapper (see cms.hpp).
#include "smime/cms.hpp"

#include <fmt/format.h>
#include <openssl/bio.h>
#include <openssl/cms.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <fstream>
#include <iterator>

#include "core/address.hpp"

namespace postern::smime {

void X509Free::operator()(X509* x) const {
  X509_free(x);
}
void PkeyFree::operator()(EVP_PKEY* k) const {
  EVP_PKEY_free(k);
}
void StoreFree::operator()(X509_STORE* s) const {
  X509_STORE_free(s);
}

namespace {

struct BioFree {
  void operator()(BIO* b) const { BIO_free(b); }
};
struct CmsFree {
  void operator()(CMS_ContentInfo* c) const { CMS_ContentInfo_free(c); }
};
struct StackFree {
  void operator()(STACK_OF(X509) * s) const { sk_X509_free(s); }  // the certs are not owned
};
struct NamesFree {
  void operator()(GENERAL_NAMES* g) const { GENERAL_NAMES_free(g); }
};
using Bio = std::unique_ptr<BIO, BioFree>;
using Cms = std::unique_ptr<CMS_ContentInfo, CmsFree>;
using Stack = std::unique_ptr<STACK_OF(X509), StackFree>;

Bio mem_in(std::string_view s) {
  return Bio(BIO_new_mem_buf(s.data(), static_cast<int>(s.size())));
}

std::string bio_string(BIO* b) {
  char* p = nullptr;
  long n = BIO_get_mem_data(b, &p);
  return n > 0 ? std::string(p, static_cast<size_t>(n)) : std::string();
}

// The last OpenSSL error of this thread as one line (with its data: "Verify error:..."),
// and the queue cleared.
std::string ssl_error(std::string_view what) {
  std::string out(what);
  unsigned long e = 0;
  const char* data = nullptr;
  int flags = 0;
  std::string last;
  while ((e = ERR_get_error_all(nullptr, nullptr, nullptr, &data, &flags)) != 0) {
    const char* r = ERR_reason_error_string(e);
    last = r ? r : fmt::format("error {:x}", e);
    if (data && (flags & ERR_TXT_STRING) && *data) last += fmt::format(" ({})", data);
  }
  if (!last.empty()) out += ": " + last;
  return out;
}

bool well_formed_address(std::string_view a) {
  if (a.empty() || a.size() > 254) return false;
  size_t at = a.find('@');
  if (at == 0 || at == std::string_view::npos || at + 1 == a.size() ||
      a.find('@', at + 1) != std::string_view::npos)
    return false;
  return std::all_of(a.begin(), a.end(), [](char c) { return c > 0x20 && c < 0x7f; });
}

std::string asn1_string(const ASN1_STRING* s) {
  if (!s) return {};
  return std::string(reinterpret_cast<const char*>(ASN1_STRING_get0_data(s)),
                     static_cast<size_t>(ASN1_STRING_length(s)));
}

postern::expected<std::string, std::string> to_der(CMS_ContentInfo* cms) {
  Bio out(BIO_new(BIO_s_mem()));
  if (!out || i2d_CMS_bio(out.get(), cms) != 1) return postern::unexpected(ssl_error("DER"));
  return bio_string(out.get());
}

Cms from_der(std::string_view der) {
  const unsigned char* p = reinterpret_cast<const unsigned char*>(der.data());
  return Cms(d2i_CMS_ContentInfo(nullptr, &p, static_cast<long>(der.size())));
}

}  // namespace

postern::expected<std::vector<Certificate>, std::string> Certificate::from_pem(std::string_view pem,
                                                                               size_t max_certs) {
  ERR_clear_error();
  Bio in = mem_in(pem);
  std::vector<Certificate> out;
  while (out.size() < max_certs) {
    X509* x = PEM_read_bio_X509(in.get(), nullptr, nullptr, nullptr);
    if (!x) break;
    Certificate c;
    c.x_ = std::shared_ptr<X509>(x, X509Free());
    out.push_back(std::move(c));
  }
  ERR_clear_error();  // the end of the PEM text is an "error" too
  if (out.empty()) return postern::unexpected(std::string("no PEM certificate"));
  return out;
}

postern::expected<std::vector<Certificate>, std::string> Certificate::from_pem_file(
    const std::string& path, size_t max_bytes) {
  std::ifstream f(path, std::ios::binary);
  if (!f) return postern::unexpected(fmt::format("{}: cannot be read", path));
  std::string text;
  text.resize(max_bytes + 1);
  f.read(text.data(), static_cast<std::streamsize>(text.size()));
  text.resize(static_cast<size_t>(f.gcount()));
  if (text.size() > max_bytes)
    return postern::unexpected(fmt::format("{}: over {} bytes", path, max_bytes));
  auto certs = from_pem(text);
  if (!certs) return postern::unexpected(fmt::format("{}: {}", path, certs.error()));
  return certs;
}

postern::expected<Certificate, std::string> Certificate::from_der(std::string_view der) {
  ERR_clear_error();
  const unsigned char* p = reinterpret_cast<const unsigned char*>(der.data());
  X509* x = d2i_X509(nullptr, &p, static_cast<long>(der.size()));
  if (!x) return postern::unexpected(ssl_error("not a DER certificate"));
  Certificate c;
  c.x_ = std::shared_ptr<X509>(x, X509Free());
  if (p != reinterpret_cast<const unsigned char*>(der.data()) + der.size())
    return postern::unexpected(std::string("bytes after the DER certificate"));
  return c;
}

std::string Certificate::der() const {
  unsigned char* out = nullptr;
  const int n = x_ ? i2d_X509(x_.get(), &out) : 0;
  if (n <= 0) return {};
  std::string s(reinterpret_cast<const char*>(out), static_cast<size_t>(n));
  OPENSSL_free(out);
  return s;
}

Certificate Certificate::from_handle(X509* x) {
  X509_up_ref(x);
  Certificate c;
  c.x_ = std::shared_ptr<X509>(x, X509Free());
  return c;
}

std::vector<std::string> Certificate::addresses() const {
  std::vector<std::string> out;
  auto add = [&](std::string a) {
    a = core::to_lower(a);
    if (well_formed_address(a) && std::find(out.begin(), out.end(), a) == out.end())
      out.push_back(std::move(a));
  };
  std::unique_ptr<GENERAL_NAMES, NamesFree> names(static_cast<GENERAL_NAMES*>(
      X509_get_ext_d2i(x_.get(), NID_subject_alt_name, nullptr, nullptr)));
  if (names) {
    const int n = std::min(sk_GENERAL_NAME_num(names.get()), 100);
    for (int i = 0; i < n; ++i) {
      const GENERAL_NAME* g = sk_GENERAL_NAME_value(names.get(), i);
      if (g->type == GEN_EMAIL) add(asn1_string(g->d.rfc822Name));
    }
  }
  const X509_NAME* subj = X509_get_subject_name(x_.get());
  for (int i = -1, k = 0; k < 10; ++k) {
    i = X509_NAME_get_index_by_NID(subj, NID_pkcs9_emailAddress, i);
    if (i < 0) break;
    add(asn1_string(X509_NAME_ENTRY_get_data(X509_NAME_get_entry(subj, i))));
  }
  ERR_clear_error();
  return out;
}

bool Certificate::valid_at(std::time_t t) const {
  return X509_cmp_time(X509_get0_notBefore(x_.get()), &t) < 0 &&
         X509_cmp_time(X509_get0_notAfter(x_.get()), &t) > 0;
}

std::time_t Certificate::not_after() const {
  struct tm tm {};
  if (ASN1_TIME_to_tm(X509_get0_notAfter(x_.get()), &tm) != 1) return 0;
  return timegm(&tm);
}

bool Certificate::usable_for_encryption() const {
  const uint32_t flags = X509_get_extension_flags(x_.get());
  if ((flags & EXFLAG_XKUSAGE) &&
      !(X509_get_extended_key_usage(x_.get()) & (XKU_SMIME | XKU_ANYEKU)))
    return false;
  if ((flags & EXFLAG_KUSAGE) &&
      !(X509_get_key_usage(x_.get()) & (KU_KEY_ENCIPHERMENT | KU_KEY_AGREEMENT)))
    return false;
  return !(flags & EXFLAG_INVALID);
}

std::string Certificate::subject() const {
  Bio out(BIO_new(BIO_s_mem()));
  X509_NAME_print_ex(out.get(), X509_get_subject_name(x_.get()), 0, XN_FLAG_RFC2253);
  return bio_string(out.get());
}

std::string Certificate::serial_hex() const {
  BIGNUM* bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(x_.get()), nullptr);
  if (!bn) return {};
  char* hex = BN_bn2hex(bn);
  std::string out = hex ? core::to_lower(hex) : std::string();
  OPENSSL_free(hex);
  BN_free(bn);
  return out;
}

postern::expected<SigningKey, std::string> SigningKey::load(const std::string& cert_file,
                                                            const std::string& key_file,
                                                            const std::string& chain_file) {
  auto certs = Certificate::from_pem_file(cert_file);
  if (!certs) return postern::unexpected(certs.error());
  SigningKey k{.cert = certs->front(), .key = nullptr, .chain = {}};
  for (size_t i = 1; i < certs->size(); ++i) k.chain.push_back((*certs)[i]);
  Bio in(BIO_new_file(key_file.c_str(), "r"));
  if (!in) return postern::unexpected(fmt::format("{}: cannot be read", key_file));
  // No passphrase callback would be OpenSSL's default one: it prompts on the terminal,
  // or reads standard input, for an encrypted key. Such a key is refused instead.
  pem_password_cb* no_passphrase = [](char*, int, int, void*) { return 0; };
  EVP_PKEY* key = PEM_read_bio_PrivateKey(in.get(), nullptr, no_passphrase, nullptr);
  if (!key) return postern::unexpected(ssl_error(key_file + ": no unencrypted PEM private key"));
  k.key = std::shared_ptr<EVP_PKEY>(key, PkeyFree());
  if (X509_check_private_key(k.cert.handle(), key) != 1)
    return postern::unexpected(ssl_error(
        fmt::format("{}: the key does not match the certificate {}", key_file, cert_file)));
  if (!chain_file.empty()) {
    auto chain = Certificate::from_pem_file(chain_file);
    if (!chain) return postern::unexpected(chain.error());
    k.chain.insert(k.chain.end(), chain->begin(), chain->end());
  }
  ERR_clear_error();
  return k;
}

postern::expected<std::shared_ptr<const TrustStore>, std::string> TrustStore::load(
    const std::string& ca_file, const std::string& ca_dir) {
  ERR_clear_error();
  auto t = std::make_shared<TrustStore>();
  t->store_.reset(X509_STORE_new());
  if (!t->store_) return postern::unexpected(ssl_error("X509_STORE_new"));
  if (ca_file.empty() && ca_dir.empty()) {
    if (X509_STORE_set_default_paths(t->store_.get()) != 1)
      return postern::unexpected(ssl_error("the system trust store"));
  } else if (X509_STORE_load_locations(t->store_.get(), ca_file.empty() ? nullptr : ca_file.c_str(),
                                       ca_dir.empty() ? nullptr : ca_dir.c_str()) != 1) {
    return postern::unexpected(
        ssl_error(fmt::format("trust store (ca_file '{}', ca_dir '{}')", ca_file, ca_dir)));
  }
  X509_STORE_set_depth(t->store_.get(), kMaxChainDepth);
  ERR_clear_error();
  return std::shared_ptr<const TrustStore>(std::move(t));
}

postern::expected<std::string, std::string> envelope(
    std::string_view content, const std::vector<const Certificate*>& recipients, Cipher cipher) {
  ERR_clear_error();
  if (recipients.empty()) return postern::unexpected(std::string("no recipient certificate"));
  Stack certs(sk_X509_new_null());
  for (const Certificate* c : recipients)
    if (!certs || !sk_X509_push(certs.get(), c->handle()))
      return postern::unexpected(std::string("out of memory"));
  Bio in = mem_in(content);
  const EVP_CIPHER* ev = cipher == Cipher::Aes256Gcm ? EVP_aes_256_gcm() : EVP_aes_256_cbc();
  Cms cms(CMS_encrypt(certs.get(), in.get(), ev, CMS_BINARY));
  if (!cms) return postern::unexpected(ssl_error("CMS_encrypt"));
  return to_der(cms.get());
}

postern::expected<std::string, std::string> sign_detached(std::string_view content,
                                                          const SigningKey& key) {
  ERR_clear_error();
  Stack chain(sk_X509_new_null());
  for (const auto& c : key.chain)
    if (!chain || !sk_X509_push(chain.get(), c.handle()))
      return postern::unexpected(std::string("out of memory"));
  const unsigned flags = CMS_DETACHED | CMS_BINARY | CMS_PARTIAL;
  Cms cms(CMS_sign(nullptr, nullptr, chain.get(), nullptr, flags));
  if (!cms) return postern::unexpected(ssl_error("CMS_sign"));
  if (!CMS_add1_signer(cms.get(), key.cert.handle(), key.key.get(), EVP_sha256(), flags))
    return postern::unexpected(ssl_error("CMS_add1_signer"));
  Bio in = mem_in(content);
  if (CMS_final(cms.get(), in.get(), nullptr, flags) != 1)
    return postern::unexpected(ssl_error("CMS_final"));
  return to_der(cms.get());
}

postern::expected<std::string, std::string> decrypt(std::string_view der, const SigningKey& key,
                                                    size_t max_out) {
  ERR_clear_error();
  Cms cms = from_der(der);
  if (!cms) return postern::unexpected(ssl_error("not a CMS ContentInfo"));
  Bio out(BIO_new(BIO_s_mem()));
  if (CMS_decrypt(cms.get(), key.key.get(), key.cert.handle(), nullptr, out.get(), CMS_BINARY) != 1)
    return postern::unexpected(ssl_error("CMS_decrypt"));
  std::string s = bio_string(out.get());
  if (s.size() > max_out) return postern::unexpected(fmt::format("over {} bytes", max_out));
  return s;
}

namespace {

std::string cms_hex(const unsigned char* p, size_t n) {
  std::string out;
  out.reserve(2 * n);
  for (size_t i = 0; i < n; ++i) out += fmt::format("{:02x}", p[i]);
  return out;
}

std::string cms_issuer_serial_id(const X509_NAME* issuer, const ASN1_INTEGER* serial) {
  if (!issuer || !serial) return {};
  unsigned char* der = nullptr;
  const int n = i2d_X509_NAME(issuer, &der);
  if (n <= 0) return {};
  std::string id =
      "is:" + cms_hex(der, static_cast<size_t>(n)) + ":" +
      cms_hex(ASN1_STRING_get0_data(serial), static_cast<size_t>(ASN1_STRING_length(serial)));
  OPENSSL_free(der);
  return id;
}

std::string cms_ski_id(const ASN1_OCTET_STRING* ski) {
  if (!ski) return {};
  return "ski:" + cms_hex(ASN1_STRING_get0_data(ski), static_cast<size_t>(ASN1_STRING_length(ski)));
}

}  // namespace

std::vector<std::string> recipient_ids(const Certificate& c) {
  std::vector<std::string> out;
  if (!c.handle()) return out;
  std::string is =
      cms_issuer_serial_id(X509_get_issuer_name(c.handle()), X509_get0_serialNumber(c.handle()));
  if (!is.empty()) out.push_back(std::move(is));
  std::string ski = cms_ski_id(X509_get0_subject_key_id(c.handle()));
  if (!ski.empty()) out.push_back(std::move(ski));
  ERR_clear_error();
  return out;
}

postern::expected<std::vector<std::string>, std::string> recipient_ids_of(std::string_view der,
                                                                          size_t max_der,
                                                                          size_t max_recipients) {
  if (der.size() > max_der)
    return postern::unexpected(fmt::format("{} bytes, over the bound of {}", der.size(), max_der));
  ERR_clear_error();
  Cms cms = from_der(der);
  if (!cms) return postern::unexpected(ssl_error("not a CMS ContentInfo"));
  const int nid = OBJ_obj2nid(CMS_get0_type(cms.get()));
  if (nid != NID_pkcs7_enveloped && nid != NID_id_smime_ct_authEnvelopedData) {
    ERR_clear_error();
    return postern::unexpected(std::string("not an EnvelopedData"));
  }
  STACK_OF(CMS_RecipientInfo)* ris = CMS_get0_RecipientInfos(cms.get());
  std::vector<std::string> out;
  auto add = [&](ASN1_OCTET_STRING* keyid, X509_NAME* issuer, ASN1_INTEGER* serial) {
    std::string id = keyid ? cms_ski_id(keyid) : cms_issuer_serial_id(issuer, serial);
    if (!id.empty() && out.size() < max_recipients) out.push_back(std::move(id));
  };
  const int n = ris ? sk_CMS_RecipientInfo_num(ris) : 0;
  for (int i = 0; i < n && out.size() < max_recipients; ++i) {
    CMS_RecipientInfo* ri = sk_CMS_RecipientInfo_value(ris, i);
    const int type = CMS_RecipientInfo_type(ri);
    if (type == CMS_RECIPINFO_TRANS) {
      ASN1_OCTET_STRING* keyid = nullptr;
      X509_NAME* issuer = nullptr;
      ASN1_INTEGER* serial = nullptr;
      if (CMS_RecipientInfo_ktri_get0_signer_id(ri, &keyid, &issuer, &serial) == 1)
        add(keyid, issuer, serial);
    } else if (type == CMS_RECIPINFO_AGREE) {
      STACK_OF(CMS_RecipientEncryptedKey)* reks = CMS_RecipientInfo_kari_get0_reks(ri);
      const int m = reks ? sk_CMS_RecipientEncryptedKey_num(reks) : 0;
      for (int j = 0; j < m && out.size() < max_recipients; ++j) {
        ASN1_OCTET_STRING* keyid = nullptr;
        X509_NAME* issuer = nullptr;
        ASN1_INTEGER* serial = nullptr;
        if (CMS_RecipientEncryptedKey_get0_id(sk_CMS_RecipientEncryptedKey_value(reks, j), &keyid,
                                              nullptr, nullptr, &issuer, &serial) == 1)
          add(keyid, issuer, serial);
      }
    }
  }
  ERR_clear_error();
  return out;
}

postern::expected<std::string, std::string> signed_content(std::string_view der, size_t max_der) {
  if (der.size() > max_der)
    return postern::unexpected(fmt::format("{} bytes, over the bound of {}", der.size(), max_der));
  ERR_clear_error();
  Cms cms = from_der(der);
  if (!cms) return postern::unexpected(ssl_error("not a CMS ContentInfo"));
  if (OBJ_obj2nid(CMS_get0_type(cms.get())) != NID_pkcs7_signed) {
    ERR_clear_error();
    return postern::unexpected(std::string("not a SignedData"));
  }
  ASN1_OCTET_STRING** content = CMS_get0_content(cms.get());
  ERR_clear_error();
  if (!content || !*content) return postern::unexpected(std::string("a detached SignedData"));
  return std::string(reinterpret_cast<const char*>(ASN1_STRING_get0_data(*content)),
                     static_cast<size_t>(ASN1_STRING_length(*content)));
}

std::string content_type_of(std::string_view der, size_t max_der) {
  if (der.size() > max_der) return {};
  ERR_clear_error();
  Cms cms = from_der(der);
  ERR_clear_error();
  if (!cms) return {};
  const int nid = OBJ_obj2nid(CMS_get0_type(cms.get()));
  switch (nid) {
    case NID_pkcs7_signed:
      return "signedData";
    case NID_pkcs7_enveloped:
      return "envelopedData";
    case NID_id_smime_ct_authEnvelopedData:
      return "authEnvelopedData";
    case NID_pkcs7_data:
      return "data";
    case NID_id_smime_ct_compressedData:
      return "compressedData";
    default:
      return "other";
  }
}

Verified verify(std::string_view der, const std::string_view* detached, const TrustStore& trust,
                const VerifyLimits& limits) {
  Verified v;
  ERR_clear_error();
  if (der.size() > limits.max_der) {
    v.reason =
        fmt::format("the signature is {} bytes, over the bound of {}", der.size(), limits.max_der);
    return v;
  }
  Cms cms = from_der(der);
  if (!cms) {
    v.reason = ssl_error("not a CMS ContentInfo");
    return v;
  }
  if (OBJ_obj2nid(CMS_get0_type(cms.get())) != NID_pkcs7_signed) {
    v.reason = "not a SignedData";
    ERR_clear_error();
    return v;
  }
  v.signed_data = true;
  STACK_OF(CMS_SignerInfo)* infos = CMS_get0_SignerInfos(cms.get());
  const int n = infos ? sk_CMS_SignerInfo_num(infos) : 0;
  if (n <= 0 || static_cast<size_t>(n) > limits.max_signers) {
    v.reason = n <= 0 ? "no signer"
                      : fmt::format("{} signers, over the bound of {}", n, limits.max_signers);
    ERR_clear_error();
    return v;
  }
  // The signers' certificates from the message, to name them even when the signature fails.
  CMS_set1_signers_certs(cms.get(), nullptr, 0);
  ERR_clear_error();
  if (STACK_OF(X509)* signers = CMS_get0_signers(cms.get())) {
    for (int i = 0; i < sk_X509_num(signers); ++i) {
      X509* x = sk_X509_value(signers, i);
      if (!x) continue;
      Certificate c = Certificate::from_handle(x);
      for (auto& a : c.addresses())
        if (std::find(v.signer_addrs.begin(), v.signer_addrs.end(), a) == v.signer_addrs.end())
          v.signer_addrs.push_back(a);
      if (v.signer_subject.empty()) v.signer_subject = c.subject();
    }
    sk_X509_free(signers);
  }
  ERR_clear_error();
  X509_STORE* store = trust.handle();
  Bio content = detached ? mem_in(*detached) : Bio();
  Bio out(BIO_new(BIO_s_mem()));
  if (CMS_verify(cms.get(), nullptr, store, content.get(), detached ? nullptr : out.get(),
                 CMS_BINARY) == 1) {
    v.ok = true;
    if (!detached) v.content = bio_string(out.get());
  } else {
    v.reason = ssl_error("the signature does not verify");
  }
  ERR_clear_error();
  return v;
}

}  // namespace postern::smime
