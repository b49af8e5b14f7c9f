// TomlSection: typed getters with positions, unknown-key detection.
#include "policy/toml_reader.hpp"

#include <fmt/format.h>

#include <cmath>
#include <fstream>

#include "policy/toml_bounds.hpp"

namespace postern::policy {

std::string Error::to_string() const {
  if (line == 0) return fmt::format("{}: {}", file, message);
  return fmt::format("{}:{}:{}: {}", file, line, column, message);
}

std::string to_string(const Errors& errs) {
  std::string out;
  for (const auto& e : errs) {
    out += e.to_string();
    out += '\n';
  }
  return out;
}

Error error_at(const std::string& file, const toml::source_region& r, std::string message) {
  return Error{file, r.begin.line, r.begin.column, std::move(message)};
}

postern::expected<double, std::string> read_number(const toml::node& n) {
  auto v = n.value<double>();
  if (!v || !(n.is_floating_point() || n.is_integer()))
    return postern::unexpected(std::string("expected a number"));
  if (!std::isfinite(*v))
    return postern::unexpected(fmt::format("expected a finite number, got {}", *v));
  return *v;
}

std::optional<toml::table> parse_toml(std::string_view text, const std::string& file,
                                      Errors& errs) {
  if (auto e = check_toml_bounds(text, file)) {
    errs.push_back(std::move(*e));
    return std::nullopt;
  }
  try {
    return toml::parse(text, std::string_view{file});
  } catch (const toml::parse_error& e) {
    errs.push_back(error_at(file, e.source(), std::string(e.description())));
    return std::nullopt;
  }
}

std::optional<toml::table> parse_toml_file(const std::string& path, Errors& errs) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    errs.push_back(Error{path, 0, 0, "cannot read file"});
    return std::nullopt;
  }
  // One byte more than a file may hold, never the whole of a huge file: parse_toml
  // then reports the excess at its position.
  std::string text;
  char buf[65536];
  while (text.size() <= kMaxTomlBytes && (in.read(buf, sizeof buf) || in.gcount() > 0))
    text.append(buf, static_cast<size_t>(in.gcount()));
  if (text.size() > kMaxTomlBytes + 1) text.resize(kMaxTomlBytes + 1);
  return parse_toml(text, path, errs);
}

std::string TomlSection::where() const {
  return name_.empty() ? "at top level" : fmt::format("in [{}]", name_);
}

const toml::node* TomlSection::get(std::string_view key) {
  known_.insert(std::string(key));
  return t_.get(key);
}

const toml::node* TomlSection::node(std::string_view key) {
  return get(key);
}

std::vector<std::string> TomlSection::keys() const {
  std::vector<std::string> out;
  for (const auto& [k, v] : t_) out.emplace_back(k.str());
  return out;
}

void TomlSection::error(const toml::node& n, std::string message) {
  errs_.push_back(error_at(file_, n.source(), std::move(message)));
}

void TomlSection::error(const toml::key& k, std::string message) {
  errs_.push_back(error_at(file_, k.source(), std::move(message)));
}

void TomlSection::error_here(std::string message) {
  errs_.push_back(error_at(file_, t_.source(), std::move(message)));
}

std::optional<double> TomlSection::number(std::string_view key) {
  const toml::node* n = get(key);
  if (!n) return std::nullopt;
  auto v = read_number(*n);
  if (v) return *v;
  error(*n, fmt::format("'{}' {}: {}", key, where(), v.error()));
  return std::nullopt;
}

std::optional<int64_t> TomlSection::integer(std::string_view key, int64_t min, int64_t max) {
  const toml::node* n = get(key);
  if (!n) return std::nullopt;
  if (auto v = n->value_exact<int64_t>()) {
    if (*v >= min && *v <= max) return v;
    error(*n, fmt::format("'{}' {}: expected an integer from {} to {}, got {}", key, where(), min,
                          max, *v));
    return std::nullopt;
  }
  error(*n, fmt::format("'{}' {}: expected an integer", key, where()));
  return std::nullopt;
}

std::optional<bool> TomlSection::boolean(std::string_view key) {
  const toml::node* n = get(key);
  if (!n) return std::nullopt;
  if (auto v = n->value_exact<bool>()) return v;
  error(*n, fmt::format("'{}' {}: expected true or false", key, where()));
  return std::nullopt;
}

std::optional<std::string> TomlSection::string(std::string_view key) {
  const toml::node* n = get(key);
  if (!n) return std::nullopt;
  if (auto v = n->value_exact<std::string>()) return v;
  error(*n, fmt::format("'{}' {}: expected a string", key, where()));
  return std::nullopt;
}

std::optional<std::vector<std::string>> TomlSection::strings(std::string_view key) {
  const toml::node* n = get(key);
  if (!n) return std::nullopt;
  const toml::array* arr = n->as_array();
  if (!arr) {
    error(*n, fmt::format("'{}' {}: expected an array of strings", key, where()));
    return std::nullopt;
  }
  std::vector<std::string> out;
  bool ok = true;
  for (const auto& el : *arr) {
    if (auto s = el.value_exact<std::string>())
      out.push_back(*s);
    else {
      error(el, fmt::format("'{}' {}: expected a string", key, where()));
      ok = false;
    }
  }
  if (!ok) return std::nullopt;
  return out;
}

const toml::table* TomlSection::table(std::string_view key) {
  const toml::node* n = get(key);
  if (!n) return nullptr;
  if (const toml::table* t = n->as_table()) return t;
  error(*n, fmt::format("'{}' {}: expected a table", key, where()));
  return nullptr;
}

void TomlSection::finish() {
  std::string expected;
  for (const auto& k : known_) expected += (expected.empty() ? "" : ", ") + k;
  for (auto&& [k, v] : t_) {
    if (known_.contains(k.str())) continue;
    error(k, fmt::format("unknown key '{}' {}; expected one of: {}", k.str(), where(), expected));
  }
}

}  // namespace postern::policy
