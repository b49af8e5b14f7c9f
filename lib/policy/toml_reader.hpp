// TomlSection: typed, position-aware reading of one TOML table; the one way
// policy and config files are parsed and their numbers read.
//
// Contract (internal to lib/policy): each getter marks its key as known and
// records an Error (file:line:column, what was expected) when the value has the
// wrong type or range; `finish()` reports every key that no getter asked for,
// so a typo is an error, never silently ignored. Every number, through
// `number()` or `read_number()`, is finite: toml++ accepts nan, +nan, inf and
// -inf, and a nan score or threshold would turn every comparison false, so
// they are errors at their position. `parse_toml` checks the text against
// policy/toml_bounds (size, dotted key parts, nesting) before toml++ parses it,
// and `parse_toml_file` checks the file's size before reading it, so a hostile
// file is an error, never a stack overflow. Not thread-safe.
#pragma once

#include <toml++/toml.h>

#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "core/expected.hpp"
#include "policy/error.hpp"

namespace postern::policy {

class TomlSection {
 public:
  TomlSection(const toml::table& t, std::string name, std::string file, Errors& errs)
      : t_(t), name_(std::move(name)), file_(std::move(file)), errs_(errs) {}

  std::optional<double> number(std::string_view key);
  std::optional<int64_t> integer(std::string_view key, int64_t min, int64_t max);
  std::optional<bool> boolean(std::string_view key);
  std::optional<std::string> string(std::string_view key);
  std::optional<std::vector<std::string>> strings(std::string_view key);
  // A sub-table; nullptr when absent (or an error when not a table).
  const toml::table* table(std::string_view key);
  const toml::node* node(std::string_view key);  // any type, marked known
  // Every key of the table, in order (marks none known): for sections whose keys
  // are names ([rules.NAME]).
  std::vector<std::string> keys() const;

  void error(const toml::node& n, std::string message);
  void error(const toml::key& k, std::string message);
  // An error about the section as a whole (a required key is missing): at its table.
  void error_here(std::string message);
  // Reports keys no getter asked for.
  void finish();

  const std::string& name() const { return name_; }
  // "in [name]", or "at top level" for the file's root table.
  std::string where() const;
  const std::string& file() const { return file_; }
  Errors& errors() { return errs_; }

 private:
  const toml::node* get(std::string_view key);

  const toml::table& t_;
  std::string name_;
  std::string file_;
  Errors& errs_;
  std::set<std::string, std::less<>> known_;
};

// The number `n` holds, an integer or a float, as a double. Fails with "expected a
// number" for another type, and with "expected a finite number, got nan" (or inf,
// -inf) for a non-finite float.
postern::expected<double, std::string> read_number(const toml::node& n);

// Error at a toml++ source position.
Error error_at(const std::string& file, const toml::source_region& r, std::string message);

// Parses `text` as TOML; a bound (toml_bounds.hpp) or syntax error is appended to
// `errs` and nullopt returned.
std::optional<toml::table> parse_toml(std::string_view text, const std::string& file, Errors& errs);

// Reads and parses a file; I/O, size, bound and syntax errors go to `errs`.
std::optional<toml::table> parse_toml_file(const std::string& path, Errors& errs);

}  // namespace postern::policy
