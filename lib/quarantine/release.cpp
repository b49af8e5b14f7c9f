// Release headers and the release key (see release.hpp).
#include "quarantine/release.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <optional>
#include <stdexcept>

#include "core/digest.hpp"
#include "core/message.hpp"
#include "core/state_file.hpp"

namespace postern::quarantine {
namespace {

constexpr int64_t kClockSkew = 300;
constexpr size_t kKeyBytes = 32;

std::string canonical_recipients(const std::vector<std::string>& rcpts) {
  std::vector<std::string> v;
  for (const auto& r : rcpts) {
    std::string l = r;
    std::transform(l.begin(), l.end(), l.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    v.push_back(std::move(l));
  }
  std::sort(v.begin(), v.end());
  v.erase(std::unique(v.begin(), v.end()), v.end());
  return fmt::format("{}", fmt::join(v, ","));
}

std::string mac(std::string_view key, std::string_view id, int64_t t, std::string_view body,
                const std::vector<std::string>& rcpts) {
  return core::hmac_sha256(key, fmt::format("postern-release-v1\n{}\n{}\n{}\n{}", id, t, body,
                                            canonical_recipients(rcpts)));
}

postern::unexpected<ReleaseError> fail(ReleaseFault f, std::string detail) {
  return postern::unexpected(ReleaseError{f, std::move(detail)});
}

}  // namespace

std::string_view to_string(ReleaseFault f) {
  switch (f) {
    case ReleaseFault::Malformed:
      return "malformed";
    case ReleaseFault::BadSignature:
      return "bad signature";
    case ReleaseFault::Stale:
      return "stale";
  }
  return "?";
}

std::string body_digest(std::string_view body) {
  std::string canon;
  canon.reserve(body.size());
  for (size_t i = 0; i < body.size(); ++i) {
    if (body[i] == '\r' && i + 1 < body.size() && body[i + 1] == '\n') continue;
    canon.push_back(body[i]);
  }
  while (!canon.empty() && (canon.back() == '\n' || canon.back() == '\r')) canon.pop_back();
  return core::sha256_hex(canon);
}

std::string release_header_value(std::string_view key, const ReleaseClaim& c) {
  return fmt::format("v=1; id={}; t={}; mac={}", c.id, c.time,
                     hex(mac(key, c.id, c.time, c.body_sha256, c.recipients)));
}

postern::expected<std::string, ReleaseError> verify_release(
    std::string_view key, std::string_view value, std::string_view body_sha256,
    const std::vector<std::string>& recipients, int64_t now, int64_t max_age) {
  if (value.size() > kMaxHeaderValue)
    return fail(ReleaseFault::Malformed, fmt::format("longer than {} bytes", kMaxHeaderValue));
  std::string v;
  for (char c : value)
    if (c != ' ' && c != '\t' && c != '\r' && c != '\n') v.push_back(c);
  // Exactly v=1;id=..;t=..;mac=.. in this order: one spelling per header.
  std::string id, t, m;
  {
    std::vector<std::string_view> parts;
    std::string_view rest = v;
    while (true) {
      size_t semi = rest.find(';');
      parts.push_back(rest.substr(0, semi));
      if (semi == std::string_view::npos) break;
      rest.remove_prefix(semi + 1);
    }
    const char* names[] = {"v=", "id=", "t=", "mac="};
    if (parts.size() != 4) return fail(ReleaseFault::Malformed, "not v=1; id=; t=; mac=");
    std::string* slots[] = {nullptr, &id, &t, &m};
    for (size_t i = 0; i < 4; ++i) {
      if (parts[i].rfind(names[i], 0) != 0)
        return fail(ReleaseFault::Malformed, fmt::format("field {} is not {}", i + 1, names[i]));
      std::string_view val = parts[i].substr(std::strlen(names[i]));
      if (i == 0 && val != "1") return fail(ReleaseFault::Malformed, "unknown version");
      if (slots[i]) *slots[i] = std::string(val);
    }
  }
  if (!valid_id(id)) return fail(ReleaseFault::Malformed, "bad id");
  if (t.empty() || t.size() > 12 ||
      !std::all_of(t.begin(), t.end(), [](char c) { return c >= '0' && c <= '9'; }))
    return fail(ReleaseFault::Malformed, "bad time");
  const int64_t when = std::stoll(t);
  auto sig = unhex(m);
  if (!sig || sig->size() != 32) return fail(ReleaseFault::Malformed, "bad mac");
  std::string want = mac(key, id, when, body_sha256, recipients);
  if (want.size() != 32 || CRYPTO_memcmp(want.data(), sig->data(), 32) != 0)
    return fail(ReleaseFault::BadSignature,
                fmt::format("release {}: the signature does not match this message, its "
                            "recipients or the key",
                            id));
  if (when > now + kClockSkew || now - when > max_age)
    return fail(ReleaseFault::Stale, fmt::format("release {}: signed {} s ago, valid for {} s", id,
                                                 now - when, max_age));
  return id;
}

postern::expected<std::string, std::string> load_or_create_key(const std::string& path) {
  for (int attempt = 0; attempt < 2; ++attempt) {
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd >= 0) {
      struct stat st {};
      char buf[130];
      ssize_t n = ::fstat(fd, &st) == 0 ? ::read(fd, buf, sizeof buf) : -1;
      int saved = errno;
      ::close(fd);
      if (n < 0) return postern::unexpected(fmt::format("{}: {}", path, std::strerror(saved)));
      if (st.st_mode & 077)
        return postern::unexpected(
            fmt::format("{}: the group or others may read or write it (chmod 600)", path));
      std::string_view text(buf, size_t(n));
      while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.remove_suffix(1);
      auto key = unhex(text);
      if (!key || key->size() != kKeyBytes)
        return postern::unexpected(
            fmt::format("{}: not a release key (64 lower-case hex digits)", path));
      return *key;
    }
    if (errno != ENOENT)
      return postern::unexpected(fmt::format("{}: {}", path, std::strerror(errno)));
    // Create it: written whole to a temporary file, then linked in place so a key
    // another process made first is never replaced.
    unsigned char raw[kKeyBytes];
    if (RAND_bytes(raw, sizeof raw) != 1)
      return postern::unexpected("no random bytes for the release key");
    std::string tmp = fmt::format("{}.new.{}", path, ::getpid());
    if (auto err = core::write_durably(
            tmp, hex(std::string_view(reinterpret_cast<const char*>(raw), sizeof raw)) + "\n",
            0600))
      return postern::unexpected(*err);
    int rc = ::link(tmp.c_str(), path.c_str());
    int saved = errno;
    ::unlink(tmp.c_str());
    if (rc != 0 && saved != EEXIST)
      return postern::unexpected(fmt::format("cannot create {}: {}", path, std::strerror(saved)));
  }
  return postern::unexpected(fmt::format("{}: cannot be read", path));
}

std::string new_id() {
  static const char* alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  unsigned char raw[12];
  if (RAND_bytes(raw, sizeof raw) != 1) throw std::runtime_error("no random bytes for an id");
  std::string out;
  for (size_t i = 0; i < sizeof raw; i += 3) {
    uint32_t v = (uint32_t{raw[i]} << 16) | (uint32_t{raw[i + 1]} << 8) | raw[i + 2];
    for (int s = 18; s >= 0; s -= 6) out.push_back(alphabet[(v >> s) & 63]);
  }
  return out;
}

bool valid_id(std::string_view id) {
  return !id.empty() && id.size() <= kMaxIdChars && std::all_of(id.begin(), id.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '_';
  });
}

std::string hex(std::string_view bytes) {
  static const char* digits = "0123456789abcdef";
  std::string out;
  for (unsigned char c : bytes) {
    out.push_back(digits[c >> 4]);
    out.push_back(digits[c & 15]);
  }
  return out;
}

std::optional<std::string> unhex(std::string_view h) {
  if (h.size() % 2) return std::nullopt;
  auto nib = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
  };
  std::string out;
  for (size_t i = 0; i < h.size(); i += 2) {
    int a = nib(h[i]), b = nib(h[i + 1]);
    if (a < 0 || b < 0) return std::nullopt;
    out.push_back(static_cast<char>(a * 16 + b));
  }
  return out;
}

}  // namespace postern::quarantine
