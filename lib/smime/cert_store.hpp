// The recipients' certificate store: a directory of PEM certificates, indexed by the
// email addresses each one names.
//
// Contract: `CertStore::load(dir, now)` reads the regular files of `dir` (not its
// subdirectories; at most kMaxFiles files of at most kMaxFileBytes each, names not
// starting with '.'), every PEM certificate in each (at most 64 per file), and indexes
// each under every address of its subjectAltName rfc822Name entries and its subject
// emailAddress (lower case). A certificate is skipped, with the reason kept in
// `skipped()`, when it is not valid at `now` (expired or not yet valid), when an EKU
// is present without emailProtection, or when a key usage is present without key
// encipherment or key agreement. Of several usable certificates for one address the
// one that expires last wins. A file that holds no certificate is skipped the same
// way; the load fails only when `dir` cannot be listed. "" = an empty store (every
// recipient lacks a certificate). `find(address)` is case-insensitive on the whole
// address. The store is built with each engine snapshot (startup, SIGHUP): certificates
// added to the directory are seen at the next reload. Immutable after load, shared by
// threads. The LDAP lookup (ldap.hpp) is asked by the encryption stage for the
// addresses not found here.
#pragma once

#include <ctime>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/expected.hpp"
#include "smime/cms.hpp"

namespace postern::smime {

class CertStore {
 public:
  static constexpr size_t kMaxFiles = 100000;
  static constexpr size_t kMaxFileBytes = 1 << 20;

  static postern::expected<std::shared_ptr<const CertStore>, std::string> load(
      const std::string& dir, std::time_t now);

  // The certificate for `address` (bare, any case), or null.
  const Certificate* find(std::string_view address) const;
  size_t size() const { return by_address_.size(); }  // addresses indexed
  const std::string& dir() const { return dir_; }
  const std::vector<std::string>& skipped() const { return skipped_; }  // "file: why"

 private:
  std::string dir_;
  std::map<std::string, Certificate, std::less<>> by_address_;
  std::vector<std::string> skipped_;
};

// The files a store reads in `dir`: regular files (not subdirectories), names not
// starting with '.', at most CertStore::kMaxFiles (more: a note in `skipped`), sorted.
// An error ("WHAT DIR: why") when `dir` cannot be listed.
postern::expected<std::vector<std::string>, std::string> store_files(
    const std::string& dir, std::string_view what, std::vector<std::string>& skipped);

}  // namespace postern::smime
