// Business email compromise: the [bec] policy section and the checks the bec
// stage runs on it — display names that impersonate a protected person,
// sender domains that look like ours or a partner's, and payment, gift-card
// and urgency language.
//
// Contract: `read_bec_policy` is the [bec] section's reader (registered by
// content/bec_registration.cpp): it reads one file's section over what earlier
// files set — a key replaces the earlier value, except `[[bec.protected]]`
// entries, which add up — and reports every problem at file:line:column
// (a phrase that is not valid RE2, a bound passed, an unknown key). `BecChecks`
// is compiled once per snapshot from the policy (the factory), immutable and
// shared by every connection thread; its functions are pure, bounded (names,
// domains and lists are cut at the limits below) and linear in the text they
// scan; they never throw on hostile input.
#pragma once

#include <re2/re2.h>

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace postern::policy {
class TomlSection;
struct Policy;
}  // namespace postern::policy

namespace postern::auth {
class PublicSuffix;
}

namespace postern::content {

inline constexpr size_t kMaxProtected = 1000;    // protected names
inline constexpr size_t kMaxBecAddresses = 100;  // addresses per protected name
inline constexpr size_t kMaxBecDomains = 1000;   // own + partner domains, each
inline constexpr size_t kMaxPhrases = 500;       // phrases per list
inline constexpr size_t kMaxPhraseBytes = 200;
// The shortest registrable label (the name before the public suffix) compared
// by edit distance: short names have many real neighbours ("acme" and "acne",
// "email.de" one edit from "gmail": measured on the shared ham), so they are
// compared by skeleton and suffix only.
inline constexpr size_t kMinEditLabel = 6;
// Labels up to this long allow one edit, longer ones two.
inline constexpr size_t kMaxOneEditLabel = 9;

struct ProtectedName {
  std::string name;                    // as written in policy
  std::vector<std::string> addresses;  // lower case
};

enum class PhraseKind { Payment, GiftCard, Urgency };
inline constexpr size_t kPhraseKinds = 3;

// The built-in phrases of a kind: what [bec] payment, gift_card and urgency
// hold until a policy file sets them (an empty list turns a kind off).
std::vector<std::string> default_phrases(PhraseKind kind);

struct BecPolicy {
  std::vector<ProtectedName> protected_names;
  std::vector<std::string> own_domains;      // lower case
  std::vector<std::string> partner_domains;  // lower case
  // Phrases per kind (PhraseKind order): RE2 syntax, case-insensitive, matched
  // on word boundaries; a space matches any run of white space.
  // Built in (default_phrases); policies/55-bec.toml lists them, commented.
  std::vector<std::string> phrases[kPhraseKinds] = {default_phrases(PhraseKind::Payment),
                                                    default_phrases(PhraseKind::GiftCard),
                                                    default_phrases(PhraseKind::Urgency)};
  // Language is checked only when the visible text of the message (all body
  // parts) is at most this many bytes: BEC mail is short, newsletters are not.
  size_t max_body_bytes = 3000;
  // ... and it has at most this many links (images included): BEC mail asks for a reply or
  // points at one page; a promotion with "gift card" in it links to a shop's whole catalogue.
  size_t max_links = 5;
};

void read_bec_policy(policy::TomlSection& s, policy::Policy& p);

// A protected name that `display` impersonates.
struct VipMatch {
  const ProtectedName* who = nullptr;
};

// A sender domain that looks like one of ours or a partner's.
struct Lookalike {
  std::string reference;  // the own or partner registrable domain
  std::string how;        // "confusable", "edit distance N", "other suffix", "suffix in label"
};

// The first phrase of one kind found in a text.
struct PhraseMatch {
  size_t pos = 0, len = 0;
};

class BecChecks {
 public:
  // `psl` finds registrable domains (null: the last two labels).
  BecChecks(const BecPolicy& p, std::shared_ptr<const auth::PublicSuffix> psl);

  // The protected name `display` shows, when `address` is not one of its
  // addresses and not at an own domain (mail from our domains is DMARC's to
  // judge: "Jane Doe via List <list@lists.corp.example>").
  std::optional<VipMatch> vip(std::string_view display, std::string_view address) const;
  // The own or partner domain `domain` imitates; nullopt when it is one (or a
  // subdomain of one) or imitates none. A confusable skeleton or an edit
  // distance counts against both; another suffix ("corp.co" for "corp.com") and
  // the suffix folded into the name ("corp-example.com") only against own
  // domains: brands own many suffixes (docusign.net and docusign.com).
  std::optional<Lookalike> lookalike(std::string_view domain) const;
  // The first match of a phrase of `kind` in `text`.
  std::optional<PhraseMatch> phrase(PhraseKind kind, std::string_view text) const;

  bool own(std::string_view domain) const;  // an own domain or a subdomain of one
  const BecPolicy& policy() const { return p_; }

  // The registrable domain (lower case).
  std::string registrable(std::string_view domain) const;

 private:
  struct Person {
    const ProtectedName* who;
    std::vector<std::string> words;  // skeleton words
  };
  struct Reference {
    std::string domain;  // registrable, lower case
    std::string label;   // before the suffix
    std::string suffix;  // the public suffix
    std::string label_skeleton, domain_skeleton;
    bool own = false;  // an own domain (else a partner's)
  };
  BecPolicy p_;
  std::shared_ptr<const auth::PublicSuffix> psl_;
  std::vector<Person> people_;
  std::vector<Reference> refs_;
  std::unique_ptr<RE2> phrase_re_[kPhraseKinds];
};

// Optimal string alignment distance (Damerau-Levenshtein with adjacent
// transpositions) over bytes, or `limit` + 1 once it exceeds `limit`.
size_t edit_distance(std::string_view a, std::string_view b, size_t limit);

}  // namespace postern::content
