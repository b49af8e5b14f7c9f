// `postern quarantine list --since/--until`: the times an operator may write.
#include <catch2/catch.hpp>

#include "tools/quarantine_command.hpp"

using namespace postern;

TEST_CASE("list's times: Unix seconds, UTC dates and times, ages; nothing else") {
  const int64_t now = 1764806400;  // 2025-12-04T00:00:00Z
  struct Row {
    const char* text;
    std::optional<int64_t> want;
  };
  const std::vector<Row> rows{
      {"1700000000", 1700000000},
      {"2025-12-04", 1764806400},
      {"2025-12-04T10:30", 1764806400 + 10 * 3600 + 30 * 60},
      {"2025-12-04T10:30:15Z", 1764806400 + 10 * 3600 + 30 * 60 + 15},
      {"90m", now - 90 * 60},
      {"24h", now - 86400},
      {"7d", now - 7 * 86400},
      {"", std::nullopt},
      {"yesterday", std::nullopt},
      {"7w", std::nullopt},
      {"-5", std::nullopt},
      {"2025-12-04 10:30", std::nullopt},
      {"2025-12-04T10", std::nullopt},
      {"2025-12-04Tjunk", std::nullopt},
      {"99999999999999999999", std::nullopt},
  };
  for (const auto& r : rows) {
    INFO(r.text);
    CHECK(tools::parse_time(r.text, now) == r.want);
  }
}
