// Tests for policy/toml_bounds.hpp: hostile nesting and size in policy and config files
// are errors at file:line:column (what `postern policy check` prints), never a crash.
#include "policy/toml_bounds.hpp"

#include <fmt/format.h>
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "policy/config.hpp"
#include "policy/policy.hpp"
#include "policy/toml_reader.hpp"
#include "scan/registry.hpp"
#include "support/expect_error.hpp"
#include "support/temp_dir.hpp"

using postern::policy::check_toml_bounds;
using postern::policy::kMaxKeyParts;
using postern::policy::kMaxTomlBytes;
using postern::policy::kMaxValueNesting;
using postern::test::TempDir;

namespace {

// "a.a.a..." with `n` parts.
std::string dotted(size_t n) {
  std::string s = "a";
  for (size_t i = 1; i < n; ++i) s += ".a";
  return s;
}

std::string repeat(std::string_view unit, size_t n) {
  std::string s;
  s.reserve(unit.size() * n);
  for (size_t i = 0; i < n; ++i) s += unit;
  return s;
}

// `n` arrays nested in one another: [[[ ]]]
std::string nested_arrays(size_t n) {
  return repeat("[", n) + repeat("]", n);
}

// `n` inline tables nested in one another: { a = { a = 1 } }
std::string nested_tables(size_t n) {
  return repeat("{ a = ", n) + "1" + repeat(" }", n);
}

struct Hostile {
  std::string name;
  std::string text;
  uint32_t line, column;
  std::string contains;
};

// The reproducers and their neighbours, each with the error it must give.
std::vector<Hostile> hostile_rows() {
  return {
      {"a table header with 40,000 dotted parts", "[" + dotted(40000) + "]\n", 1, 1,
       "table header with 40000 dotted parts; at most 64"},
      {"an array-of-tables header with 40,000 dotted parts",
       "# comment\n[[" + dotted(40000) + "]]\n", 2, 1, "table header with 40000 dotted parts"},
      {"a key with 40,000 dotted parts", "[inbound]\n" + dotted(40000) + " = 1\n", 2, 1,
       "key with 40000 dotted parts; at most 64"},
      {"a key inside an inline table with 40,000 dotted parts",
       "[lists]\nx = { " + dotted(40000) + " = 1 }\n", 2, 7,
       "inline table key with 40000 dotted parts"},
      {"arrays nested 100,000 deep",
       "[network]\ninternal_networks = " + nested_arrays(100000) + "\n", 2,
       21 + static_cast<uint32_t>(kMaxValueNesting),
       "arrays and inline tables nested more than 32 deep"},
      {"inline tables nested 100,000 deep", "[lists]\nx = " + nested_tables(100000) + "\n", 2,
       5 + 6 * static_cast<uint32_t>(kMaxValueNesting), "nested more than 32 deep"},
      {"nesting counted across lines of a multi-line array",
       "[network]\ninternal_networks = [\n" + repeat("  [ # [[[\n", kMaxValueNesting) + "]\n", 34,
       3, "nested more than 32 deep"},
      {"columns count characters, not bytes (UTF-8)",
       "[tag]\nx = [\"é\", " + nested_arrays(kMaxValueNesting) + "]\n", 2,
       11 + static_cast<uint32_t>(kMaxValueNesting) - 1, "nested more than 32 deep"},
      {"one part over the bound", "[" + dotted(kMaxKeyParts + 1) + "]\n", 1, 1,
       "table header with 65 dotted parts"},
  };
}

}  // namespace

TEST_CASE("policy check: hostile nesting is an error at its file:line:column, not a crash",
          "[policy][bounds]") {
  for (const auto& r : hostile_rows()) {
    CAPTURE(r.name);
    TempDir d;
    std::string path = d.write("policies/10-test.toml", r.text);
    auto p = postern::policy::load_policy({d.str() + "/policies"});
    REQUIRE_FALSE(p);
    postern::test::check_single_error(p.error(), {path, r.line, r.column, r.contains});
    // The same text through parse_policy (the fuzzer's entry point).
    auto q = postern::policy::parse_policy(r.text, "text.toml");
    REQUIRE_FALSE(q);
    postern::test::check_single_error(q.error(), {"text.toml", r.line, r.column, r.contains});
  }
}

TEST_CASE("the daemon config is read with the same bounds", "[config][bounds]") {
  for (const auto& r : hostile_rows()) {
    CAPTURE(r.name);
    TempDir d;
    std::string path = d.write("postern.toml", r.text);
    auto c = postern::scan::load_config(path);
    REQUIRE_FALSE(c);
    postern::test::check_single_error(c.error(), {path, r.line, r.column, r.contains});
  }
}

TEST_CASE("a policy or config file over the size bound is refused as a whole before parsing",
          "[policy][config][bounds]") {
  TempDir d;
  // The error is at the first byte past the bound: line 2, after "#\n" and a long comment.
  std::string big = "#\n# " + std::string(kMaxTomlBytes, 'x') + "\n";
  const uint32_t col = static_cast<uint32_t>(kMaxTomlBytes - 2 + 1);
  const std::string want = "the file goes on past 8388608 bytes";
  std::string pol = d.write("policies/10-big.toml", big);
  auto p = postern::policy::load_policy({d.str() + "/policies"});
  REQUIRE_FALSE(p);
  postern::test::check_single_error(p.error(), {pol, 2, col, want});
  std::string cfg = d.write("postern.toml", big);
  auto c = postern::scan::load_config(cfg);
  REQUIRE_FALSE(c);
  postern::test::check_single_error(c.error(), {cfg, 2, col, want});
  auto t = postern::policy::parse_policy(big, "big.toml");
  REQUIRE_FALSE(t);
  postern::test::check_single_error(t.error(), {"big.toml", 2, col, want});
  // Exactly at the bound is read (and is a valid, empty policy).
  std::string at = std::string(kMaxTomlBytes - 1, '#') + "\n";
  CHECK_FALSE(check_toml_bounds(at, "at.toml"));
}

TEST_CASE("the bounds scan does not count brackets or dots in strings and comments",
          "[policy][bounds]") {
  struct Row {
    std::string name;
    std::string text;
  };
  const std::string deep = repeat("[", 100) + repeat(".", 100);
  std::vector<Row> within = {
      {"at the part bound", "[" + dotted(kMaxKeyParts) + "]\n" + dotted(kMaxKeyParts) + " = 1\n"},
      {"at the nesting bound", "x = " + nested_arrays(kMaxValueNesting) + "\n" +
                                   "y = " + nested_tables(kMaxValueNesting) + "\n"},
      {"a basic string", "x = \"" + deep + "\"\n"},
      {"a basic string with escaped quotes", "x = \"\\\"" + deep + "\\\\\"\ny = [1]\n"},
      {"a literal string (no escapes)", "x = '\\" + deep + "'\ny = [1]\n"},
      {"a multi-line basic string",
       "x = \"\"\"\n" + deep + "\n\"\" \\\"\"\"\n" + deep + "\"\"\"\"\"\ny = 1\n"},
      {"a multi-line literal string", "x = '''\n" + deep + "\n'''''\ny = 1\n"},
      {"a comment", "# " + deep + "\nx = 1 # " + deep + "\n"},
      {"a quoted key", "\"" + deep + "\" = 1\n[\"y.z\".'" + deep + "']\n"},
      {"an array of strings and tables over lines",
       "x = [\n  \"" + deep + "\", # " + deep + "\n  { a = '" + deep + "' },\n]\n"},
      {"many arrays side by side", "x = [" + repeat("[1], ", 10000) + "]\n"},
  };
  std::string many;
  for (int i = 0; i < 1000; ++i) many += fmt::format("[t{}.b.c]\nx.y = [[1]]\n", i);
  within.push_back({"many tables and keys", many});
  for (const auto& r : within) {
    CAPTURE(r.name);
    auto e = check_toml_bounds(r.text, "t.toml");
    CHECK_FALSE(e);
    if (e) FAIL_CHECK(e->to_string());
    // Each is valid TOML, which the reader (bounds, then toml++) accepts.
    postern::policy::Errors errs;
    CHECK(postern::policy::parse_toml(r.text, "t.toml", errs));
    CHECK(postern::policy::to_string(errs) == "");
  }
}
