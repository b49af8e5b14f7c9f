// The DKIM/ARC signature core: tag lists, canonicalization, signed header data,
// key records and EVP keys (see signature.hpp).
#include "auth/signature.hpp"

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <algorithm>
#include <cstring>
#include <fstream>
#include <map>
#include <sstream>

#include <fmt/format.h>

#include "core/address.hpp"
#include "core/digest.hpp"
#include "mime/decode.hpp"

namespace postern::auth {
namespace {

bool is_wsp(char c) {
  return c == ' ' || c == '\t';
}
bool is_fws(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}
bool is_alpha(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

std::string_view trim_fws(std::string_view s) {
  while (!s.empty() && is_fws(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_fws(s.back())) s.remove_suffix(1);
  return s;
}

}  // namespace

postern::expected<TagList, std::string> TagList::parse(std::string_view text, size_t max_tags) {
  TagList out;
  size_t pos = 0;
  const size_t n = text.size();
  for (;;) {
    while (pos < n && is_fws(text[pos])) ++pos;
    if (pos == n) break;  // empty list, or a trailing ';'
    if (text[pos] == ';') return postern::unexpected(std::string("empty tag (\";;\")"));
    size_t name_begin = pos;
    if (!is_alpha(text[pos])) return postern::unexpected(std::string("bad tag name"));
    while (pos < n && (is_alpha(text[pos]) || is_digit(text[pos]) || text[pos] == '_')) ++pos;
    std::string name(text.substr(name_begin, pos - name_begin));
    while (pos < n && is_fws(text[pos])) ++pos;
    if (pos == n || text[pos] != '=') return postern::unexpected("tag " + name + ": '=' expected");
    ++pos;
    size_t value_begin = pos;
    size_t value_end = text.find(';', pos);
    if (value_end == std::string_view::npos) value_end = n;
    std::string_view v = trim_fws(text.substr(value_begin, value_end - value_begin));
    for (char c : v) {
      auto u = static_cast<unsigned char>(c);
      if (!is_fws(c) && (u < 0x21 || u > 0x7e))
        return postern::unexpected("tag " + name + ": bad character in value");
    }
    if (out.find(name)) return postern::unexpected("duplicate tag " + name);
    if (out.tags_.size() >= max_tags) return postern::unexpected(std::string("too many tags"));
    out.tags_.push_back(Tag{std::move(name), std::string(v), value_begin, value_end});
    pos = value_end;
    if (pos < n) ++pos;  // the ';'
  }
  return out;
}

const Tag* TagList::find(std::string_view name) const {
  for (const auto& t : tags_)
    if (t.name == name) return &t;
  return nullptr;
}

std::optional<std::string_view> TagList::get(std::string_view name) const {
  const Tag* t = find(name);
  if (!t) return std::nullopt;
  return std::string_view(t->value);
}

std::optional<CanonPair> parse_canon(std::string_view c) {
  auto one = [](std::string_view s) -> std::optional<Canon> {
    if (s == "simple") return Canon::Simple;
    if (s == "relaxed") return Canon::Relaxed;
    return std::nullopt;
  };
  size_t slash = c.find('/');
  auto h = one(c.substr(0, slash));
  if (!h) return std::nullopt;
  CanonPair p{*h, Canon::Simple};
  if (slash != std::string_view::npos) {
    auto b = one(c.substr(slash + 1));
    if (!b) return std::nullopt;
    p.body = *b;
  }
  return p;
}

std::string relaxed_value(std::string_view raw_value) {
  std::string out;
  out.reserve(raw_value.size());
  bool in_wsp = false;
  for (char c : raw_value) {
    if (c == '\r' || c == '\n') continue;
    if (is_wsp(c)) {
      in_wsp = true;
      continue;
    }
    if (in_wsp && !out.empty()) out.push_back(' ');
    in_wsp = false;
    out.push_back(c);
  }
  return out;
}

std::string canon_header(Canon c, std::string_view name, std::string_view raw_value,
                         std::string_view raw_field) {
  if (c == Canon::Simple) {
    std::string out(raw_field);
    if (out.size() >= 2 && out.ends_with("\r\n")) return out;
    if (!out.empty() && out.back() == '\n') out.pop_back();
    out += "\r\n";
    return out;
  }
  std::string out;
  out.reserve(name.size() + raw_value.size() + 3);
  for (char ch : name) out.push_back((ch >= 'A' && ch <= 'Z') ? static_cast<char>(ch + 32) : ch);
  while (!out.empty() && is_wsp(out.back())) out.pop_back();
  out.push_back(':');
  out += relaxed_value(raw_value);
  out += "\r\n";
  return out;
}

std::string canon_body(Canon c, std::string_view body) {
  // One pass writing through a pointer: the output is never longer than the input plus
  // one CR per LF plus a final CRLF.
  std::string out;
  out.resize(body.size() + static_cast<size_t>(std::count(body.begin(), body.end(), '\n')) + 2);
  char* const begin = out.data();
  char* w = begin;
  size_t keep = 0;  // length of the output up to the end of the last non-empty line
  const char* p = body.data();
  const char* const end = p + body.size();
  while (p < end) {
    const auto* nl = static_cast<const char*>(std::memchr(p, '\n', static_cast<size_t>(end - p)));
    const char* line_end = nl ? nl : end;
    if (nl && line_end > p && line_end[-1] == '\r') --line_end;
    char* line_start = w;
    if (c == Canon::Simple) {
      std::memcpy(w, p, static_cast<size_t>(line_end - p));
      w += line_end - p;
    } else {  // WSP runs become one SP, trailing WSP goes
      bool wsp = false;
      for (const char* q = p; q < line_end;) {
        if (is_wsp(*q)) {
          wsp = true;
          ++q;
          continue;
        }
        const char* r = q;
        while (r < line_end && !is_wsp(*r)) ++r;
        if (wsp) *w++ = ' ';
        wsp = false;
        std::memcpy(w, q, static_cast<size_t>(r - q));
        w += r - q;
        q = r;
      }
    }
    bool empty = w == line_start;
    *w++ = '\r';
    *w++ = '\n';
    if (!empty) keep = static_cast<size_t>(w - begin);
    p = nl ? nl + 1 : end;
  }
  out.resize(keep);  // empty lines at the end of the body are not part of it
  if (c == Canon::Simple && out.empty()) out = "\r\n";
  return out;
}

std::string strip_b_value(std::string_view raw_value, const TagList& tags) {
  const Tag* b = tags.find("b");
  if (!b) return std::string(raw_value);
  std::string out(raw_value.substr(0, b->value_begin));
  out += raw_value.substr(b->value_end);
  return out;
}

std::optional<std::string> base64_decode(std::string_view in) {
  mime::DecodeStats st;
  std::string out = mime::decode_base64(in, st);
  if (st.invalid_chars != 0 || st.data_after_padding != 0) return std::nullopt;
  if (st.missing_padding) {  // a lone sixth of a quantum left: not base64
    size_t chars = 0;
    for (char c : in) chars += !is_fws(c) && c != '=';
    if (chars % 4 == 1) return std::nullopt;
  }
  return out;
}

std::string base64_encode(std::string_view in) {
  return mime::encode_base64(in, SIZE_MAX, "");
}

bool valid_domain(std::string_view d) {
  if (d.empty() || d.size() > 253) return false;
  size_t pos = 0;
  while (pos <= d.size()) {
    size_t dot = d.find('.', pos);
    if (dot == std::string_view::npos) dot = d.size();
    std::string_view label = d.substr(pos, dot - pos);
    if (label.empty() || label.size() > 63 || label.front() == '-' || label.back() == '-')
      return false;
    for (char c : label)
      if (!is_alpha(c) && !is_digit(c) && c != '-') return false;
    pos = dot + 1;
  }
  return true;
}

std::vector<std::string> signed_names(std::string_view h) {
  std::vector<std::string> out;
  size_t pos = 0;
  while (pos <= h.size()) {
    size_t c = h.find(':', pos);
    if (c == std::string_view::npos) c = h.size();
    std::string n = relaxed_value(h.substr(pos, c - pos));
    for (auto& ch : n)
      if (ch >= 'A' && ch <= 'Z') ch = static_cast<char>(ch + 32);
    if (!n.empty()) out.push_back(std::move(n));
    pos = c + 1;
  }
  return out;
}

std::string signed_header_data(const core::Message& m, const std::vector<std::string>& names,
                               Canon c, const core::HeaderField* skip) {
  // Only the fields that a name asks for are indexed (a message may have thousands).
  std::map<std::string, std::vector<const core::HeaderField*>, std::less<>> by_name;
  for (const auto& n : names) by_name.try_emplace(n);
  for (const auto& f : m.headers()) {
    if (&f == skip) continue;
    auto it = by_name.find(core::to_lower(f.name));
    if (it != by_name.end()) it->second.push_back(&f);
  }
  std::map<std::string_view, size_t> used;
  std::string data;
  for (const auto& n : names) {
    const auto& fields = by_name.find(n)->second;
    size_t& u = used[n];
    if (u >= fields.size()) continue;
    const core::HeaderField* f = fields[fields.size() - 1 - u];
    ++u;
    data += canon_header(c, f->name, m.raw_value(*f), m.raw_field(*f));
  }
  return data;
}

std::string self_canon(const core::Message& m, const core::HeaderField& f, const TagList& tags,
                       Canon c) {
  std::string raw_value(m.raw_value(f));
  std::string stripped = strip_b_value(raw_value, tags);
  std::string field = f.name + ":" + stripped + "\r\n";
  std::string out = canon_header(c, f.name, stripped, field);
  out.resize(out.size() - 2);
  return out;
}

// ---- keys ----

namespace {

struct MdCtxFree {
  void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); }
};
using MdCtx = std::unique_ptr<EVP_MD_CTX, MdCtxFree>;
struct BioFree {
  void operator()(BIO* b) const { BIO_free(b); }
};

// Colon-separated list `list` (whitespace allowed) contains `item`.
bool list_has(std::string_view list, std::string_view item) {
  size_t pos = 0;
  while (pos <= list.size()) {
    size_t c = list.find(':', pos);
    if (c == std::string_view::npos) c = list.size();
    if (relaxed_value(list.substr(pos, c - pos)) == item) return true;
    pos = c + 1;
  }
  return false;
}

postern::unexpected<KeyRecordError> key_error(KeyError k, std::string text) {
  return postern::unexpected(KeyRecordError{k, std::move(text)});
}

}  // namespace

postern::expected<SignatureKey, std::string> SignatureKey::wrap(EVP_PKEY* k) {
  std::shared_ptr<EVP_PKEY> p(k, EVP_PKEY_free);
  int id = EVP_PKEY_get_base_id(k);
  if (id == EVP_PKEY_ED25519) return SignatureKey(std::move(p), Kind::Ed25519, 256);
  if (id != EVP_PKEY_RSA) return postern::unexpected(std::string("not an RSA or Ed25519 key"));
  auto bits = static_cast<unsigned>(EVP_PKEY_get_bits(k));
  if (bits > kMaxRsaBits)
    return postern::unexpected(
        fmt::format("RSA key of {} bits (at most {} allowed)", bits, kMaxRsaBits));
  return SignatureKey(std::move(p), Kind::Rsa, bits);
}

postern::expected<SignatureKey::Record, KeyRecordError> SignatureKey::from_record(
    std::string_view record, Hash hash) {
  if (record.size() > kMaxKeyRecord) return key_error(KeyError::TooLarge, "key record too long");
  auto tags = TagList::parse(record);
  if (!tags) return key_error(KeyError::Syntax, "bad key record: " + tags.error());
  if (auto v = tags->get("v"); v && (*v != "DKIM1" || tags->tags().front().name != "v"))
    return key_error(KeyError::Version, "bad key record version");
  if (auto h = tags->get("h"); h && !list_has(*h, hash == Hash::Sha1 ? "sha1" : "sha256"))
    return key_error(KeyError::HashMismatch, hash == Hash::Sha1
                                                 ? "key record does not allow sha1"
                                                 : "key record does not allow sha256");
  if (auto s = tags->get("s"); s && !list_has(*s, "*") && !list_has(*s, "email"))
    return key_error(KeyError::NotEmail, "key record not for email");
  std::string_view k = tags->get("k").value_or("rsa");
  if (k != "rsa" && k != "ed25519")
    return key_error(KeyError::KeyType, "unknown key type k=" + std::string(k));
  auto p = tags->get("p");
  if (!p) return key_error(KeyError::Decode, "key record has no p=");
  auto der = base64_decode(*p);
  if (!der) return key_error(KeyError::Decode, "key record p= is not base64");
  if (der->empty()) return key_error(KeyError::Revoked, "key revoked (empty p=)");
  Record out{SignatureKey(nullptr, Kind::Rsa, 0)};
  if (auto t = tags->get("t")) {
    out.testing = list_has(*t, "y");
    out.strict_identity = list_has(*t, "s");
  }
  auto bytes = reinterpret_cast<const unsigned char*>(der->data());
  if (k == "ed25519") {
    EVP_PKEY* e = der->size() == 32
                      ? EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nullptr, bytes, 32)
                      : nullptr;
    if (!e) return key_error(KeyError::Decode, "bad ed25519 key");
    out.key = *wrap(e);
    return out;
  }
  const unsigned char* q = bytes;
  EVP_PKEY* r = d2i_PUBKEY(nullptr, &q, static_cast<long>(der->size()));
  if (!r) {  // some records carry a bare PKCS#1 RSAPublicKey (RFC 6376 3.6.1's letter)
    q = bytes;
    r = d2i_PublicKey(EVP_PKEY_RSA, nullptr, &q, static_cast<long>(der->size()));
  }
  if (!r) return key_error(KeyError::Decode, "key record p= is not a public key");
  if (EVP_PKEY_get_base_id(r) != EVP_PKEY_RSA) {
    EVP_PKEY_free(r);
    return key_error(KeyError::Decode, "k=rsa but p= is not an RSA key");
  }
  auto w = wrap(r);
  if (!w) return key_error(KeyError::TooLarge, w.error());
  out.key = std::move(*w);
  return out;
}

postern::expected<SignatureKey, std::string> SignatureKey::from_private_pem(std::string_view pem) {
  std::unique_ptr<BIO, BioFree> bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  if (!bio) return postern::unexpected(std::string("out of memory"));
  pem_password_cb* no_passphrase = [](char*, int, int, void*) { return 0; };
  EVP_PKEY* k = PEM_read_bio_PrivateKey(bio.get(), nullptr, no_passphrase, nullptr);
  if (!k) return postern::unexpected(std::string("not a PEM private key"));
  auto w = wrap(k);
  if (w && w->kind() == Kind::Rsa && w->bits() < kMinSigningRsaBits)
    return postern::unexpected(
        fmt::format("RSA key of {} bits, at least {} (RFC 8301)", w->bits(), kMinSigningRsaBits));
  return w;
}

postern::expected<SignatureKey, std::string> SignatureKey::load_private_pem_file(
    const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return postern::unexpected(path + ": cannot read the key file");
  std::ostringstream s;
  s << in.rdbuf();
  auto k = from_private_pem(s.str());
  if (!k) return postern::unexpected(path + ": " + k.error());
  return k;
}

std::string_view SignatureKey::algorithm() const {
  return kind_ == Kind::Rsa ? "rsa-sha256" : "ed25519-sha256";
}

postern::expected<std::string, std::string> SignatureKey::sign(std::string_view data) const {
  MdCtx ctx(EVP_MD_CTX_new());
  std::string digest = kind_ == Kind::Rsa ? std::string() : core::sha256(data);  // RFC 8463
  std::string_view input = kind_ == Kind::Rsa ? data : std::string_view(digest);
  const EVP_MD* md = kind_ == Kind::Rsa ? EVP_sha256() : nullptr;
  size_t len = 0;
  auto in = reinterpret_cast<const unsigned char*>(input.data());
  if (!ctx || EVP_DigestSignInit(ctx.get(), nullptr, md, nullptr, pkey_.get()) != 1 ||
      EVP_DigestSign(ctx.get(), nullptr, &len, in, input.size()) != 1)
    return postern::unexpected(std::string("cannot sign with this key"));
  std::string sig(len, '\0');
  if (EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(sig.data()), &len, in,
                     input.size()) != 1)
    return postern::unexpected(std::string("signing failed"));
  sig.resize(len);
  return sig;
}

bool SignatureKey::verify(std::string_view data, std::string_view signature, Hash hash) const {
  if (!pkey_ || (hash == Hash::Sha1 && kind_ != Kind::Rsa)) return false;
  MdCtx ctx(EVP_MD_CTX_new());
  std::string digest = kind_ == Kind::Rsa ? std::string() : core::sha256(data);  // RFC 8463
  std::string_view input = kind_ == Kind::Rsa ? data : std::string_view(digest);
  const EVP_MD* md =
      kind_ == Kind::Ed25519 ? nullptr : (hash == Hash::Sha1 ? EVP_sha1() : EVP_sha256());
  if (!ctx || EVP_DigestVerifyInit(ctx.get(), nullptr, md, nullptr, pkey_.get()) != 1) return false;
  return EVP_DigestVerify(ctx.get(), reinterpret_cast<const unsigned char*>(signature.data()),
                          signature.size(), reinterpret_cast<const unsigned char*>(input.data()),
                          input.size()) == 1;
}

}  // namespace postern::auth
