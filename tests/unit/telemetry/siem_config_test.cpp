// Tests for packaging/siem: the reference Vector and Filebeat configs read the
// event log the packaged postern.toml writes, and parse it as JSON lines.
#include <catch2/catch.hpp>

#include <toml++/toml.h>

#include <string>

#include "scan/registry.hpp"
#include "support/files.hpp"

namespace {

std::string packaged_event_log() {
  auto c = postern::scan::load_config(POSTERN_SOURCE_DIR "/packaging/postern.toml");
  REQUIRE(c);
  return c->event_log;
}

}  // namespace

TEST_CASE("the reference Vector config tails the packaged event log and parses each line",
          "[siem]") {
  toml::table t = toml::parse_file(POSTERN_SOURCE_DIR "/packaging/siem/vector.toml");
  const auto* include = t.at_path("sources.postern_events.include").as_array();
  REQUIRE(include);
  REQUIRE(include->size() == 1);
  CHECK(include->get(0)->value_or(std::string()) == packaged_event_log());
  CHECK(t.at_path("sources.postern_events.type").value_or(std::string()) == "file");
  const std::string remap = t.at_path("transforms.postern_ecs.source").value_or(std::string());
  CHECK(remap.find("parse_json(string!(.message))") != std::string::npos);
  const auto* inputs = t.at_path("sinks.elasticsearch.inputs").as_array();
  REQUIRE(inputs);
  CHECK(inputs->get(0)->value_or(std::string()) == "postern_ecs");
}

TEST_CASE("the reference Filebeat config reads the packaged event log as ndjson at the root",
          "[siem]") {
  const std::string y = postern::test::slurp(POSTERN_SOURCE_DIR "/packaging/siem/filebeat.yml");
  CHECK(y.find("      - " + packaged_event_log() + " ") != std::string::npos);
  CHECK(y.find("- ndjson:\n          target: \"\"\n") != std::string::npos);
  CHECK(y.find("type: filestream") != std::string::npos);
}
