// The certificate store (see cert_store.hpp).
#include "smime/cert_store.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>

#include "core/address.hpp"

namespace postern::smime {

postern::expected<std::vector<std::string>, std::string> store_files(
    const std::string& dir, std::string_view what, std::vector<std::string>& skipped) {
  namespace fs = std::filesystem;
  std::error_code ec;
  std::vector<std::string> files;
  fs::directory_iterator it(dir, ec), end;
  if (ec) return postern::unexpected(fmt::format("{} {}: {}", what, dir, ec.message()));
  for (; it != end; it.increment(ec)) {
    if (ec) return postern::unexpected(fmt::format("{} {}: {}", what, dir, ec.message()));
    const fs::path& p = it->path();
    if (p.filename().string().starts_with(".") || !it->is_regular_file(ec)) continue;
    if (files.size() >= CertStore::kMaxFiles) {
      skipped.push_back(
          fmt::format("{}: more than {} files: the rest is not read", dir, CertStore::kMaxFiles));
      break;
    }
    files.push_back(p.string());
  }
  std::sort(files.begin(), files.end());  // the same store whatever the listing order
  return files;
}

postern::expected<std::shared_ptr<const CertStore>, std::string> CertStore::load(
    const std::string& dir, std::time_t now) {
  auto s = std::make_shared<CertStore>();
  s->dir_ = dir;
  if (dir.empty()) return std::shared_ptr<const CertStore>(std::move(s));
  auto files = store_files(dir, "cert_dir", s->skipped_);
  if (!files) return postern::unexpected(files.error());
  for (const auto& p : *files) {
    auto certs = Certificate::from_pem_file(p, kMaxFileBytes);
    if (!certs) {
      s->skipped_.push_back(certs.error());
      continue;
    }
    for (const auto& c : *certs) {
      std::string why;
      if (!c.valid_at(now))
        why = "not valid now (expired or not yet valid)";
      else if (!c.usable_for_encryption())
        why = "not for S/MIME encryption (extended key usage or key usage)";
      std::vector<std::string> addrs = c.addresses();
      if (why.empty() && addrs.empty()) why = "names no email address";
      if (!why.empty()) {
        s->skipped_.push_back(fmt::format("{}: {}: {}", p, c.subject(), why));
        continue;
      }
      for (auto& a : addrs) {
        auto at = s->by_address_.find(a);
        if (at == s->by_address_.end())
          s->by_address_.emplace(std::move(a), c);
        else if (c.not_after() > at->second.not_after())
          at->second = c;
      }
    }
  }
  return std::shared_ptr<const CertStore>(std::move(s));
}

const Certificate* CertStore::find(std::string_view address) const {
  auto it = by_address_.find(core::to_lower(address));
  return it == by_address_.end() ? nullptr : &it->second;
}

}  // namespace postern::smime
