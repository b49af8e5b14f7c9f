// Heuristics: phishing and forgery evidence that does not age with one corpus:
// brand impersonation, credential-harvesting links and forms, link text that
// shows another domain than it goes to, HTML-only mail, Unicode tricks, header
// mismatches and lure attachments. The lists it needs (brands and their
// domains, freemail, free hosting, shorteners, IPFS gateways, company words)
// come from the policy's [heuristics] section (policies/60-heuristics.toml).
//
// Contract: `read_heuristics_policy` is the [heuristics] PolicySection reader;
// a later file's lists add to the earlier ones (a brand of the same key is
// replaced). Every list is bounded (kMaxListEntries, kMaxBrands, kMaxBrandWords);
// a longer list or a bad entry is an error at its file:line:column.
// HeuristicsStage is a content stage (it runs after the mime stage, reads
// content::fields and the mime::Analysis) and adds the symbols of
// lib/content/symbols.cpp listed in README.md "Heuristics"; each detail says
// what matched and where (core::explain). Linear in the message (body text is
// read up to kMaxScanBytes per part, links up to the analysis' bound) and ticks
// the transaction's CPU budget per link and per part. Built once per snapshot,
// immutable, shared by threads (the ICU IDNA object is thread-safe for use).
#pragma once

#include <bitset>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/stage.hpp"

namespace postern::policy {
class TomlSection;
struct Policy;
}  // namespace postern::policy

namespace postern::auth {
class PublicSuffix;
}

namespace postern::content {

// Bits of HeuristicsStage's filter of the brand names' first words.
inline constexpr size_t kFirstWordBits = 1 << 16;

inline constexpr size_t kMaxListEntries = 2000;
inline constexpr size_t kMaxBrands = 500;
inline constexpr size_t kMaxBrandWords = 16;
inline constexpr size_t kMaxScanBytes = 64 * 1024;

struct Brand {
  std::string key;                   // the table key: "paypal"
  std::vector<std::string> names;    // as written: "PayPal", "Office 365"
  std::vector<std::string> domains;  // registrable domains it sends from and links to
};

struct HeuristicsPolicy {
  std::vector<Brand> brands;
  std::vector<std::string> freemail;        // domains (a suffix match: "yahoo.co.uk")
  std::vector<std::string> free_hosting;    // "web.app", "docs.google.com/forms"
  std::vector<std::string> shorteners;      // "bit.ly"
  std::vector<std::string> ipfs_gateways;   // "ipfs.io"
  std::vector<std::string> company_words;   // lower case: "inc", "support", "billing"
  std::vector<std::string> link_rewriters;  // security gateways' link wrappers: "urldefense.com"
  int64_t date_future_hours = 48;           // Date later than the newest Received by more
  int64_t date_past_hours = 14 * 24;        // Date earlier than the newest Received by more
};

void read_heuristics_policy(policy::TomlSection& s, policy::Policy& p);

// Unicode helpers (heuristics_unicode.cpp), pure and thread-safe.
// The first bidi embedding, override or isolate control (U+202A..U+202E,
// U+2066..U+2069) in `s`: its byte offset, or npos.
size_t find_bidi_control(std::string_view s);
// The first word of `s` (a run of letters, digits and marks) that mixes Latin
// with Cyrillic or Greek, or Cyrillic with Greek: the word, or "" when none.
// Reads at most 4096 bytes.
std::string_view mixed_script_word(std::string_view s);

// Entries "host" or "host/path" indexed by host: `match` looks up each suffix of
// a host at a label boundary (linear in the host, whatever the list's length).
// Keeps pointers into `entries`, which must outlive it unchanged.
class HostIndex {
 public:
  explicit HostIndex(const std::vector<std::string>& entries);
  // The entry `host` (and `path`, lower case, from its "/") matches, or nullptr.
  const std::string* match(std::string_view host, std::string_view path = "/") const;

 private:
  std::unordered_map<std::string_view, std::vector<const std::string*>> by_host_;
};

class HeuristicsStage final : public core::Stage {
 public:
  HeuristicsStage(HeuristicsPolicy p, std::shared_ptr<const auth::PublicSuffix> psl);
  HeuristicsStage(const HeuristicsStage&) = delete;
  HeuristicsStage& operator=(const HeuristicsStage&) = delete;

  std::string_view name() const override { return "heuristics"; }
  bool content() const override { return true; }
  core::Step on_message(core::Transaction& tx) const override;

 private:
  struct BrandHit {
    size_t brand;
    std::string_view name;  // as the policy wrote it
    size_t pos, len;        // in the text searched
  };
  std::vector<BrandHit> brands_in(std::string_view text, size_t max_hits) const;
  bool brand_domain(size_t brand, std::string_view domain) const;
  std::string org(std::string_view domain) const;

  HeuristicsPolicy p_;
  std::shared_ptr<const auth::PublicSuffix> psl_;
  // Folded brand name (words joined by one space, look-alikes folded) -> (brand, name index).
  std::unordered_map<std::string, std::vector<std::pair<size_t, size_t>>> names_;
  std::bitset<kFirstWordBits> first_words_;  // a bit per first word of the keys (a hash)
  HostIndex free_hosting_, shorteners_, ipfs_, rewriters_;
  std::vector<std::vector<std::string>> written_;  // [brand][name]: its words joined by a space
  size_t max_name_words_ = 1;
};

}  // namespace postern::content
