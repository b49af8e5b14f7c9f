// Confusable skeletons over ICU: USpoofChecker (UTS #39) and the NFKC_Casefold
// and NFD normalizers, each behind its own small RAII holder.
#include "content/confusable.hpp"

#include <unicode/uchar.h>
#include <unicode/uidna.h>
#include <unicode/unorm2.h>
#include <unicode/uspoof.h>
#include <unicode/ustring.h>
#include <unicode/utf8.h>

#include <memory>

namespace postern::content {
namespace {

// The process' spoof checker; uspoof_getSkeleton is const on a shared checker.
class SpoofChecker {
 public:
  SpoofChecker() {
    UErrorCode e = U_ZERO_ERROR;
    sc_.reset(uspoof_open(&e));
    if (U_FAILURE(e)) sc_.reset();
  }
  const USpoofChecker* get() const { return sc_.get(); }

 private:
  struct Close {
    void operator()(USpoofChecker* p) const { uspoof_close(p); }
  };
  std::unique_ptr<USpoofChecker, Close> sc_;
};

// A Normalizer2 instance: ICU owns it (never closed), so the holder only fetches it.
struct Normalizers {
  const UNormalizer2* nfkc_cf = nullptr;
  const UNormalizer2* nfd = nullptr;
  Normalizers() {
    UErrorCode e = U_ZERO_ERROR;
    nfkc_cf = unorm2_getNFKCCasefoldInstance(&e);
    if (U_FAILURE(e)) nfkc_cf = nullptr;
    e = U_ZERO_ERROR;
    nfd = unorm2_getNFDInstance(&e);
    if (U_FAILURE(e)) nfd = nullptr;
  }
};

// The process' UTS #46 converter; uidna_labelToUnicodeUTF8 is const on a shared one.
class Idna {
 public:
  Idna() {
    UErrorCode e = U_ZERO_ERROR;
    idna_.reset(uidna_openUTS46(UIDNA_NONTRANSITIONAL_TO_UNICODE, &e));
    if (U_FAILURE(e)) idna_.reset();
  }
  const UIDNA* get() const { return idna_.get(); }

 private:
  struct Close {
    void operator()(UIDNA* p) const { uidna_close(p); }
  };
  std::unique_ptr<UIDNA, Close> idna_;
};

const Idna& idna() {
  static const Idna i;
  return i;
}

const SpoofChecker& checker() {
  static const SpoofChecker c;
  return c;
}
const Normalizers& normalizers() {
  static const Normalizers n;
  return n;
}

void append(std::u16string& out, UChar32 c) {
  if (c <= 0xFFFF) {
    out.push_back(static_cast<char16_t>(c));
  } else {
    out.push_back(static_cast<char16_t>(U16_LEAD(c)));
    out.push_back(static_cast<char16_t>(U16_TRAIL(c)));
  }
}

std::u16string to_u16(std::string_view s) {
  std::u16string out;
  out.reserve(s.size());
  int32_t i = 0;
  const auto* p = reinterpret_cast<const uint8_t*>(s.data());
  const auto n = static_cast<int32_t>(s.size());
  while (i < n) {
    UChar32 c;
    U8_NEXT(p, i, n, c);
    if (c < 0) c = 0xFFFD;
    append(out, c);
  }
  return out;
}

std::string to_u8(const std::u16string& s) {
  std::string out;
  out.reserve(s.size());
  size_t i = 0;
  while (i < s.size()) {
    UChar32 c;
    U16_NEXT(s.data(), i, s.size(), c);
    char buf[4];
    int32_t len = 0;
    UBool err = false;
    U8_APPEND(buf, len, 4, c, err);
    if (err) continue;
    out.append(buf, static_cast<size_t>(len));
  }
  return out;
}

// `n` applied to `s`; `s` unchanged when ICU fails (it only fails on memory).
std::u16string normalize(const UNormalizer2* n, const std::u16string& s) {
  if (!n || s.empty()) return s;
  UErrorCode e = U_ZERO_ERROR;
  const auto len = static_cast<int32_t>(s.size());
  std::u16string out(s.size() * 2 + 16, u'\0');
  int32_t got =
      unorm2_normalize(n, reinterpret_cast<const UChar*>(s.data()), len,
                       reinterpret_cast<UChar*>(out.data()), static_cast<int32_t>(out.size()), &e);
  if (e == U_BUFFER_OVERFLOW_ERROR) {
    out.assign(static_cast<size_t>(got), u'\0');
    e = U_ZERO_ERROR;
    got = unorm2_normalize(n, reinterpret_cast<const UChar*>(s.data()), len,
                           reinterpret_cast<UChar*>(out.data()), got, &e);
  }
  if (U_FAILURE(e)) return s;
  out.resize(static_cast<size_t>(got));
  return out;
}

std::u16string uts39_skeleton(const std::u16string& s) {
  const USpoofChecker* sc = checker().get();
  if (!sc || s.empty()) return s;
  UErrorCode e = U_ZERO_ERROR;
  const auto len = static_cast<int32_t>(s.size());
  std::u16string out(s.size() * 2 + 16, u'\0');
  int32_t got = uspoof_getSkeleton(sc, 0, reinterpret_cast<const UChar*>(s.data()), len,
                                   reinterpret_cast<UChar*>(out.data()),
                                   static_cast<int32_t>(out.size()), &e);
  if (e == U_BUFFER_OVERFLOW_ERROR) {
    out.assign(static_cast<size_t>(got), u'\0');
    e = U_ZERO_ERROR;
    got = uspoof_getSkeleton(sc, 0, reinterpret_cast<const UChar*>(s.data()), len,
                             reinterpret_cast<UChar*>(out.data()), got, &e);
  }
  if (U_FAILURE(e)) return s;
  out.resize(static_cast<size_t>(got));
  return out;
}

std::u16string strip_marks(const std::u16string& s) {
  std::u16string out;
  out.reserve(s.size());
  size_t i = 0;
  while (i < s.size()) {
    UChar32 c;
    U16_NEXT(s.data(), i, s.size(), c);
    if (u_charType(c) == U_NON_SPACING_MARK) continue;
    append(out, c);
  }
  return out;
}

}  // namespace

std::string skeleton(std::string_view utf8) {
  if (utf8.size() > kMaxSkeletonInput) utf8 = utf8.substr(0, kMaxSkeletonInput);
  const Normalizers& n = normalizers();
  std::u16string s = normalize(n.nfkc_cf, to_u16(utf8));
  s = uts39_skeleton(s);
  s = strip_marks(normalize(n.nfd, s));
  return to_u8(normalize(n.nfkc_cf, s));
}

std::string domain_to_unicode(std::string_view domain) {
  std::string in(domain.substr(0, 253));
  for (char& c : in)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  const UIDNA* u = idna().get();
  if (!u || in.find("xn--") == std::string::npos) return in;
  // Label by label, so that one label that does not decode cannot keep the others
  // from being read as a reader shows them: that label stays as written. A label
  // with other errors (disallowed code points) is still shown decoded by some
  // readers, so its decoded form is kept.
  std::string out;
  for (size_t pos = 0;;) {
    size_t dot = in.find('.', pos);
    if (dot == std::string::npos) dot = in.size();
    std::string_view label = std::string_view(in).substr(pos, dot - pos);
    char buf[256];
    UIDNAInfo info = UIDNA_INFO_INITIALIZER;
    UErrorCode e = U_ZERO_ERROR;
    int32_t n = 0;
    if (label.size() > 4 && label.size() <= 63 && label.starts_with("xn--"))
      n = uidna_labelToUnicodeUTF8(u, label.data(), static_cast<int32_t>(label.size()), buf,
                                   sizeof buf, &info, &e);
    // Invalid punycode decodes to U+FFFD: a reader shows such a label as written.
    if (n > 0 && U_SUCCESS(e) && n <= static_cast<int32_t>(sizeof buf) &&
        !(info.errors & UIDNA_ERROR_PUNYCODE))
      out.append(buf, static_cast<size_t>(n));
    else
      out.append(label);
    if (dot == in.size()) return out;
    out.push_back('.');
    pos = dot + 1;
  }
}

std::vector<std::string> words(std::string_view utf8) {
  std::vector<std::string> out;
  std::string cur;
  int32_t i = 0;
  const auto* p = reinterpret_cast<const uint8_t*>(utf8.data());
  const auto n = static_cast<int32_t>(utf8.size());
  while (i < n) {
    const int32_t start = i;
    UChar32 c;
    U8_NEXT(p, i, n, c);
    if (c >= 0 && u_isalnum(c)) {
      cur.append(utf8.substr(static_cast<size_t>(start), static_cast<size_t>(i - start)));
    } else if (!cur.empty()) {
      out.push_back(std::move(cur));
      cur.clear();
    }
  }
  if (!cur.empty()) out.push_back(std::move(cur));
  return out;
}

}  // namespace postern::content
