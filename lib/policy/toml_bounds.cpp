// TOML bounds: one linear pass over the text before toml++ sees it (see toml_bounds.hpp).
#include "policy/toml_bounds.hpp"

#include <fmt/format.h>

#include <cstdint>

namespace postern::policy {
namespace {

class Scanner {
 public:
  Scanner(std::string_view s, const std::string& file) : s_(s), file_(file) {}

  std::optional<Error> run() {
    Mode mode = Mode::LineStart;
    while (!at_end()) {
      skip_blanks();
      if (at_end()) break;
      char c = peek();
      if (c == '#') {
        skip_comment();
        continue;
      }
      if (c == '\n') {
        next();
        if (mode == Mode::Value && depth_ == 0) mode = Mode::LineStart;
        continue;
      }
      switch (mode) {
        case Mode::LineStart:
          if (c == '[') {
            Position at = here();
            next();
            if (peek() == '[') next();  // [[array of tables]]
            size_t parts = scan_key();
            if (parts > kMaxKeyParts)
              return error(at, fmt::format("table header with {} dotted parts; at most {}", parts,
                                           kMaxKeyParts));
            if (peek() == ']') next();
            if (peek() == ']') next();
          } else if (auto e = key(true, mode)) {
            return e;
          }
          break;
        case Mode::InlineKey:
          if (c == '}') {
            close();
            mode = Mode::Value;
          } else if (c == ',') {
            next();
          } else if (auto e = key(false, mode)) {
            return e;
          }
          break;
        case Mode::Value:
          if (c == '"' || c == '\'') {
            skip_string();
          } else if (c == '[' || c == '{') {
            if (depth_ == kMaxValueNesting)
              return error(here(), fmt::format("arrays and inline tables nested more than {} deep",
                                               kMaxValueNesting));
            open_[depth_++] = c;
            next();
            if (c == '{') mode = Mode::InlineKey;
          } else if (c == ']' || c == '}') {
            close();
          } else if (c == ',') {
            next();
            if (depth_ > 0 && open_[depth_ - 1] == '{') mode = Mode::InlineKey;
          } else {
            next();
          }
          break;
      }
    }
    return std::nullopt;
  }

 private:
  // LineStart: a table header or a key may begin; Value: inside a value (arrays
  // nest here); InlineKey: a key may begin inside an inline table.
  enum class Mode { LineStart, Value, InlineKey };
  struct Position {
    uint32_t line, column;
  };

  bool at_end() const { return i_ >= s_.size(); }
  char peek(size_t k = 0) const { return i_ + k < s_.size() ? s_[i_ + k] : '\0'; }
  Position here() const { return {line_, column_}; }
  // Columns count characters (UTF-8 lead bytes), as toml++ does.
  void next() {
    if (s_[i_] == '\n') {
      ++line_;
      column_ = 1;
    } else if ((static_cast<unsigned char>(s_[i_]) & 0xC0) != 0x80) {
      ++column_;
    }
    ++i_;
  }
  Error error(Position at, std::string message) const {
    return Error{file_, at.line, at.column, std::move(message)};
  }

  void skip_blanks() {
    while (!at_end() && (peek() == ' ' || peek() == '\t' || peek() == '\r')) next();
  }
  void skip_comment() {
    while (!at_end() && peek() != '\n') next();
  }
  void close() {
    if (depth_ > 0) --depth_;
    next();
  }

  // At a quote: past the string in any of its four forms. An unterminated single-line
  // string ends at the line's end (toml++ reports it).
  void skip_string() {
    char q = peek();
    bool basic = q == '"';
    if (peek(1) == q && peek(2) == q) {  // multi-line: up to """ (or '''), plus up to 2 quotes
      next(), next(), next();
      while (!at_end()) {
        if (basic && peek() == '\\') {
          next();
          if (!at_end()) next();
        } else if (peek() == q && peek(1) == q && peek(2) == q) {
          next(), next(), next();
          for (int extra = 0; extra < 2 && peek() == q; ++extra) next();
          return;
        } else {
          next();
        }
      }
      return;
    }
    next();
    while (!at_end() && peek() != '\n') {
      if (basic && peek() == '\\') {
        next();
        if (!at_end() && peek() != '\n') next();
      } else if (peek() == q) {
        next();
        return;
      } else {
        next();
      }
    }
  }

  // A (dotted) key from here: the number of its parts. Stops before '=', a
  // closing bracket, ',', a comment or the line's end.
  size_t scan_key() {
    size_t parts = 1;
    while (!at_end()) {
      skip_blanks();
      char c = peek();
      if (c == '"' || c == '\'') {
        skip_string();
      } else if (c == '.') {
        ++parts;
        next();
      } else if (c == '=' || c == ']' || c == '}' || c == ',' || c == '#' || c == '\n' ||
                 c == '\0') {
        break;
      } else {
        next();
      }
    }
    return parts;
  }

  // The key of a key/value pair; its value follows ('=' consumed, mode Value).
  std::optional<Error> key(bool top_level, Mode& mode) {
    Position at = here();
    size_t start = i_;
    size_t parts = scan_key();
    if (parts > kMaxKeyParts)
      return error(at, fmt::format("{}key with {} dotted parts; at most {}",
                                   top_level ? "" : "inline table ", parts, kMaxKeyParts));
    if (peek() == '=') {
      next();
      mode = Mode::Value;
    } else if (i_ == start) {
      next();  // a stray character: toml++ reports it
    }
    return std::nullopt;
  }

  std::string_view s_;
  const std::string& file_;
  size_t i_ = 0;
  uint32_t line_ = 1, column_ = 1;
  char open_[kMaxValueNesting] = {};
  size_t depth_ = 0;
};

}  // namespace

std::optional<Error> check_toml_bounds(std::string_view text, const std::string& file) {
  if (text.size() > kMaxTomlBytes) {  // at the first byte past the bound
    uint32_t line = 1, column = 1;
    for (char c : text.substr(0, kMaxTomlBytes)) {
      if (c == '\n')
        ++line, column = 1;
      else if ((static_cast<unsigned char>(c) & 0xC0) != 0x80)
        ++column;
    }
    return Error{file, line, column,
                 fmt::format("the file goes on past {} bytes, the most a policy or config file "
                             "may hold",
                             kMaxTomlBytes)};
  }
  return Scanner(text, file).run();
}

}  // namespace postern::policy
