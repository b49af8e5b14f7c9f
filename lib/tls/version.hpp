// TLS protocol versions as Postfix and Sendmail name them in the {tls_version}
// milter macro ("TLSv1.3", OpenSSL's SSL_get_version names), read strictly.
//
// Contract: `parse_version` accepts exactly "SSLv3", "TLSv1", "TLSv1.1", "TLSv1.2",
// "TLSv1.3"; "" is None (no TLS); anything else (other case, spaces, "TLSv1.4",
// "TLSv1.2x", "DTLSv1.2") is Unknown, which orders below every known version: an
// unknown value never satisfies a minimum (the strictest reading). Pure functions.
#pragma once

#include <optional>
#include <string_view>

namespace postern::tls {

enum class Version { None, Unknown, Ssl3, Tls10, Tls11, Tls12, Tls13 };

Version parse_version(std::string_view macro);
// The name as Postfix writes it ("TLSv1.2"); "none", "unknown".
std::string_view version_name(Version v);
// The ECS tls.version value ("1.2"; "3.0" for SSLv3); "" for None and Unknown.
std::string_view ecs_version(Version v);
// A policy's min_version value: the names of parse_version for TLSv1 and up.
std::optional<Version> min_version_from_name(std::string_view name);

}  // namespace postern::tls
