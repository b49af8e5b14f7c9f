// Password hashes, the password file, sessions and CSRF tokens of the quarantine
// web page (see web_auth.hpp).
#include "quarantine/web_auth.hpp"

#include <fmt/format.h>
#include <grp.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <stdexcept>
#include <vector>

#include "core/digest.hpp"
#include "core/state_file.hpp"
#include "quarantine/release.hpp"

namespace postern::quarantine {
namespace {

constexpr std::string_view kScheme = "pbkdf2-sha256";
constexpr size_t kSaltBytes = 16;
constexpr size_t kHashBytes = 32;

std::string random_bytes(size_t n) {
  std::string out(n, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(out.data()), static_cast<int>(n)) != 1)
    throw std::runtime_error("no random bytes");
  return out;
}

std::string pbkdf2(std::string_view password, std::string_view salt, int iterations) {
  std::string out(kHashBytes, '\0');
  if (PKCS5_PBKDF2_HMAC(password.data(), static_cast<int>(password.size()),
                        reinterpret_cast<const unsigned char*>(salt.data()),
                        static_cast<int>(salt.size()), iterations, EVP_sha256(),
                        static_cast<int>(out.size()),
                        reinterpret_cast<unsigned char*>(out.data())) != 1)
    throw std::runtime_error("PBKDF2 failed");
  return out;
}

bool same_bytes_ct(std::string_view a, std::string_view b) {
  return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

struct Parsed {
  int iterations = 0;
  std::string salt, hash;
};

// The parts of `s` between `sep`s; at most 5 (enough to tell a fifth part is one too many).
std::vector<std::string_view> split_at(std::string_view s, char sep) {
  std::vector<std::string_view> parts;
  size_t start = 0;
  for (size_t i = 0; i <= s.size() && parts.size() < 5; ++i)
    if (i == s.size() || s[i] == sep) {
      parts.push_back(s.substr(start, i - start));
      start = i + 1;
    }
  return parts;
}

// "pbkdf2-sha256$ITER$SALT$HASH", or nullopt.
std::optional<Parsed> parse_hash(std::string_view s) {
  const std::vector<std::string_view> parts = split_at(s, '$');
  if (parts.size() != 4 || parts[0] != kScheme) return std::nullopt;
  Parsed p;
  auto [end, ec] =
      std::from_chars(parts[1].data(), parts[1].data() + parts[1].size(), p.iterations);
  if (ec != std::errc() || end != parts[1].data() + parts[1].size() ||
      p.iterations < kMinIterations || p.iterations > kMaxIterations)
    return std::nullopt;
  auto salt = unhex(parts[2]);
  auto hash = unhex(parts[3]);
  if (!salt || salt->size() < 8 || salt->size() > 64 || !hash || hash->size() != kHashBytes)
    return std::nullopt;
  p.salt = std::move(*salt);
  p.hash = std::move(*hash);
  return p;
}

// The hash an unknown user is checked against: the same cost as a real one.
const std::string& dummy_hash() {
  static const std::string h = hash_password("postern: no such user", kDefaultIterations);
  return h;
}

std::string lower_ascii(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c | 0x20);
  return out;
}

std::string digest_mac(std::string_view key, const DigestClaim& c) {
  return hex(core::hmac_sha256(
      key, fmt::format("postern-digest-v1\n{}\n{}\n{}", c.id, c.expires, c.rcpt)));
}

}  // namespace

bool valid_user(std::string_view name) {
  return !name.empty() && name.size() <= 64 && std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
           c == '_' || c == '@' || c == '+' || c == '-';
  });
}

std::string hash_password(std::string_view password, int iterations) {
  iterations = std::clamp(iterations, kMinIterations, kMaxIterations);
  const std::string salt = random_bytes(kSaltBytes);
  return fmt::format("{}${}${}${}", kScheme, iterations, hex(salt),
                     hex(pbkdf2(password, salt, iterations)));
}

bool verify_password(std::string_view password, std::string_view stored) {
  if (password.size() > kMaxPassword) return false;
  auto p = parse_hash(stored);
  if (!p) return false;
  return same_bytes_ct(pbkdf2(password, p->salt, p->iterations), p->hash);
}

postern::expected<PasswordFile, policy::Errors> PasswordFile::load(const std::string& path) {
  auto text = core::read_file(path, kMaxPasswordFile);
  if (!text)
    return postern::unexpected(policy::Errors{
        {path, 0, 0,
         fmt::format("cannot read the password file (missing, unreadable, or over {} bytes)",
                     kMaxPasswordFile)}});
  PasswordFile f;
  policy::Errors errs;
  uint32_t line_no = 0;
  size_t pos = 0;
  while (pos < text->size()) {
    size_t nl = text->find('\n', pos);
    std::string_view line(text->data() + pos, (nl == std::string::npos ? text->size() : nl) - pos);
    pos = nl == std::string::npos ? text->size() : nl + 1;
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    size_t first = line.find_first_not_of(" \t");
    if (first == std::string_view::npos || line[first] == '#') continue;
    size_t colon = line.find(':');
    if (colon == std::string_view::npos) {
      errs.push_back({path, line_no, 1, "expected user:hash"});
      continue;
    }
    std::string_view user = line.substr(0, colon), hash = line.substr(colon + 1);
    if (!valid_user(user)) {
      errs.push_back({path, line_no, 1, "a user name: 1 to 64 letters, digits or . _ @ + -"});
      continue;
    }
    if (!parse_hash(hash)) {
      errs.push_back({path, line_no, static_cast<uint32_t>(colon + 2),
                      "expected pbkdf2-sha256$ITERATIONS$SALT$HASH (postern quarantine passwd)"});
      continue;
    }
    if (!f.users_.emplace(std::string(user), std::string(hash)).second)
      errs.push_back({path, line_no, 1, fmt::format("user '{}' is listed twice", user)});
  }
  if (!errs.empty()) return postern::unexpected(std::move(errs));
  return f;
}

bool PasswordFile::check(std::string_view user, std::string_view password) const {
  auto it = users_.find(user);
  if (it == users_.end()) {
    (void)verify_password(password, dummy_hash());
    return false;
  }
  return verify_password(password, it->second);
}

postern::expected<void, std::string> set_password(const std::string& path, std::string_view user,
                                                  std::string_view hash) {
  if (!valid_user(user))
    return postern::unexpected(
        fmt::format("not a user name: 1 to 64 letters, digits or . _ @ + -"));
  std::string old;
  struct stat st {};
  const bool existed = ::stat(path.c_str(), &st) == 0;
  if (existed) {
    auto text = core::read_file(path, kMaxPasswordFile);
    if (!text) return postern::unexpected(fmt::format("{}: cannot be read", path));
    old = std::move(*text);
  }
  std::string out;
  bool replaced = false;
  size_t pos = 0;
  while (pos < old.size()) {
    size_t nl = old.find('\n', pos);
    std::string_view line(old.data() + pos, (nl == std::string::npos ? old.size() : nl) - pos);
    pos = nl == std::string::npos ? old.size() : nl + 1;
    if (line.size() > user.size() && line.substr(0, user.size()) == user &&
        line[user.size()] == ':') {
      if (replaced) continue;
      out += fmt::format("{}:{}\n", user, hash);
      replaced = true;
      continue;
    }
    out += line;
    out += '\n';
  }
  if (!replaced) out += fmt::format("{}:{}\n", user, hash);
  if (auto err = core::write_durably(path, out, existed ? (st.st_mode & 07777) : 0640))
    return postern::unexpected(*err);
  if (existed) {
    if (::chown(path.c_str(), st.st_uid, st.st_gid) != 0 && ::geteuid() == 0)
      return postern::unexpected(fmt::format("cannot keep the owner of {}", path));
  } else if (::geteuid() == 0) {
    // The daemon runs as postern: a new file is readable by its group.
    if (const group* g = ::getgrnam("postern"))
      if (::chown(path.c_str(), static_cast<uid_t>(-1), g->gr_gid) != 0)
        return postern::unexpected(fmt::format("cannot give {} to the group postern", path));
  }
  return {};
}

std::string digest_token(std::string_view key, const DigestClaim& c) {
  DigestClaim canon{c.id, lower_ascii(c.rcpt), c.expires};
  return fmt::format("{}.{}.{}.{}", canon.id, canon.expires, hex(canon.rcpt),
                     digest_mac(key, canon));
}

postern::expected<DigestClaim, std::string> verify_digest_token(std::string_view key,
                                                                std::string_view token,
                                                                int64_t now) {
  auto bad = [](std::string_view why) { return postern::unexpected(std::string(why)); };
  if (token.empty() || token.size() > kMaxDigestToken) return bad("not a digest link");
  const std::vector<std::string_view> parts = split_at(token, '.');
  if (parts.size() != 4 || !valid_id(parts[0])) return bad("not a digest link");
  DigestClaim c;
  c.id = std::string(parts[0]);
  auto [end, ec] = std::from_chars(parts[1].data(), parts[1].data() + parts[1].size(), c.expires);
  if (ec != std::errc() || end != parts[1].data() + parts[1].size() || c.expires <= 0)
    return bad("not a digest link");
  auto rcpt = unhex(parts[2]);
  if (!rcpt || rcpt->empty() || lower_ascii(*rcpt) != *rcpt) return bad("not a digest link");
  c.rcpt = std::move(*rcpt);
  const std::string want = digest_mac(key, c);
  if (parts[3].size() != want.size() || !same_bytes_ct(parts[3], want))
    return bad("the link's signature does not match");
  if (now >= c.expires) return bad("the link has expired");
  return c;
}

Sessions::Sessions(int64_t ttl_seconds, size_t max)
    : secret_(random_bytes(32)), ttl_(ttl_seconds), max_(std::max<size_t>(max, 1)) {}

Session Sessions::create(std::string user, int64_t now) {
  Session s{hex(random_bytes(32)), std::move(user), now + ttl_};
  std::lock_guard lock(mu_);
  for (auto it = by_digest_.begin(); it != by_digest_.end();)
    it = it->second.expires <= now ? by_digest_.erase(it) : std::next(it);
  if (by_digest_.size() >= max_) {
    auto oldest = std::min_element(by_digest_.begin(), by_digest_.end(), [](auto& a, auto& b) {
      return a.second.expires < b.second.expires;
    });
    by_digest_.erase(oldest);
  }
  by_digest_.emplace(core::sha256_hex(s.id), s);
  return s;
}

std::optional<Session> Sessions::find(std::string_view id, int64_t now) {
  if (id.size() != 64) return std::nullopt;
  const std::string key = core::sha256_hex(id);
  std::lock_guard lock(mu_);
  auto it = by_digest_.find(key);
  if (it == by_digest_.end()) return std::nullopt;
  if (it->second.expires <= now) {
    by_digest_.erase(it);
    return std::nullopt;
  }
  return it->second;
}

void Sessions::remove(std::string_view id) {
  const std::string key = core::sha256_hex(id);
  std::lock_guard lock(mu_);
  by_digest_.erase(key);
}

std::string Sessions::csrf(const Session& s) const {
  return hex(core::hmac_sha256(secret_, "postern-quarantine-csrf-v1\n" + s.id));
}

bool Sessions::csrf_ok(const Session& s, std::string_view token) const {
  return same_bytes_ct(csrf(s), token);
}

size_t Sessions::size() {
  std::lock_guard lock(mu_);
  return by_digest_.size();
}

}  // namespace postern::quarantine
