// Inbound decryption for scanning: the gateway's own keys for its users ([smime.decrypt]
// key_dir), the unwrapping of an S/MIME enveloped message with them, and the stage that
// hands the decrypted message to the content stages.
//
// Contract: `KeyStore::load(dir)` reads the regular files of `dir` (not its
// subdirectories; names not starting with '.'; at most CertStore::kMaxFiles files of at
// most CertStore::kMaxFileBytes each, as the certificate store): each holds one user's
// certificate (the first PEM certificate; more are its chain) and its unencrypted PEM
// private key, which must match. A file that does not is skipped, with the reason in
// `skipped()` (file name and why: never key material). A key is indexed under the
// identifiers a RecipientInfo names its certificate by (cms.hpp recipient_ids): the
// issuer and serial number, and the subject key identifier. An expired certificate is
// kept (old mail stays readable). The load fails only when `dir` cannot be listed.
// Immutable after load, shared by threads.
//
// `unwrap(m, keys, limits)`: when the top-level entity of `m` is application/(x-)
// pkcs7-mime holding an EnvelopedData or AuthEnvelopedData (the smime-type parameter is
// not trusted: the DER decides) and one of its RecipientInfos names a held key, the
// content is decrypted (OpenSSL CMS) and the message becomes the received one's header
// fields other than Content-* followed by the decrypted entity; this repeats while the
// result is enveloped, at most `limits.max_layers` times. A decrypted layer that is an
// opaque SignedData (signed, then encrypted) is opened too: the message becomes its
// encapsulated content (what the recipient reads), and `verify_raw` keeps the signed
// layer for the signature check (else verify_raw is `raw`: a multipart/signed inside is
// checked there). Stops, with the reason: `NoKey`
// (no RecipientInfo names a held key), `Undecryptable` (damaged CMS, wrong key, an
// unsupported algorithm, over a bound: the message over `limits.max_bytes` or nested
// deeper than max_layers; `limit` set for the bounds). The layers already decrypted are
// kept either way. Never throws on hostile bytes; cost linear in the message per layer
// (one private key operation per layer). Pure; thread-safe.
//
// DecryptStage ("smime-decrypt", inbound, end of message, before the mime stage): runs
// unwrap and, when a layer was decrypted, puts the mime::Unwrapped on the transaction
// (the mime stage analyses it instead, see mime/unwrapped.hpp); findings SMIME_DECRYPTED
// (which key, how many layers), SMIME_UNDECRYPTABLE (why), SMIME_NO_KEY (encrypted to
// nobody the gateway holds a key for: not scanned). The message delivered is the one
// received. The DecryptReport keeps verify_raw: VerifyStage checks the signature inside
// an encrypted message there.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/expected.hpp"
#include "core/message.hpp"
#include "core/stage.hpp"
#include "mime/tree.hpp"
#include "smime/cms.hpp"

namespace postern::smime {

class KeyStore {
 public:
  static postern::expected<std::shared_ptr<const KeyStore>, std::string> load(
      const std::string& dir);

  // The key whose certificate one of `ids` names (the first found), or null.
  const SigningKey* find(const std::vector<std::string>& ids) const;
  size_t size() const { return keys_.size(); }
  const std::string& dir() const { return dir_; }
  const std::vector<std::string>& skipped() const { return skipped_; }  // "file: why"

 private:
  std::string dir_;
  std::vector<SigningKey> keys_;
  std::map<std::string, size_t, std::less<>> by_id_;
  std::vector<std::string> skipped_;
};

struct UnwrapLimits {
  size_t max_bytes = 32u << 20;  // the message, at each layer
  size_t max_layers = 2;         // an encrypted message inside an encrypted message
  mime::Limits mime{};
};

struct Unwrapping {
  enum class Stop { None, NoKey, Undecryptable };
  Stop stop = Stop::None;
  size_t layers = 0;              // decrypted
  std::vector<std::string> keys;  // per layer: the key's first address and serial
  std::string raw;                // layers > 0: the decrypted message
  std::string verify_raw;         // layers > 0: the one whose signature counts (below)
  std::string reason;             // one line, when stopped
  bool limit = false;             // stopped at a bound
  size_t recipients = 0;          // RecipientInfos of the layer that stopped (NoKey)
};

Unwrapping unwrap(const core::Message& m, const KeyStore& keys, const UnwrapLimits& limits = {});

class DecryptStage final : public core::Stage {
 public:
  DecryptStage(std::shared_ptr<const KeyStore> keys, UnwrapLimits limits)
      : keys_(std::move(keys)), limits_(limits) {}
  std::string_view name() const override { return "smime-decrypt"; }
  // Its CPU (a private key operation, the decryption) counts in the message's budget.
  bool content() const override { return true; }
  core::Step on_message(core::Transaction& tx) const override;

 private:
  std::shared_ptr<const KeyStore> keys_;
  UnwrapLimits limits_;
};

// What the stage did, for the event (postern.smime.decrypt).
struct DecryptReport {
  std::string result;  // "decrypted", "no_key", "undecryptable"
  size_t layers = 0;
  std::vector<std::string> keys;
  std::string reason;
  std::string verify_raw;  // the decrypted message the signature check reads
};

}  // namespace postern::smime
