// S/MIME messages (see message.hpp).
#include "smime/message.hpp"

#include <fmt/format.h>
#include <openssl/rand.h>

#include <stdexcept>

#include "core/address.hpp"
#include "mime/decode.hpp"

namespace postern::smime {
namespace {

std::string random_boundary() {
  unsigned char raw[12];
  if (RAND_bytes(raw, sizeof raw) != 1) throw std::runtime_error("no random bytes for a boundary");
  std::string out = "----=_postern_smime_";
  for (unsigned char c : raw) out += fmt::format("{:02x}", c);
  return out;
}

bool is_pkcs7_signature(std::string_view ct) {
  return ct == "application/pkcs7-signature" || ct == "application/x-pkcs7-signature";
}

}  // namespace

bool is_pkcs7_mime(std::string_view ct) {
  return ct == "application/pkcs7-mime" || ct == "application/x-pkcs7-mime";
}

std::string der_of(const mime::Tree& tree, const mime::Part& p, size_t max) {
  mime::DecodeStats st;
  return tree.decode(p, st, max + 1);
}

bool is_content_field(std::string_view name) {
  return name.size() > 8 && core::iequals(name.substr(0, 8), "content-");
}

std::string entity_of(const core::Message& m) {
  std::string e;
  for (const auto& f : m.headers())
    if (is_content_field(f.name)) {
      e += core::to_crlf(m.raw_field(f));
      if (!e.ends_with("\r\n")) e += "\r\n";
    }
  e += "\r\n";
  e += core::to_crlf(m.body());
  return e;
}

std::string entity_of(const Sealed& s) {
  std::string e;
  for (const auto& [name, value] : s.fields) e += name + ": " + value + "\r\n";
  e += "\r\n";
  e += s.body;
  return e;
}

postern::expected<Sealed, std::string> sign_entity(std::string_view entity, const SigningKey& key) {
  auto der = sign_detached(entity, key);
  if (!der) return postern::unexpected(der.error());
  const std::string b = random_boundary();
  Sealed s;
  s.fields.emplace_back("Content-Type",
                        fmt::format("multipart/signed; protocol=\"application/pkcs7-signature\"; "
                                    "micalg=sha-256; boundary=\"{}\"",
                                    b));
  s.body = "This is a cryptographically signed message in MIME format.\r\n\r\n--" + b + "\r\n";
  s.body += entity;
  s.body += "\r\n--" + b + "\r\n";
  s.body +=
      "Content-Type: application/pkcs7-signature; name=\"smime.p7s\"\r\n"
      "Content-Transfer-Encoding: base64\r\n"
      "Content-Disposition: attachment; filename=\"smime.p7s\"\r\n"
      "Content-Description: S/MIME Cryptographic Signature\r\n\r\n";
  s.body += mime::encode_base64(*der);
  if (!s.body.ends_with("\r\n")) s.body += "\r\n";
  s.body += "--" + b + "--\r\n";
  return s;
}

postern::expected<Sealed, std::string> encrypt_entity(
    std::string_view entity, const std::vector<const Certificate*>& recipients, Cipher cipher) {
  auto der = envelope(entity, recipients, cipher);
  if (!der) return postern::unexpected(der.error());
  Sealed s;
  s.fields = {{"Content-Type",
               fmt::format("application/pkcs7-mime; smime-type={}; name=\"smime.p7m\"",
                           cipher == Cipher::Aes256Gcm ? "authEnveloped-data" : "enveloped-data")},
              {"Content-Transfer-Encoding", "base64"},
              {"Content-Disposition", "attachment; filename=\"smime.p7m\""},
              {"Content-Description", "S/MIME Encrypted Message"}};
  s.body = mime::encode_base64(*der);
  if (!s.body.ends_with("\r\n")) s.body += "\r\n";
  return s;
}

std::string apply(const core::Message& m, const Sealed& s) {
  std::string out;
  for (const auto& f : m.headers()) {
    if (is_content_field(f.name)) continue;
    out += core::to_crlf(m.raw_field(f));
    if (!out.ends_with("\r\n")) out += "\r\n";
  }
  if (!m.find("MIME-Version")) out += "MIME-Version: 1.0\r\n";
  out += entity_of(s);
  return out;
}

postern::expected<std::string, std::string> encrypt(
    std::string_view raw, const std::vector<const Certificate*>& recipients, Cipher cipher) {
  core::Message m{std::string(raw)};
  auto s = encrypt_entity(entity_of(m), recipients, cipher);
  if (!s) return postern::unexpected(s.error());
  return apply(m, *s);
}

postern::expected<std::string, std::string> sign(std::string_view raw, const SigningKey& key) {
  core::Message m{std::string(raw)};
  auto s = sign_entity(entity_of(m), key);
  if (!s) return postern::unexpected(s.error());
  return apply(m, *s);
}

std::string_view to_string(Status s) {
  switch (s) {
    case Status::Pass:
      return "pass";
    case Status::Fail:
      return "fail";
    case Status::None:
      break;
  }
  return "none";
}

Verification verify_message(const core::Message& m, const std::vector<std::string>& from,
                            const TrustStore& trust, const VerifyMessageLimits& limits) {
  Verification v;
  // Only a signed (or S/MIME) top level is parsed: most mail costs one field lookup here.
  if (const core::HeaderField* ct = m.find("Content-Type"); !ct) {
    return v;
  } else {
    const std::string low = core::to_lower(ct->value);
    if (low.find("multipart/signed") == std::string::npos &&
        low.find("pkcs7-mime") == std::string::npos)
      return v;
  }
  if (m.raw().size() > limits.max_message) {
    v.limit = true;
    v.reason = fmt::format("the message is {} bytes, over the S/MIME bound of {}", m.raw().size(),
                           limits.max_message);
    return v;
  }
  const mime::Tree tree = mime::Tree::parse(m.raw(), limits.mime);
  const mime::Part& root = tree.root();
  Verified r;
  if (root.content_type == "multipart/signed") {
    if (root.children.size() != 2) {
      if (root.children.size() < 2) return v;  // no signature part: nothing to check
      v.kind = "multipart/signed";
      v.status = Status::Fail;
      v.reason = fmt::format("multipart/signed with {} parts, not 2", root.children.size());
      return v;
    }
    const mime::Part& content = tree.parts()[static_cast<size_t>(root.children[0])];
    const mime::Part& sig = tree.parts()[static_cast<size_t>(root.children[1])];
    if (!is_pkcs7_signature(sig.content_type)) return v;  // PGP or other: not ours to judge
    v.kind = "multipart/signed";
    const std::string der = der_of(tree, sig, limits.cms.max_der);
    if (der.size() > limits.cms.max_der) {
      v.status = Status::Fail;
      v.limit = true;
      v.reason = fmt::format("the signature part is over {} bytes", limits.cms.max_der);
      return v;
    }
    const std::string signed_bytes = core::to_crlf(
        m.raw().substr(content.header_begin, content.body_end - content.header_begin));
    const std::string_view detached = signed_bytes;
    r = verify(der, &detached, trust, limits.cms);
  } else if (is_pkcs7_mime(root.content_type)) {
    const std::string der = der_of(tree, root, limits.cms.max_der);
    const std::string type = content_type_of(der, limits.cms.max_der);
    if (type == "envelopedData" || type == "authEnvelopedData") {
      v.encrypted = true;
      return v;
    }
    v.kind = "signed-data";
    if (der.size() > limits.cms.max_der) {
      v.status = Status::Fail;
      v.limit = true;
      v.reason = fmt::format("the pkcs7-mime body is over {} bytes", limits.cms.max_der);
      return v;
    }
    if (type != "signedData") {
      v.status = Status::Fail;
      v.reason = type.empty() ? "application/pkcs7-mime without a CMS structure"
                              : "application/pkcs7-mime holding " + type;
      return v;
    }
    r = verify(der, nullptr, trust, limits.cms);
  } else {
    return v;
  }
  v.status = r.ok ? Status::Pass : Status::Fail;
  v.reason = r.reason;
  v.signer_addrs = r.signer_addrs;
  v.signer_subject = r.signer_subject;
  v.signer = r.signer_addrs.empty() ? std::string() : r.signer_addrs.front();
  if (from.size() == 1)
    for (const auto& a : r.signer_addrs)
      if (a == core::to_lower(from.front())) v.signer_matches_from = true;
  return v;
}

}  // namespace postern::smime
