// DLP detectors: personal and financial identifiers in text, each checked by its
// validator (Luhn, mod 97, mod 11, MRZ check digits, ...), with a confidence tier.
//
// Contract: `detect(text, options)` scans UTF-8 text once per enabled detector and
// returns at most `options.max_matches` matches in text order per detector (more:
// `Result::truncated`). Detectors:
//   card   13-19 digits, compact or grouped (4-4-4-4, 4-6-5, 4-6-4, 4-4-5, 4-4-4-3,
//          4-4-4-4-3) with one kind of separator (single spaces or single dashes),
//          Luhn, issuer range and length, the well-known test numbers excluded
//   ssn    AAA-GG-SSSS (dashes or spaces); 9 bare digits only with a keyword near
//          (then at most medium); area not 000/666/9xx, group not 00, serial not 0000,
//          not 078-05-1120 / 219-09-9999
//   iban   country, check digits, BBAN: compact or in groups of 4 separated by single
//          spaces; the length of the country (table) and mod 97 == 1
//   nhs    10 digits (compact or 3-3-4 with spaces), mod 11 check digit (10: invalid)
//   npi    10 digits starting 1 or 2, Luhn over 80840 + the number
//   icd10  letter, 2 digits, optionally "." and 1-4 more: only with a keyword near,
//          and then low (a format, no validator)
//   mrz    passport MRZ (TD3): two lines of 44 of [A-Z0-9<], the first starting with
//          P; the check digits of the document number, birth date, expiry, and the
//          composite
// A number is one whole token: a digit run (with its separators) that continues into
// more digits or letters is not cut to fit. Tiers: high = validated and a keyword of
// the detector within `window` bytes before or after; medium = validated; low =
// format only (icd10 alone). Fullwidth digits, letters, hyphen and spaces (and the
// no-break space) are read as their ASCII forms, as NFKC reads them and as a person
// does; digits of other scripts are not digits here (NFKC keeps them).
// A match carries the byte offsets in `text` and the MASKED value only (last 4
// characters kept at most): the raw value never leaves this file but by offsets.
// Linear in the text (keywords: in the window of each match, matches bounded).
// Text of less than 4 GiB. Pure functions, thread-safe, never throw on any bytes.
#pragma once

#include <array>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace postern::dlp {

enum class Detector { card, ssn, iban, nhs, npi, icd10, mrz };
inline constexpr size_t kDetectors = 7;
enum class Tier { low, medium, high };

std::string_view detector_name(Detector d);
std::optional<Detector> detector_from_name(std::string_view name);
std::string_view tier_name(Tier t);
std::optional<Tier> tier_from_name(std::string_view name);

struct Match {
  Detector detector{};
  Tier tier{};
  size_t begin = 0, end = 0;  // bytes of the input text
  std::string masked;         // e.g. "**** **** **** 1111", "***-**-6789"
};

struct Options {
  std::array<bool, kDetectors> enabled{true, true, true, true, true, true, true};
  size_t window = 50;        // bytes around a match searched for keywords
  size_t max_matches = 100;  // per detector and call
  // Lower-case keywords per detector, matched at the start of a word
  // ("pan" is not found in "company"); the defaults when empty.
  std::array<std::vector<std::string>, kDetectors> keywords{};
};

// The built-in keywords of a detector (lower case).
const std::vector<std::string>& default_keywords(Detector d);

struct Result {
  std::vector<Match> matches;  // grouped by detector, in text order within each
  bool truncated = false;      // a detector found more than max_matches
};

Result detect(std::string_view text, const Options& options = {});

// Validators alone (ASCII digits/characters; false on anything else).
bool luhn_valid(std::string_view digits);
bool iban_valid(std::string_view compact);  // "DE89370400440532013000"
bool nhs_valid(std::string_view digits);    // 10 digits
bool npi_valid(std::string_view digits);    // 10 digits
bool ssn_valid(std::string_view digits);    // 9 digits
int mrz_check_digit(std::string_view field);

}  // namespace postern::dlp
