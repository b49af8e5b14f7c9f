// TLS versions from {tls_version} (see version.hpp).
#include "tls/version.hpp"

#include <array>
#include <utility>

namespace postern::tls {
namespace {

constexpr std::array<std::pair<std::string_view, Version>, 5> kNames{{
    {"SSLv3", Version::Ssl3},
    {"TLSv1", Version::Tls10},
    {"TLSv1.1", Version::Tls11},
    {"TLSv1.2", Version::Tls12},
    {"TLSv1.3", Version::Tls13},
}};

}  // namespace

Version parse_version(std::string_view macro) {
  if (macro.empty()) return Version::None;
  for (const auto& [name, v] : kNames)
    if (macro == name) return v;
  return Version::Unknown;
}

std::string_view version_name(Version v) {
  for (const auto& [name, ver] : kNames)
    if (ver == v) return name;
  return v == Version::None ? "none" : "unknown";
}

std::string_view ecs_version(Version v) {
  switch (v) {
    case Version::Ssl3:
      return "3.0";
    case Version::Tls10:
      return "1.0";
    case Version::Tls11:
      return "1.1";
    case Version::Tls12:
      return "1.2";
    case Version::Tls13:
      return "1.3";
    default:
      return "";
  }
}

std::optional<Version> min_version_from_name(std::string_view name) {
  Version v = parse_version(name);
  if (v == Version::Tls10 || v == Version::Tls11 || v == Version::Tls12 || v == Version::Tls13)
    return v;
  return std::nullopt;
}

}  // namespace postern::tls
