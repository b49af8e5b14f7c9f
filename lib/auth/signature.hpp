// The DKIM/ARC signature core (RFC 6376, 8301, 8463, 8617): tag lists, header
// and body canonicalization, the signed header data, key records and the
// RSA/Ed25519 keys that sign and verify (OpenSSL EVP). DKIM verification and
// signing (dkim.hpp) and ARC validation and sealing (arc.hpp) are built on it.
//
// Contract: free functions are pure, over bytes, and thread-safe; a
// SignatureKey is immutable after creation and may be shared by threads (the
// EVP_PKEY is only read). Input is attacker-controlled: nothing here throws on
// bad syntax; parsers return an error string. Header values are taken raw (as
// in the message, folds included); line ends are expected as CRLF, a bare LF
// ends a line too. Cost is linear in the input: canonicalization is one pass,
// tag lists are bounded by `max_tags`, key records by kMaxKeyRecord.
#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/expected.hpp"
#include "core/message.hpp"

struct evp_pkey_st;

namespace postern::auth {

struct Tag {
  std::string name;
  std::string value;       // without surrounding whitespace; internal folds kept
  size_t value_begin = 0;  // in the parsed text: first byte after '='
  size_t value_end = 0;    // in the parsed text: the ';' (or end) that ends the tag
};

// A parsed RFC 6376 3.2 tag-list: names are case-sensitive, a duplicate name,
// an empty tag-spec (";;") or a bad tag name is an error; unknown tags are kept.
class TagList {
 public:
  static postern::expected<TagList, std::string> parse(std::string_view text, size_t max_tags = 64);
  const Tag* find(std::string_view name) const;
  // The value, or nullopt when the tag is absent.
  std::optional<std::string_view> get(std::string_view name) const;
  const std::vector<Tag>& tags() const { return tags_; }

 private:
  std::vector<Tag> tags_;
};

enum class Canon { Simple, Relaxed };

// "relaxed"/"simple" pairs of c= ("relaxed/simple"; a lone "relaxed" means
// relaxed/simple; absent means simple/simple). nullopt: not a valid c= value.
struct CanonPair {
  Canon header = Canon::Simple;
  Canon body = Canon::Simple;
};
std::optional<CanonPair> parse_canon(std::string_view c);

// The canonical form of one header field, with its CRLF. `raw_field` is the
// whole field as in the message ("Name: value\r\n", folds included).
std::string canon_header(Canon c, std::string_view name, std::string_view raw_value,
                         std::string_view raw_field);
// RFC 6376 3.4.2 for a value alone: unfolded, WSP runs to one SP, trimmed.
std::string relaxed_value(std::string_view raw_value);
// The canonical body (3.4.3 simple, 3.4.4 relaxed).
std::string canon_body(Canon c, std::string_view body);

// `raw_value` with the value of tag `b` removed (and the whitespace around it),
// as a signature is hashed (RFC 6376 3.7). The tag list must have parsed.
std::string strip_b_value(std::string_view raw_value, const TagList& tags);

// The names of a colon-separated h= list, lower case, whitespace removed;
// empty entries are skipped.
std::vector<std::string> signed_names(std::string_view h);
// The canonical header fields `names` (lower case) select, bottom-up per name
// (RFC 6376 5.4.2); a name with no (more) instances adds nothing. `skip` is
// left out. Linear in the header count plus the names.
std::string signed_header_data(const core::Message& m, const std::vector<std::string>& names,
                               Canon c, const core::HeaderField* skip);
// A signature field's own canonical form (b= emptied, no final CRLF), hashed
// last (RFC 6376 3.7).
std::string self_canon(const core::Message& m, const core::HeaderField& f, const TagList& tags,
                       Canon c);

// Base64 as tag values carry it: whitespace skipped, padding optional; nullopt
// on any other character outside the alphabet or data after the padding. Both
// are mime::decode_base64 / encode_base64 (the one base64 of the code base).
std::optional<std::string> base64_decode(std::string_view in);
std::string base64_encode(std::string_view in);

// RFC 5321 domain syntax (LDH labels, 1..63 each, <= 253 in all, no leading or
// trailing hyphen), as d= needs.
bool valid_domain(std::string_view d);

enum class Hash { Sha1, Sha256 };

inline constexpr unsigned kMaxRsaBits = 8192;         // larger keys cost CPU: refused
inline constexpr unsigned kMinSigningRsaBits = 1024;  // RFC 8301: our own private keys
inline constexpr size_t kMaxKeyRecord = 8192;         // bytes of one key TXT record

// What a key record (RFC 6376 3.6.1) failed on: the error classes a verifier reports.
enum class KeyError {
  Syntax,        // not a tag list
  Version,       // v= other than DKIM1
  HashMismatch,  // h= does not allow the signature's hash
  NotEmail,      // s= excludes email
  KeyType,       // k= other than rsa / ed25519
  Revoked,       // empty p=
  Decode,        // p= missing or not a public key of k='s type
  TooLarge,      // a record or an RSA key past the bounds above
};
struct KeyRecordError {
  KeyError kind;
  std::string text;  // why, in a few words
};

// One RSA or Ed25519 key: a public key from a DKIM key record (any RSA size up
// to kMaxRsaBits: the verifier judges short keys by its policy), or a private
// key from PEM (PKCS#1 or PKCS#8; RSA of kMinSigningRsaBits or more). Algorithms: rsa-sha256,
// rsa-sha1 (verify only, when the caller allows it) and ed25519-sha256 (RFC 8463: signs the SHA-256
// of the data). `sign`/`verify` take the canonical bytes and hash them.
class SignatureKey {
 public:
  enum class Kind { Rsa, Ed25519 };

  // The public key of a DKIM key record, for a signature made with `hash`.
  // `testing` is set when the record has t=y; `strict_identity` when it has t=s
  // (i= must then be in d= itself, not a subdomain).
  struct Record;
  static postern::expected<Record, KeyRecordError> from_record(std::string_view record,
                                                               Hash hash = Hash::Sha256);
  // A private key in PEM text / a PEM file (the error names the file).
  static postern::expected<SignatureKey, std::string> from_private_pem(std::string_view pem);
  static postern::expected<SignatureKey, std::string> load_private_pem_file(
      const std::string& path);

  Kind kind() const { return kind_; }
  unsigned bits() const { return bits_; }
  // "rsa-sha256" or "ed25519-sha256": the a= value this key signs with.
  std::string_view algorithm() const;

  // Signs `data` (raw signature bytes); only for private keys.
  postern::expected<std::string, std::string> sign(std::string_view data) const;
  // Verifies a signature over `data` with `hash` (Sha1 only for RSA keys).
  bool verify(std::string_view data, std::string_view signature, Hash hash = Hash::Sha256) const;

 private:
  SignatureKey(std::shared_ptr<evp_pkey_st> k, Kind kind, unsigned bits)
      : pkey_(std::move(k)), kind_(kind), bits_(bits) {}
  static postern::expected<SignatureKey, std::string> wrap(evp_pkey_st* k);

  std::shared_ptr<evp_pkey_st> pkey_;
  Kind kind_ = Kind::Rsa;
  unsigned bits_ = 0;
};

struct SignatureKey::Record {
  SignatureKey key;
  bool testing = false;          // t=y
  bool strict_identity = false;  // t=s
};

}  // namespace postern::auth
