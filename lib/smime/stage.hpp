// lib/smime's pipeline steps: the inbound signature check, the outbound encryption
// decision, the sign-and-encrypt modifier, the guard that no message that had to be
// encrypted leaves in clear, and the Authentication-Results field of the check.
//
// Contract (all immutable, shared by threads):
// - VerifyStage ("smime-verify", inbound, end of message): verify_message over the
//   message (message.hpp) with the one From address; puts a Verification on the
//   transaction; findings SMIME_VALID (pass, the signer is the From address),
//   SMIME_SIGNER_MISMATCH (pass, but the certificate names another address),
//   SMIME_INVALID (fail: tampered, untrusted, expired, garbage), SMIME_LIMIT (over
//   max_bytes: not checked). No finding for an unsigned message.
// - EncryptStage ("smime-encrypt", outbound, end of message, after the DLP stage; not a
//   content stage, so a spent CPU budget does not skip it): encryption is required when
//   a recipient's domain is in [smime.encrypt] domains, or (on_dlp) a DLP rule with
//   action = "encrypt" hit, or such a rule exists and the DLP stage did not finish
//   (LIMIT_SCAN_TIME: fail safe). A message the client already encrypted (S/MIME
//   enveloped-data, PGP multipart/encrypted) is left as it is. Then every envelope
//   recipient must have a certificate in the store, or, with [smime.ldap], in the
//   directory (ldap.hpp; its failure is said in the finding and logged): else
//   SMIME_NO_CERT naming those
//   without one (at most 10 named, then a count) — its hard rule is missing_cert;
//   mixed recipients get it for the whole message. A message over max_bytes gets
//   SMIME_LIMIT (the same hard rule). The Decision is put on the transaction.
// - SmimeModifier ("smime"): for outbound mail that is delivered (accept or tag):
//   signs it when a signing key is configured (not one already signed or encrypted),
//   then encrypts it when the Decision says so, to every recipient's certificate. The
//   edits: the top-level Content-* fields removed, MIME-Version added when absent, the
//   new Content-* fields added, the new body. When encryption is required but cannot
//   be done (a recipient without a certificate whose hard rule was overridden, an
//   OpenSSL error, the size bound) the body is replaced by a short notice that the
//   message was withheld: never plain text. A quarantined message is left in clear (the
//   reviewer reads it; a release passes the milter again and is encrypted then).
// - GuardDisposer ("smime-guard"): a delivered message whose Decision requires
//   encryption and that does not leave as application/pkcs7-mime fails the dispose
//   phase (on_error, tempfail by default): the MTA keeps it.
// - ResultsFinisher ("smime-results"): inbound, when a signature was checked, adds
//   `Authentication-Results: <authserv-id>; smime=<pass|fail> (<why>)
//   body.smime-identifier=<signer>` (the method of RFC 7281).
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "core/disposer.hpp"
#include "core/finisher.hpp"
#include "core/modifier.hpp"
#include "core/stage.hpp"
#include "smime/cert_store.hpp"
#include "smime/config.hpp"
#include "smime/ldap.hpp"
#include "smime/message.hpp"

namespace postern::smime {

inline constexpr size_t kMaxNamedRecipients = 10;

// What the EncryptStage decided, for the modifier, the guard and the event.
struct Decision {
  bool required = false;
  std::vector<std::string> why;      // "recipient domain partner.example", "DLP rule cards"
  std::vector<std::string> missing;  // recipients without a certificate
  std::vector<Certificate> certs;    // one per recipient that has one
  bool already_encrypted = false;    // by the client: left alone
  bool limit = false;                // over max_bytes
  size_t from_ldap = 0;              // certificates the LDAP lookup found
  std::string ldap_error;            // why the LDAP lookup did not answer ("" = it did)
};

class VerifyStage final : public core::Stage {
 public:
  VerifyStage(std::shared_ptr<const TrustStore> trust, VerifyMessageLimits limits)
      : trust_(std::move(trust)), limits_(limits) {}
  std::string_view name() const override { return "smime-verify"; }
  core::Step on_message(core::Transaction& tx) const override;

 private:
  std::shared_ptr<const TrustStore> trust_;
  VerifyMessageLimits limits_;
};

class EncryptStage final : public core::Stage {
 public:
  // `dlp_rules`: the enabled outbound DLP rules whose action is encrypt.
  // `ldap`: asked for the recipients the store does not have (null: none).
  EncryptStage(std::shared_ptr<const CertStore> store, EncryptPolicy policy,
               std::vector<std::string> dlp_rules, size_t max_bytes,
               std::shared_ptr<const LdapDirectory> ldap = nullptr)
      : store_(std::move(store)),
        policy_(std::move(policy)),
        dlp_rules_(std::move(dlp_rules)),
        max_bytes_(max_bytes),
        ldap_(std::move(ldap)) {}
  std::string_view name() const override { return "smime-encrypt"; }
  core::Step on_message(core::Transaction& tx) const override;

 private:
  std::shared_ptr<const CertStore> store_;
  EncryptPolicy policy_;
  std::vector<std::string> dlp_rules_;
  size_t max_bytes_;
  std::shared_ptr<const LdapDirectory> ldap_;
};

class SmimeModifier final : public core::Modifier {
 public:
  SmimeModifier(std::optional<SigningKey> key, Cipher cipher, size_t max_bytes)
      : key_(std::move(key)), cipher_(cipher), max_bytes_(max_bytes) {}
  std::string_view name() const override { return "smime"; }
  bool needs_message(const core::Transaction& tx, const core::Outcome& out) const override;
  void modify(const core::Transaction& tx, const core::Message& current,
              core::Outcome& out) const override;

 private:
  std::optional<SigningKey> key_;
  Cipher cipher_;
  size_t max_bytes_;
};

class GuardDisposer final : public core::Disposer {
 public:
  std::string_view name() const override { return "smime-guard"; }
  std::optional<std::string> dispose(const core::Transaction& tx, const core::Message& leaving,
                                     const core::Outcome& out) const override;
};

class ResultsFinisher final : public core::Finisher {
 public:
  explicit ResultsFinisher(std::string authserv_id) : authserv_id_(std::move(authserv_id)) {}
  std::string_view name() const override { return "smime-results"; }
  bool needs_message(const core::Transaction&) const override { return false; }
  void finish(const core::Transaction& tx, const core::Message& leaving,
              core::Outcome& out) const override;

 private:
  std::string authserv_id_;
};

// The Authentication-Results value of a verification ("" for status none).
std::string auth_results_value(std::string_view authserv_id, const Verification& v);

// The event's postern.smime: {verify: {...}, encrypt: {...}, decrypt: {...}} (merged with the
// modifier's counts smime.signed / smime.encrypted / smime.withheld).
void write_event(const core::Transaction& tx, nlohmann::json& event);

// True when the message's top-level Content-Type is S/MIME enveloped data.
bool leaves_encrypted(const core::Message& m);

}  // namespace postern::smime
