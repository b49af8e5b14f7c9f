// Click tokens and the key ring (see token.hpp).
#include "url/token.hpp"

#include <fmt/format.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <sys/stat.h>

#include <algorithm>
#include <cctype>

#include "core/digest.hpp"
#include "mime/decode.hpp"
#include "policy/toml_reader.hpp"

namespace postern::url {
namespace {

constexpr char kFormat = 1;  // payload format byte
constexpr size_t kMacBytes = 32;

postern::unexpected<TokenError> fail(TokenFault f, std::string detail) {
  return postern::unexpected(TokenError{f, std::move(detail)});
}

void put_u64(std::string& out, uint64_t v) {
  for (int i = 7; i >= 0; --i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

void put_field(std::string& out, std::string_view s) {
  out.push_back(static_cast<char>((s.size() >> 8) & 0xff));
  out.push_back(static_cast<char>(s.size() & 0xff));
  out.append(s);
}

// Reads the payload field by field; any shortfall or excess is malformed.
struct Reader {
  std::string_view s;
  size_t at = 0;
  bool ok = true;
  uint64_t u64() {
    if (s.size() - at < 8) return ok = false, 0;
    uint64_t v = 0;
    for (int i = 0; i < 8; ++i) v = (v << 8) | static_cast<unsigned char>(s[at++]);
    return v;
  }
  std::string field(size_t max) {
    if (s.size() - at < 2) return ok = false, std::string();
    size_t n = (static_cast<unsigned char>(s[at]) << 8) | static_cast<unsigned char>(s[at + 1]);
    at += 2;
    if (n > max || s.size() - at < n) return ok = false, std::string();
    std::string v(s.substr(at, n));
    at += n;
    return v;
  }
};

std::string mac(std::string_view key, std::string_view data) {
  return core::hmac_sha256(key, data);
}

bool key_id_ok(std::string_view id) {
  return !id.empty() && id.size() <= kMaxKeyId && std::all_of(id.begin(), id.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.';
  });
}

std::optional<std::string> unhex(std::string_view h) {
  if (h.size() % 2) return std::nullopt;
  std::string out;
  for (size_t i = 0; i < h.size(); i += 2) {
    auto v = [](char c) {
      return c >= '0' && c <= '9'                     ? c - '0'
             : (c | 0x20) >= 'a' && (c | 0x20) <= 'f' ? (c | 0x20) - 'a' + 10
                                                      : -1;
    };
    int a = v(h[i]), b = v(h[i + 1]);
    if (a < 0 || b < 0) return std::nullopt;
    out.push_back(static_cast<char>(a * 16 + b));
  }
  return out;
}

}  // namespace

std::string_view to_string(TokenFault f) {
  switch (f) {
    case TokenFault::Malformed:
      return "malformed";
    case TokenFault::UnknownKey:
      return "unknown key";
    case TokenFault::RetiredKey:
      return "retired key";
    case TokenFault::BadSignature:
      return "bad signature";
    case TokenFault::Expired:
      return "expired";
    case TokenFault::TooLong:
      return "too long";
  }
  return "?";
}

// Over the code base's one base64 (mime/decode.hpp): the URL alphabet, no padding.
std::string base64url(std::string_view bytes) {
  std::string out = mime::encode_base64(bytes, SIZE_MAX, "");
  while (!out.empty() && out.back() == '=') out.pop_back();
  for (char& c : out) c = c == '+' ? '-' : c == '/' ? '_' : c;
  return out;
}

std::optional<std::string> unbase64url(std::string_view text) {
  if (text.size() % 4 == 1) return std::nullopt;
  std::string b64(text);
  for (char& c : b64) {
    if (c == '+' || c == '/' || c == '=' || c == '\r' || c == '\n' || c == ' ' || c == '\t')
      return std::nullopt;  // not of the URL alphabet (decode_base64 would skip or accept them)
    c = c == '-' ? '+' : c == '_' ? '/' : c;
  }
  b64.append((4 - b64.size() % 4) % 4, '=');
  mime::DecodeStats st;
  std::string out = mime::decode_base64(b64, st);
  if (st.invalid_chars != 0 || st.data_after_padding != 0 || st.missing_padding)
    return std::nullopt;
  if (base64url(out) != text) return std::nullopt;  // one spelling per token (no stray bits)
  return out;
}

std::string recipient_hash(const std::vector<std::string>& addresses) {
  if (addresses.empty()) return {};
  std::string joined;
  for (const auto& a : addresses) {
    if (!joined.empty()) joined.push_back(',');
    for (char c : a)
      joined.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  }
  return core::sha256_hex(joined).substr(0, 16);
}

postern::expected<KeyRing, std::string> KeyRing::from(std::vector<Key> keys, std::string current) {
  KeyRing r;
  for (auto& k : keys) {
    if (!key_id_ok(k.id))
      return postern::unexpected("key id '" + k.id +
                                 "': expected 1-32 letters, digits, '-', '_', '.'");
    if (k.secret.size() < 32 || k.secret.size() > 64)
      return postern::unexpected("key '" + k.id + "': the secret must be 32 to 64 bytes");
    if (r.find(k.id)) return postern::unexpected("key '" + k.id + "' defined twice");
    r.keys_.push_back(std::move(k));
  }
  const Key* c = r.find(current);
  if (!c) return postern::unexpected("current key '" + current + "' is not defined");
  if (c->retired) return postern::unexpected("current key '" + current + "' is retired");
  r.current_ = std::move(current);
  return r;
}

postern::expected<KeyRing, policy::Errors> KeyRing::load(const std::string& path) {
  policy::Errors errs;
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0)
    return postern::unexpected(policy::Errors{{path, 0, 0, "cannot read the click key file"}});
  if (st.st_mode & 077)
    return postern::unexpected(policy::Errors{
        {path, 0, 0,
         fmt::format("the click key file is readable by others (mode {:04o}): expected 0600",
                     st.st_mode & 07777)}});
  auto t = policy::parse_toml_file(path, errs);
  if (!t) return postern::unexpected(errs);
  policy::TomlSection top(*t, "", path, errs);
  std::string current;
  if (auto v = top.string("current"))
    current = *v;
  else
    top.error_here("'current': expected the id of the key that signs");
  std::vector<Key> keys;
  if (const toml::table* kt = top.table("keys")) {
    for (const auto& [id, node] : *kt) {
      const toml::table* one = node.as_table();
      if (!one) {
        errs.push_back(policy::error_at(path, node.source(),
                                        "[keys." + std::string(id.str()) + "]: expected a table"));
        continue;
      }
      policy::TomlSection s(*one, "keys." + std::string(id.str()), path, errs);
      Key k{std::string(id.str()), {}, false};
      if (!key_id_ok(k.id)) s.error(id, "key id: expected 1-32 letters, digits, '-', '_', '.'");
      if (auto sec = s.string("secret")) {
        auto raw = unhex(*sec);
        if (!raw || raw->size() < 32 || raw->size() > 64)
          s.error(*s.node("secret"), "'secret': expected 64 to 128 hex digits (32 to 64 bytes)");
        else
          k.secret = *raw;
      } else {
        s.error_here("'secret': required");
      }
      if (auto r = s.boolean("retired")) k.retired = *r;
      s.finish();
      keys.push_back(std::move(k));
    }
  } else {
    top.error_here("[keys.ID]: expected at least one key");
  }
  top.finish();
  if (!errs.empty()) return postern::unexpected(errs);
  auto ring = from(std::move(keys), current);
  if (!ring) return postern::unexpected(policy::Errors{{path, 0, 0, ring.error()}});
  return std::move(*ring);
}

const KeyRing::Key* KeyRing::find(std::string_view id) const {
  for (const auto& k : keys_)
    if (k.id == id) return &k;
  return nullptr;
}

postern::expected<std::string, TokenError> KeyRing::issue(Token t) const {
  if (t.url.size() > kMaxUrl)
    return fail(TokenFault::TooLong,
                fmt::format("URL of {} bytes (at most {})", t.url.size(), kMaxUrl));
  if (t.scan_id.size() > kMaxField || t.recipient.size() > kMaxField)
    return fail(TokenFault::TooLong, "scan id or recipient hash over its bound");
  const Key* k = find(current_);
  if (!k) return fail(TokenFault::UnknownKey, "no current key");
  std::string p;
  p.push_back(kFormat);
  put_field(p, k->id);
  put_u64(p, static_cast<uint64_t>(t.issued));
  put_u64(p, t.policy_version);
  put_field(p, t.scan_id);
  put_field(p, t.recipient);
  put_field(p, t.url);
  return base64url(p) + "." + base64url(mac(k->secret, p));
}

postern::expected<Token, TokenError> KeyRing::verify(
    std::string_view token, std::chrono::seconds max_age,
    std::chrono::system_clock::time_point now) const {
  if (token.size() > kMaxTokenChars)
    return fail(TokenFault::TooLong, fmt::format("token of {} characters", token.size()));
  size_t dot = token.find('.');
  if (dot == std::string_view::npos || token.find('.', dot + 1) != std::string_view::npos)
    return fail(TokenFault::Malformed, "expected PAYLOAD.MAC");
  auto payload = unbase64url(token.substr(0, dot));
  auto sig = unbase64url(token.substr(dot + 1));
  if (!payload || !sig || sig->size() != kMacBytes || payload->empty() || (*payload)[0] != kFormat)
    return fail(TokenFault::Malformed, "not a click token");
  Reader r{*payload, 1};
  Token t;
  t.key_id = r.field(kMaxKeyId);
  t.issued = static_cast<int64_t>(r.u64());
  uint64_t version = r.u64();
  t.policy_version = static_cast<uint32_t>(version);
  t.scan_id = r.field(kMaxField);
  t.recipient = r.field(kMaxField);
  t.url = r.field(kMaxUrl);
  if (!r.ok || r.at != payload->size() || version > UINT32_MAX)
    return fail(TokenFault::Malformed, "payload does not parse");
  const Key* k = find(t.key_id);
  if (!k) return fail(TokenFault::UnknownKey, "key id '" + t.key_id + "'");
  std::string want = mac(k->secret, *payload);
  if (want.size() != kMacBytes || CRYPTO_memcmp(want.data(), sig->data(), kMacBytes) != 0)
    return fail(TokenFault::BadSignature, "key id '" + t.key_id + "'");
  // Only a genuine token says its key is retired: the name alone proves nothing.
  if (k->retired) return fail(TokenFault::RetiredKey, "key id '" + t.key_id + "'");
  int64_t now_s = std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count();
  if (t.issued > now_s + 300) return fail(TokenFault::Expired, "issued in the future");
  if (max_age.count() > 0 && now_s - t.issued > max_age.count())
    return fail(TokenFault::Expired,
                fmt::format("issued {} s ago (at most {})", now_s - t.issued, max_age.count()));
  return t;
}

}  // namespace postern::url
