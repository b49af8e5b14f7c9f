// The DLP detectors: validator tables (valid numbers and their near misses), tiers,
// masking, fullwidth digits, bounds.
#include <catch2/catch.hpp>

#include <algorithm>
#include <string>
#include <vector>

#include "dlp/detectors.hpp"
#include "support/files.hpp"

using postern::dlp::Detector;
using postern::dlp::Tier;
namespace dlp = postern::dlp;

namespace {

dlp::Options only(Detector d) {
  dlp::Options o;
  o.enabled.fill(false);
  o.enabled[static_cast<size_t>(d)] = true;
  return o;
}

struct Row {
  const char* text;
  Detector detector;
  bool found;
  const char* masked;  // when found
  Tier tier;           // when found
};

void check_rows(const std::vector<Row>& rows) {
  for (const auto& row : rows) {
    INFO(row.text);
    const auto r = dlp::detect(row.text, only(row.detector));
    if (!row.found) {
      CHECK(r.matches.empty());
      continue;
    }
    REQUIRE(r.matches.size() == 1);
    CHECK(r.matches[0].masked == row.masked);
    CHECK(r.matches[0].tier == row.tier);
    // The masked value never holds more than the last 4 characters of the raw one.
    const std::string raw(row.text + r.matches[0].begin, r.matches[0].end - r.matches[0].begin);
    CHECK(raw.find(r.matches[0].masked) == std::string::npos);
  }
}

}  // namespace

TEST_CASE("payment cards: Luhn, issuer ranges, groupings, test numbers, whole tokens",
          "[dlp][card]") {
  const auto M = Tier::medium, H = Tier::high;
  check_rows({
      {"ref 4241960209282256 ok", Detector::card, true, "**** **** **** 2256", M},
      {"card 4241 9602 0928 2256", Detector::card, true, "**** **** **** 2256", H},
      {"visa: 4241-9602-0928-2256.", Detector::card, true, "**** **** **** 2256", H},
      {"x 4241960209282 y", Detector::card, true, "* **** **** 9282", M},               // Visa 13
      {"x 4241960209282258046 y", Detector::card, true, "*** **** **** **** 8046", M},  // 19
      {"x 5206932327216243", Detector::card, true, "**** **** **** 6243", M},           // MC 51-55
      {"x 2500678739413825", Detector::card, true, "**** **** **** 3825", M},     // MC 2221-2720
      {"amex 3421 753377 27470", Detector::card, true, "*** **** **** 7470", H},  // 4-6-5
      {"x 374772591472362", Detector::card, true, "*** **** **** 2362", M},
      {"x 6011217924191871", Detector::card, true, "**** **** **** 1871", M},  // Discover
      {"x 6571062028092654", Detector::card, true, "**** **** **** 2654", M},
      {"x 6452099664208506347", Detector::card, true, "*** **** **** **** 6347", M},
      {"x 3530391257144150", Detector::card, true, "**** **** **** 4150", M},  // JCB
      {"x 3015 233751 8362", Detector::card, true, "** **** **** 8362", M},    // Diners 4-6-4
      {"x 36412849656884", Detector::card, true, "** **** **** 6884", M},
      {"x 62763773739485935", Detector::card, true, "* **** **** **** 5935", M},  // UnionPay 17
      // Near misses.
      {"x 4241960209282257", Detector::card, false, "", M},      // one digit changed: Luhn
      {"x 424196020928225", Detector::card, false, "", M},       // Visa of 15 digits
      {"x 342175337727470 0", Detector::card, false, "", M},     // continues into another group
      {"x 1435452488159795", Detector::card, false, "", M},      // no issuer starts with 1
      {"x 7561488830907922", Detector::card, false, "", M},      // nor with 7
      {"x 34217533772747", Detector::card, false, "", M},        // Amex of 14 digits
      {"x 4241 9602-0928 2256", Detector::card, false, "", M},   // separators mixed
      {"x 4241  9602 0928 2256", Detector::card, false, "", M},  // double space
      {"x 42419 602092 82256", Detector::card, false, "", M},    // no card is written 5-6-5
      {"x 94241960209282256", Detector::card, false, "", M},     // inside a longer digit run
      {"x 42419602092822561", Detector::card, false, "", M},
      {"id4241960209282256", Detector::card, false, "", M},        // inside a word
      {"x 1.4241960209282256", Detector::card, false, "", M},      // a decimal
      {"card 4111 1111 1111 1111", Detector::card, false, "", M},  // test numbers
      {"card 5555555555554444", Detector::card, false, "", M},
      {"card 4012888888881881", Detector::card, false, "", M},
      {"card 378282246310005", Detector::card, false, "", M},
      {"card 6011111111111117", Detector::card, false, "", M},
  });
}

TEST_CASE("US SSN: area, group and serial rules; bare digits only with a keyword", "[dlp][ssn]") {
  const auto M = Tier::medium, H = Tier::high;
  check_rows({
      {"id 123-45-6789 x", Detector::ssn, true, "***-**-6789", M},
      {"SSN: 123-45-6789", Detector::ssn, true, "***-**-6789", H},
      {"social security number 123 45 6789", Detector::ssn, true, "***-**-6789", H},
      {"ssn 123456789", Detector::ssn, true, "***-**-6789", M},  // bare: medium at most
      {"order 123456789", Detector::ssn, false, "", M},          // bare without a keyword
      {"ssn 000-45-6789", Detector::ssn, false, "", M},
      {"ssn 666-45-6789", Detector::ssn, false, "", M},
      {"ssn 900-45-6789", Detector::ssn, false, "", M},
      {"ssn 123-00-6789", Detector::ssn, false, "", M},
      {"ssn 123-45-0000", Detector::ssn, false, "", M},
      {"ssn 078-05-1120", Detector::ssn, false, "", M},  // the Woolworth card
      {"ssn 219-09-9999", Detector::ssn, false, "", M},
      {"ssn 123-45 6789", Detector::ssn, false, "", M},    // mixed
      {"ssn 123-456-789", Detector::ssn, false, "", M},    // wrong grouping
      {"ssn 123-45-67890", Detector::ssn, false, "", M},   // too long
      {"tel 1-123-45-6789", Detector::ssn, false, "", M},  // inside a longer number
  });
}

TEST_CASE("IBAN: country length and mod 97, compact or in groups of 4", "[dlp][iban]") {
  const auto M = Tier::medium, H = Tier::high;
  check_rows({
      {"IBAN DE89 3704 0044 0532 0130 00", Detector::iban, true, "DE** **** **** **** **30 00", H},
      {"pay to DE89370400440532013000.", Detector::iban, true, "DE** **** **** **** **30 00", M},
      {"x GB82 WEST 1234 5698 7654 32", Detector::iban, true, "GB** **** **** **** **54 32", M},
      {"x NL91ABNA0417164300", Detector::iban, true, "NL** **** **** **43 00", M},
      {"x FR1420041010050500013M02606", Detector::iban, true, "FR** **** **** **** **** ***2 606",
       M},
      {"x BE68539007547034", Detector::iban, true, "BE** **** **** 7034", M},
      {"x NO9386011117947", Detector::iban, true, "NO** **** ***7 947", M},
      {"x CH93 0076 2011 6238 5295 7", Detector::iban, true, "CH** **** **** **** *295 7", M},
      {"x DE89 3704 0044 0532 0130 01", Detector::iban, false, "", M},   // one digit changed
      {"x DE8937040044053201300", Detector::iban, false, "", M},         // 21: DE has 22
      {"x DE893704004405320130000", Detector::iban, false, "", M},       // 23
      {"x NL91ABNA04171643001", Detector::iban, false, "", M},           // NL is 18
      {"x CH93 0076 2011 6238 52957", Detector::iban, false, "", M},     // a group of 5
      {"x DE89  3704 0044 0532 0130 00", Detector::iban, false, "", M},  // double space
      {"x XX89370400440532013000", Detector::iban, false, "", M},        // no such country
      {"xDE89370400440532013000", Detector::iban, false, "", M},         // inside a word
  });
}

TEST_CASE("NHS numbers (mod 11) and NPI (Luhn with 80840)", "[dlp][nhs][npi]") {
  const auto M = Tier::medium, H = Tier::high;
  check_rows({
      {"NHS number 943 476 5919", Detector::nhs, true, "*** *** 5919", H},
      {"ref 9434765919 x", Detector::nhs, true, "*** *** 5919", M},
      {"ref 943 476 5918", Detector::nhs, false, "", M},  // check digit
      {"ref 943-476-5919", Detector::nhs, false, "", M},  // dashes: not how NHS numbers print
      {"ref 943 4765 919", Detector::nhs, false, "", M},  // grouping
      {"ref 94347659190", Detector::nhs, false, "", M},   // 11 digits
      {"ref 1000000010", Detector::nhs, false, "", M},    // check digit would be 10
      {"NPI 1234567893", Detector::npi, true, "******7893", H},
      {"x 1234567893 y", Detector::npi, true, "******7893", M},
      {"NPI 1234567894", Detector::npi, false, "", M},
      {"NPI 3234567893", Detector::npi, false, "", M},  // starts with 3
      {"NPI 123456789", Detector::npi, false, "", M},
  });
  CHECK(dlp::nhs_valid("9434765919"));
  CHECK_FALSE(dlp::nhs_valid("1000000010"));
  CHECK(dlp::npi_valid("1234567893"));
}

TEST_CASE("ICD-10 codes count only with a keyword, and only as low", "[dlp][icd10]") {
  const auto L = Tier::low;
  check_rows({
      {"Diagnosis: E11.65 (type 2)", Detector::icd10, true, "E**.**", L},
      {"ICD-10 code J45 noted", Detector::icd10, true, "J**", L},
      {"patient coded F32.A1", Detector::icd10, true, "F**.**", L},
      {"seat E11 on the B52", Detector::icd10, false, "", L},  // no keyword
      {"diagnosis E1", Detector::icd10, false, "", L},
      {"diagnosis E11.12345", Detector::icd10, false, "", L},  // more than 4 after the dot
      {"diagnosis XE11", Detector::icd10, false, "", L},
  });
}

TEST_CASE("passport MRZ: check digits of number, birth, expiry and composite", "[dlp][mrz]") {
  const std::string l1 = "P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<";
  const std::string l2 = "L898902C36UTO7408122F1204159ZE184226B<<<<<10";
  auto one = [&](const std::string& text) { return dlp::detect(text, only(Detector::mrz)); };
  auto r = one("scan of the passport:\n" + l1 + "\r\n" + l2 + "\n");
  REQUIRE(r.matches.size() == 1);
  CHECK(r.matches[0].masked == "P<UTO *******C3");
  CHECK(r.matches[0].tier == Tier::high);
  r = one("see\n  " + l1 + "\n" + l2 + "  \n");
  REQUIRE(r.matches.size() == 1);
  CHECK(r.matches[0].tier == Tier::medium);
  for (size_t pos : {9u, 19u, 27u, 43u, 2u, 15u}) {
    std::string bad = l2;
    bad[pos] = bad[pos] == '1' ? '2' : '1';
    INFO(pos);
    CHECK(one(l1 + "\n" + bad).matches.empty());
  }
  CHECK(one("I" + l1.substr(1) + "\n" + l2).matches.empty());  // not a passport (TD3 'P')
  CHECK(one(l1 + "\n\n" + l2).matches.empty());                // not consecutive lines
  CHECK(one(l1 + "\n" + l2.substr(0, 43)).matches.empty());    // 43 characters
}

TEST_CASE("fullwidth digits are read as digits (NFKC); other scripts' digits are not",
          "[dlp][unicode]") {
  // "４２４１ ９６０２ ０９２８ ２２５６" in fullwidth digits, ideographic spaces.
  std::string fw;
  for (char c : std::string("4241 9602 0928 2256")) {
    if (c == ' ')
      fw += "\xE3\x80\x80";
    else
      fw += std::string("\xEF\xBC") + static_cast<char>(0x90 + (c - '0'));
  }
  const std::string text = "card: " + fw + " thanks";
  auto r = dlp::detect(text, only(Detector::card));
  REQUIRE(r.matches.size() == 1);
  CHECK(r.matches[0].masked == "**** **** **** 2256");
  CHECK(r.matches[0].tier == Tier::high);
  CHECK(r.matches[0].begin == 6);
  CHECK(r.matches[0].end == 6 + fw.size());
  // Arabic-Indic digits (U+0660..0669): NFKC keeps them, so do we.
  std::string arabic;
  for (char c : std::string("4241960209282256"))
    arabic += std::string("\xD9") + static_cast<char>(0xA0 + (c - '0'));
  CHECK(dlp::detect("card " + arabic, only(Detector::card)).matches.empty());
  // Fullwidth letters in an IBAN, with a no-break space between groups.
  const std::string iban =
      "IBAN \xEF\xBC\xA4\xEF\xBC\xA5"
      "89\xC2\xA0"
      "3704 0044 0532 0130 00";
  r = dlp::detect(iban, only(Detector::iban));
  REQUIRE(r.matches.size() == 1);
  CHECK(r.matches[0].begin == 5);
  CHECK(r.matches[0].end == iban.size());
}

TEST_CASE("keywords: the window, word starts, configured lists", "[dlp][keywords]") {
  const std::string far(60, '.');
  auto tier = [](const std::string& text, dlp::Options o) {
    auto r = dlp::detect(text, o);
    REQUIRE(r.matches.size() == 1);
    return r.matches[0].tier;
  };
  auto o = only(Detector::card);
  CHECK(tier("card" + far + "4241960209282256", o) == Tier::medium);
  CHECK(tier("4241960209282256" + far + "card", o) == Tier::medium);
  CHECK(tier("card" + std::string(45, '.') + "4241960209282256", o) == Tier::high);
  CHECK(tier("company 4241960209282256", o) == Tier::medium);  // "pan" in "company"
  CHECK(tier("PAN 4241960209282256", o) == Tier::high);
  o.window = 100;
  CHECK(tier("card" + far + "4241960209282256", o) == Tier::high);
  o.keywords[static_cast<size_t>(Detector::card)] = {"kreditkarte"};
  CHECK(tier("card 4241960209282256", o) == Tier::medium);
  CHECK(tier("Kreditkarte: 4241960209282256", o) == Tier::high);
}

TEST_CASE("matches are bounded per detector; a huge digit run is one token", "[dlp][limits]") {
  std::string text;
  for (int i = 0; i < 50; ++i) text += "4241960209282256; ";
  auto o = only(Detector::card);
  o.max_matches = 10;
  auto r = dlp::detect(text, o);
  CHECK(r.matches.size() == 10);
  CHECK(r.truncated);
  o.max_matches = 100;
  r = dlp::detect(text, o);
  CHECK(r.matches.size() == 50);
  CHECK_FALSE(r.truncated);
  // A million digits and separators: no match, no crash.
  std::string run;
  for (int i = 0; i < 200000; ++i) run += "4241 ";
  CHECK(dlp::detect(run).matches.empty());
  std::string junk(1 << 20, '\xEF');
  CHECK(dlp::detect(junk).matches.empty());
}

TEST_CASE("names and tiers read back", "[dlp]") {
  for (size_t i = 0; i < dlp::kDetectors; ++i) {
    const auto d = static_cast<Detector>(i);
    CHECK(dlp::detector_from_name(dlp::detector_name(d)) == d);
    CHECK_FALSE(dlp::default_keywords(d).empty());
  }
  CHECK(dlp::tier_from_name("high") == Tier::high);
  CHECK_FALSE(dlp::tier_from_name("certain"));
  CHECK_FALSE(dlp::detector_from_name("cards"));
}

TEST_CASE("hostile bytes: offsets inside the text, masked values hold at most 4 digits",
          "[dlp][hostile]") {
  for (unsigned seed = 1; seed <= 4; ++seed) {
    // Random bytes over an alphabet dense in digits, separators, fullwidth lead bytes.
    std::string text = postern::test::random_bytes(1 << 18, seed);
    const std::string alphabet = "0123456789 -.\n<PDEGB\xEF\xBC\x90";
    for (char& c : text) c = alphabet[static_cast<unsigned char>(c) % alphabet.size()];
    const auto r = dlp::detect(text);
    for (const auto& m : r.matches) {
      CHECK(m.begin < m.end);
      CHECK(m.end <= text.size());
      CHECK(std::count_if(m.masked.begin(), m.masked.end(),
                          [](char c) { return c >= '0' && c <= '9'; }) <= 4);
    }
  }
  // ICD-10 codes near a keyword only (12 within 50 bytes of the one keyword)...
  std::string few = "diagnosis";
  for (int i = 0; i < 100000; ++i) few += " A11";
  CHECK(dlp::detect(few).matches.size() == 12);
  // ... and by the hundred thousand, each beside one: bounded by max_matches.
  std::string many;
  for (int i = 0; i < 100000; ++i) many += "dx A11 ";
  const auto r = dlp::detect(many);
  CHECK(r.matches.size() == dlp::Options{}.max_matches);
  CHECK(r.truncated);
}
