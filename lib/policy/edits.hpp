// Readers of the policy sections that edit the message or its envelope:
// [banner] and [archive] (internal to lib/policy; policy.cpp calls them).
//
// Contract: each reads its section over what earlier files set (key by key, as
// every policy section), reports every problem at its file:line:column and
// unknown keys through TomlSection::finish(). Not thread-safe.
#pragma once

#include "policy/policy.hpp"
#include "policy/toml_reader.hpp"

namespace postern::policy {

// The longest banner line accepted (bytes of UTF-8).
inline constexpr size_t kMaxBannerBytes = 500;

void read_banner(TomlSection s, BannerPolicy& b);
void read_archive(TomlSection s, ArchivePolicy& a);

// A bare envelope address postern may hand the MTA: local@domain, printable ASCII,
// no spaces, quotes, brackets or commas, a host name as domain.
bool is_plain_address(std::string_view a);

}  // namespace postern::policy
