// S/MIME messages (RFC 8551): a message's top-level entity encrypted to its
// recipients (application/pkcs7-mime; smime-type=enveloped-data), signed
// (multipart/signed, protocol="application/pkcs7-signature", micalg=sha-256), and the
// verification of an inbound signature.
//
// Contract: the entity is the message's top-level Content-* fields (as written, with
// their folds) and its body, line ends made CRLF: that is what the recipient's client
// shows once it has decrypted or checked it. `entity_of(m)` builds it; `sign_entity`
// and `encrypt_entity` turn an entity into the new top-level fields and body
// (`Sealed`), and `entity_of(sealed)` makes that an entity again (so signed, then
// encrypted: encrypt_entity(entity_of(*sign_entity(entity_of(m), key)), ...)).
// `apply(m, sealed)` is the whole message as it leaves: every field but the Content-*
// ones kept in order (From, To, Subject, Date, Message-ID, Received, ...), MIME-Version
// added when absent, the sealed fields, the body. Base64 in lines of 76 characters,
// CRLF line ends everywhere. The signed part of multipart/signed is the entity byte
// for byte (canonical CRLF), and the boundary is random (96 bits), so it never occurs
// in it. Cipher: AES-256-CBC by default (EnvelopedData, which every client reads),
// AES-256-GCM on request (AuthEnvelopedData, RFC 5083). Errors are one line.
//
// `verify_message(m, from, trust, limits)` looks at the top-level entity only: a
// multipart/signed whose signature part is application/(x-)pkcs7-signature, or an
// application/(x-)pkcs7-mime whose DER is a SignedData (opaque signing). The signed
// bytes are checked as they are in the message (made CRLF). Status none when neither
// (a PGP signature, an unsigned message, an encrypted one: `encrypted` says so), pass
// when the signature and the signer's chain verify (trust store, current time, S/MIME
// signing purpose), fail with a reason otherwise (tampered, untrusted, expired,
// garbage in the signature part, over a bound). `signer_matches_from`: the one From
// address (`from`, lower case; more or fewer than one address never matches) is among
// the signer certificate's addresses. Bounded: the message at most
// limits.max_message bytes (more: status none, `limit` set), the signature DER at
// most limits.cms.max_der, its signers at most limits.cms.max_signers; the MIME parse
// has mime::Limits. Linear in the message, never throws on hostile bytes. Pure
// functions; thread-safe.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/expected.hpp"
#include "core/message.hpp"
#include "mime/tree.hpp"
#include "smime/cms.hpp"

namespace postern::smime {

// New top-level fields and body.
struct Sealed {
  std::vector<std::pair<std::string, std::string>> fields;  // name, value (one line)
  std::string body;                                         // CRLF
};

std::string entity_of(const core::Message& m);
std::string entity_of(const Sealed& s);
bool is_content_field(std::string_view name);  // "Content-*", any case
// application/pkcs7-mime or application/x-pkcs7-mime (lower case, as mime::Part has it).
bool is_pkcs7_mime(std::string_view content_type);
// The DER inside a base64 (or binary) leaf: at most max + 1 bytes (more than max: over
// the bound).
std::string der_of(const mime::Tree& tree, const mime::Part& p, size_t max);

postern::expected<Sealed, std::string> sign_entity(std::string_view entity, const SigningKey& key);
postern::expected<Sealed, std::string> encrypt_entity(
    std::string_view entity, const std::vector<const Certificate*>& recipients,
    Cipher cipher = Cipher::Aes256Cbc);

std::string apply(const core::Message& m, const Sealed& s);

// Whole messages in, whole messages out (the library's and the tests' entry points).
postern::expected<std::string, std::string> encrypt(
    std::string_view raw, const std::vector<const Certificate*>& recipients,
    Cipher cipher = Cipher::Aes256Cbc);
postern::expected<std::string, std::string> sign(std::string_view raw, const SigningKey& key);

enum class Status { None, Pass, Fail };
std::string_view to_string(Status s);  // "none", "pass", "fail"

struct VerifyMessageLimits {
  size_t max_message = 32u << 20;
  VerifyLimits cms{};
  mime::Limits mime{};
};

struct Verification {
  Status status = Status::None;
  std::string kind;    // "multipart/signed", "signed-data", "" for none
  std::string signer;  // the first signer address ("" when the certificate names none)
  std::vector<std::string> signer_addrs;
  std::string signer_subject;
  bool signer_matches_from = false;
  bool encrypted = false;  // an enveloped message: nothing to verify here
  bool decrypted = false;  // checked inside the decrypted message (smime-decrypt)
  bool limit = false;      // the message or the signature was over a bound
  std::string reason;      // why fail (or why none, when there is something to say)
};

Verification verify_message(const core::Message& m, const std::vector<std::string>& from,
                            const TrustStore& trust, const VerifyMessageLimits& limits = {});

}  // namespace postern::smime
