// Inbound decryption for scanning (see decrypt.hpp).
#include "smime/decrypt.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <optional>

#include "core/address.hpp"
#include "core/transaction.hpp"
#include "mime/params.hpp"
#include "mime/unwrapped.hpp"
#include "smime/cert_store.hpp"
#include "smime/message.hpp"

namespace postern::smime {
namespace {

// "alice@example.org (serial 0a1b)": which key, never the key.
std::string key_name(const SigningKey& k) {
  const auto addrs = k.cert.addresses();
  return fmt::format("{} (serial {})", addrs.empty() ? k.cert.subject() : addrs.front(),
                     k.cert.serial_hex());
}

// The received message's header fields other than Content-*, then the decrypted entity.
std::string unwrapped_message(const core::Message& m, std::string_view entity) {
  std::string out;
  out.reserve(m.body_offset() + entity.size());
  for (const auto& f : m.headers())
    if (!is_content_field(f.name)) {
      out += m.raw_field(f);
      if (!out.ends_with('\n')) out += "\r\n";
    }
  out += entity;
  return out;
}

// The smime-type parameter says enveloped data (lower case compare).
bool labelled_enveloped(const core::Message& m) {
  const core::HeaderField* f = m.find("Content-Type");
  if (!f) return false;
  mime::DecodeStats st;
  const mime::StructuredField ct = mime::parse_structured(f->value, st);
  const std::string* t = ct.param("smime-type");
  if (!t) return false;
  const std::string low = core::to_lower(*t);
  return low == "enveloped-data" || low == "authenveloped-data";
}

bool looks_pkcs7_mime(const core::Message& m) {
  const core::HeaderField* ct = m.find("Content-Type");
  return ct && core::to_lower(ct->value).find("pkcs7-mime") != std::string::npos;
}

}  // namespace

postern::expected<std::shared_ptr<const KeyStore>, std::string> KeyStore::load(
    const std::string& dir) {
  auto s = std::make_shared<KeyStore>();
  s->dir_ = dir;
  if (dir.empty()) return std::shared_ptr<const KeyStore>(std::move(s));
  auto files = store_files(dir, "key_dir", s->skipped_);
  if (!files) return postern::unexpected(files.error());
  for (const auto& p : *files) {
    std::error_code size_ec;
    if (std::filesystem::file_size(p, size_ec) > CertStore::kMaxFileBytes || size_ec) {
      s->skipped_.push_back(
          fmt::format("{}: unreadable or over {} bytes", p, CertStore::kMaxFileBytes));
      continue;
    }
    // One file: the certificate (and its chain) and the private key.
    auto k = SigningKey::load(p, p, "");
    if (!k) {
      s->skipped_.push_back(k.error());
      continue;
    }
    const size_t index = s->keys_.size();
    for (auto& id : recipient_ids(k->cert)) s->by_id_.try_emplace(std::move(id), index);
    s->keys_.push_back(std::move(*k));
  }
  return std::shared_ptr<const KeyStore>(std::move(s));
}

const SigningKey* KeyStore::find(const std::vector<std::string>& ids) const {
  for (const auto& id : ids)
    if (auto it = by_id_.find(id); it != by_id_.end()) return &keys_[it->second];
  return nullptr;
}

Unwrapping unwrap(const core::Message& m, const KeyStore& keys, const UnwrapLimits& limits) {
  Unwrapping u;
  const core::Message* cur = &m;
  std::optional<core::Message> inner;  // the last layer decrypted
  size_t opened = 0;                   // opaque signed layers opened (at most max_layers)
  auto stop = [&](Unwrapping::Stop why, std::string reason, bool limit = false) {
    u.stop = why;
    u.reason = std::move(reason);
    u.limit = limit;
  };
  while (looks_pkcs7_mime(*cur)) {
    if (cur->raw().size() > limits.max_bytes) {
      stop(Unwrapping::Stop::Undecryptable,
           fmt::format("the message is {} bytes, over the S/MIME bound of {}", cur->raw().size(),
                       limits.max_bytes),
           true);
      break;
    }
    const mime::Tree tree = mime::Tree::parse(cur->raw(), limits.mime);
    if (!is_pkcs7_mime(tree.root().content_type)) break;
    const std::string der = der_of(tree, tree.root(), limits.max_bytes);
    const std::string type = content_type_of(der, limits.max_bytes);
    if (type == "signedData" && u.layers > 0 && opened < limits.max_layers) {
      // Signed, then encrypted, opaque signing: its content is what the recipient reads.
      // The signature check reads this layer (verify_raw); the content stages the next.
      auto content = signed_content(der, limits.max_bytes);
      if (!content) break;  // detached or damaged: the signature check says so
      u.verify_raw = cur->raw();
      ++opened;
      inner.emplace(unwrapped_message(*cur, *content));
      cur = &*inner;
      continue;
    }
    if (type != "envelopedData" && type != "authEnvelopedData") {
      // Signed data (the signature check reads it): nothing to decrypt. No CMS at all
      // under an enveloped-data label: a damaged encrypted message.
      if (type.empty() && labelled_enveloped(*cur))
        stop(Unwrapping::Stop::Undecryptable, "damaged CMS: not a CMS ContentInfo");
      break;
    }
    if (u.layers >= limits.max_layers) {
      stop(Unwrapping::Stop::Undecryptable,
           fmt::format("encrypted more than {} layer(s) deep", limits.max_layers), true);
      break;
    }
    auto ids = recipient_ids_of(der, limits.max_bytes);
    if (!ids) {
      stop(Unwrapping::Stop::Undecryptable, "damaged CMS: " + ids.error());
      break;
    }
    const SigningKey* key = keys.find(*ids);
    if (!key) {
      u.recipients = ids->size();
      stop(Unwrapping::Stop::NoKey,
           fmt::format("encrypted to {} recipient(s), none whose key the gateway holds",
                       ids->size()));
      break;
    }
    auto plain = decrypt(der, *key, limits.max_bytes);
    if (!plain) {
      stop(Unwrapping::Stop::Undecryptable,
           fmt::format("not decryptable with the key of {}: {}", key_name(*key), plain.error()));
      break;
    }
    std::string next = unwrapped_message(*cur, *plain);
    inner.emplace(std::move(next));
    cur = &*inner;
    ++u.layers;
    u.keys.push_back(key_name(*key));
  }
  if (u.layers > 0) {
    u.raw = cur->raw();
    if (u.verify_raw.empty()) u.verify_raw = u.raw;
  }
  return u;
}

core::Step DecryptStage::on_message(core::Transaction& tx) const {
  if (tx.direction() != core::Direction::Inbound || !tx.message()) return core::Step::next();
  Unwrapping u = unwrap(*tx.message(), *keys_, limits_);
  if (u.layers == 0 && u.stop == Unwrapping::Stop::None) return core::Step::next();
  auto report = std::make_shared<DecryptReport>();
  report->layers = u.layers;
  report->keys = u.keys;
  report->reason = u.reason;
  report->verify_raw = std::move(u.verify_raw);
  if (u.layers > 0) {
    std::string keys_used;
    for (const auto& k : u.keys) keys_used += (keys_used.empty() ? "" : ", then ") + k;
    tx.add_finding("SMIME_DECRYPTED", 0,
                   fmt::format("decrypted for scanning ({} layer(s)) with the key of {}", u.layers,
                               keys_used));
    tx.put<mime::Unwrapped>(std::make_shared<const mime::Unwrapped>(
        mime::Unwrapped{std::move(u.raw), fmt::format("S/MIME, {} layer(s)", u.layers)}));
  }
  switch (u.stop) {
    case Unwrapping::Stop::NoKey:
      tx.add_finding("SMIME_NO_KEY", 0, u.reason + ": its content was not scanned");
      report->result = u.layers > 0 ? "decrypted" : "no_key";
      break;
    case Unwrapping::Stop::Undecryptable:
      tx.add_finding("SMIME_UNDECRYPTABLE", 0, u.reason + ": its content was not scanned");
      report->result = "undecryptable";
      break;
    case Unwrapping::Stop::None:
      report->result = "decrypted";
      break;
  }
  tx.put<DecryptReport>(std::move(report));
  return core::Step::next();
}

}  // namespace postern::smime
