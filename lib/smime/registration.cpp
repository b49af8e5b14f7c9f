// lib/smime: [smime], SMIME_*, the stages, modifier, guard and finisher (see registration.hpp).
#include "smime/registration.hpp"

#include <array>
#include <ctime>
#include <fstream>

#include <fmt/format.h>

#include "dlp/policy.hpp"
#include "policy/config.hpp"
#include "policy/policy.hpp"
#include "quarantine/config.hpp"
#include "smime/config.hpp"
#include "smime/decrypt.hpp"
#include "smime/notify.hpp"
#include "smime/stage.hpp"
#include "state/config.hpp"
#include "state/store.hpp"
#include "telemetry/log.hpp"

namespace postern::smime {
namespace {

using core::Scope;
constexpr std::array kSmimeSymbols{
    core::SymbolInfo{"SMIME_VALID", -0.5, Scope::Transaction,
                     "an S/MIME signature that verifies against the trust store, by a certificate "
                     "of the From address"},
    core::SymbolInfo{"SMIME_INVALID", 1.5, Scope::Transaction,
                     "an S/MIME signature that does not verify: the message was changed, the "
                     "certificate is untrusted or expired, or the signature is garbage"},
    core::SymbolInfo{"SMIME_SIGNER_MISMATCH", 2.0, Scope::Transaction,
                     "an S/MIME signature that verifies, by a certificate of another address than "
                     "the From address"},
    core::SymbolInfo{"SMIME_NO_CERT", 0.0, Scope::Transaction,
                     "outbound mail that must be encrypted has recipients without a certificate: "
                     "[smime.encrypt] missing_cert decides (quarantine, bounce, notify)"},
    core::SymbolInfo{"SMIME_LIMIT", 0.0, Scope::Transaction,
                     "a message over [smime] max_bytes: not verified (inbound), or not encrypted "
                     "and given missing_cert's action (outbound)"},
    core::SymbolInfo{"SMIME_DECRYPTED", 0.0, Scope::Transaction,
                     "an inbound S/MIME encrypted message decrypted for scanning with a key of "
                     "[smime.decrypt] key_dir (which key): the content stages saw its content"},
    core::SymbolInfo{"SMIME_UNDECRYPTABLE", 1.0, Scope::Transaction,
                     "an inbound S/MIME encrypted message that could not be decrypted for "
                     "scanning (damaged, wrong key, unsupported algorithm, over max_bytes or "
                     "max_layers): its content was not scanned"},
    core::SymbolInfo{"SMIME_NO_KEY", 0.0, Scope::Transaction,
                     "an inbound S/MIME encrypted message to nobody [smime.decrypt] key_dir "
                     "holds a key for: its content was not scanned"},
};

// The enabled outbound DLP rules whose action is encrypt.
std::vector<std::string> dlp_encrypt_rules(const policy::Policy& p) {
  std::vector<std::string> out;
  for (const auto& [name, r] : p.sections.section<dlp::DlpPolicy>("dlp").rules)
    if (r.enabled && r.action == "encrypt" && r.directions.outbound) out.push_back(name);
  return out;
}

bool encryption_configured(const core::StageContext& c) {
  const EncryptPolicy& e = smime_policy(c.policy).encrypt;
  return !e.domains.empty() || (e.on_dlp && !dlp_encrypt_rules(c.policy).empty());
}

void error(const core::StageContext& c, std::string message) {
  c.errors.push_back(policy::Error{c.config.path, 0, 0, std::move(message)});
}

// The LDAP lookup of [smime.ldap], cached in the state store when there is one.
std::shared_ptr<const LdapDirectory> make_ldap(const core::StageContext& c, const LdapConfig& l) {
  if (l.uri.empty()) return nullptr;
  std::string password;
  if (!l.password_file.empty()) {
    std::ifstream f(l.password_file);
    if (!f || !std::getline(f, password)) {
      error(c, fmt::format("[smime.ldap] password_file {}: cannot be read", l.password_file));
      return nullptr;
    }
    if (password.ends_with('\r')) password.pop_back();
  }
  return std::make_shared<const LdapDirectory>(l, std::move(password),
                                               c.services.get<state::Store>(state::kStateService));
}

std::unique_ptr<core::Stage> make_encrypt(const core::StageContext& c) {
  if (!encryption_configured(c)) return nullptr;
  const SmimeConfig& k = smime_config(c.config);
  auto store = CertStore::load(k.cert_dir, std::time(nullptr));
  std::shared_ptr<const CertStore> s;
  if (store) {
    s = *store;
    for (const auto& why : s->skipped()) telemetry::log_info("[smime] cert_dir: skipped {}", why);
  } else {
    // Refused at startup; at a reload the stage still runs on an empty store, so every
    // message that must be encrypted gets missing_cert: never plain text.
    error(c, "[smime] " + store.error());
    s = *CertStore::load("", 0);
  }
  return std::make_unique<EncryptStage>(s, smime_policy(c.policy).encrypt,
                                        dlp_encrypt_rules(c.policy), k.max_bytes,
                                        make_ldap(c, k.ldap));
}

std::unique_ptr<core::Stage> make_decrypt(const core::StageContext& c) {
  const SmimeConfig& k = smime_config(c.config);
  if (k.decrypt_key_dir.empty()) return nullptr;
  auto keys = KeyStore::load(k.decrypt_key_dir);
  if (!keys) {
    error(c, "[smime.decrypt] " + keys.error());
    return nullptr;
  }
  for (const auto& why : (*keys)->skipped())
    telemetry::log_info("[smime.decrypt] key_dir: skipped {}", why);
  UnwrapLimits l;
  l.max_bytes = k.max_bytes;
  l.max_layers = k.decrypt_max_layers;
  return std::make_unique<DecryptStage>(*keys, l);
}

std::shared_ptr<const core::Modifier> make_modifier(const core::StageContext& c) {
  const SmimeConfig& k = smime_config(c.config);
  std::optional<SigningKey> key;
  if (!k.sign_cert.empty()) {
    auto loaded = SigningKey::load(k.sign_cert, k.sign_key, k.sign_chain);
    if (!loaded)
      error(c, "[smime.sign] " + loaded.error());
    else
      key = std::move(*loaded);
  }
  if (!key && !encryption_configured(c)) return nullptr;
  return std::make_shared<const SmimeModifier>(std::move(key), k.cipher, k.max_bytes);
}

}  // namespace

const core::Registration& decrypt_registration() {
  static const core::Registration r{
      .folder = "smime",
      // Before the mime stage, which analyses the decrypted message (mime/unwrapped.hpp).
      .stages = {{.name = "smime-decrypt",
                  .provides = {"mime.unwrapped"},
                  .needs = {"limits"},
                  .make = make_decrypt}},
  };
  return r;
}

const core::Registration& registration() {
  static const core::Registration r{
      .folder = "smime",
      .symbols = kSmimeSymbols,
      .config_sections = {{"smime", read_smime_config}},
      .policy_sections = {{.name = "smime", .read = read_smime_policy}},
      .stages = {{.name = "smime-verify",
                  .provides = {"smime.verify", "content.findings"},
                  .needs = {"limits"},
                  .make = [](const core::StageContext& c) -> std::unique_ptr<core::Stage> {
                    const SmimeConfig& k = smime_config(c.config);
                    if (!k.verify) return nullptr;
                    auto trust = TrustStore::load(k.ca_file, k.ca_dir);
                    if (!trust) {
                      error(c, "[smime] " + trust.error());
                      return nullptr;
                    }
                    VerifyMessageLimits l;
                    l.max_message = k.max_bytes;
                    return std::make_unique<VerifyStage>(*trust, l);
                  }},
                 // After the DLP stage: its encrypt rules' hits decide. Both before the
                 // composites and the sandbox (content.findings): they may name SMIME_ symbols.
                 {.name = "smime-encrypt",
                  .provides = {"smime.encrypt", "content.findings"},
                  .needs = {"dlp.findings"},
                  .make = make_encrypt}},
      .finishers = {{.name = "smime-results",
                     // An Authentication-Results writer too: the ARC seal and the DKIM
                     // signature (which need auth-results) come after it.
                     .provides = {"smime.results", "auth-results"},
                     .make =
                         [](const core::StageContext& c) -> std::shared_ptr<const core::Finisher> {
                       if (!smime_config(c.config).verify) return nullptr;
                       return std::make_shared<const ResultsFinisher>(c.authserv_id);
                     }}},
      // After every other body edit (banner, click rewriting): the body as it leaves is
      // what gets signed and encrypted; DKIM signs later (a finisher).
      .modifiers = {{.name = "smime",
                     .provides = {"smime.sealed"},
                     .needs = {"body.edited"},
                     .make = make_modifier}},
      .disposers =
          {{.name = "smime-guard",
            .provides = {"smime.guard"},
            .make = [](const core::StageContext& c) -> std::shared_ptr<const core::Disposer> {
              if (!encryption_configured(c)) return nullptr;
              return std::make_shared<const GuardDisposer>();
            }},
           // After the quarantine store (registered earlier): a sender is told only
           // once the message is held.
           {.name = "smime-notify",
            .provides = {"smime.notify"},
            .make = [](const core::StageContext& c) -> std::shared_ptr<const core::Disposer> {
              if (!encryption_configured(c) ||
                  smime_policy(c.policy).encrypt.missing_cert != MissingCert::Notify)
                return nullptr;
              return std::make_shared<const NotifyDisposer>(
                  quarantine::quarantine_config(c.config).sendmail, c.hostname);
            }}},
      .event_writers = {write_event},
  };
  return r;
}

}  // namespace postern::smime
