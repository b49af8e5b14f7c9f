// lib/attach: the attach stage, the [attachments] policy section, the [clamav]
// and [yara] config sections, the hash feed, ClamAV and YARA services, the
// symbols and the event's attachments (see registration.hpp).
#include "attach/registration.hpp"

#include <nlohmann/json.hpp>

#include "attach/attach_policy.hpp"
#include "attach/engines.hpp"
#include "attach/stage.hpp"
#include "attach/symbols.hpp"
#include "policy/policy.hpp"

namespace postern::attach {
namespace {

using nlohmann::json;

constexpr size_t kMaxEventFiles = 200;

HashFeedConfig feed_config(const policy::Policy& pol) {
  const auto& a = pol.sections.section<AttachPolicy>("attachments");
  HashFeedConfig c;
  if (!a.enabled) return c;
  c.bad = a.hash_feeds;
  c.good = a.known_good;
  c.interval = std::chrono::seconds(a.hash_feed_interval);
  return c;
}

core::ServiceEntry hash_feed_service() {
  return {
      .name = "attach.hash_feeds",
      .make = [](const policy::Config&, const policy::Policy& pol,
                 std::string& error) -> std::shared_ptr<void> {
        HashFeedConfig c = feed_config(pol);
        if (c.bad.empty() && c.good.empty()) return nullptr;
        auto feeds = HashFeeds::start(std::move(c));
        if (!feeds) {
          error = "[attachments] " + feeds.error();
          return nullptr;
        }
        return *feeds;
      },
      // The service watches its files itself; it is remade when the policy names others.
      .changed =
          [](const void* current, const policy::Config&, const policy::Config&,
             const policy::Policy& pol) {
            HashFeedConfig c = feed_config(pol);
            auto* f = static_cast<const HashFeeds*>(current);
            if (!f) return !c.bad.empty() || !c.good.empty();
            return !(f->config() == c);
          },
  };
}

void write_event(const core::Transaction& tx, json& e) {
  const auto* r = tx.get<AttachReport>();
  if (!r || r->files.empty()) return;
  json ours = json::array(), ecs = json::array();
  for (const auto& f : r->files) {
    if (ours.size() >= kMaxEventFiles) break;
    json file = {{"name", f.name},
                 {"part", f.part},
                 {"declared_type", f.declared},
                 {"detected_type", f.detected},
                 {"class", std::string(to_string(f.cls))},
                 {"sha256", f.sha256},
                 {"size", f.size},
                 {"findings", f.symbols}};
    if (!f.archive_path.empty()) file["archive_path"] = f.archive_path;
    if (f.known_good) file["known_good"] = true;
    ours.push_back(std::move(file));
    json ef = {{"mime_type", f.detected}, {"size", f.size}, {"hash", {{"sha256", f.sha256}}}};
    if (!f.name.empty()) ef["name"] = f.archive_path.empty() ? f.name : f.archive_path;
    const NameFacts nf = name_facts(f.name);
    if (!nf.extension.empty()) ef["extension"] = nf.extension;
    ecs.push_back({{"file", std::move(ef)}});
  }
  e["postern"]["attachments"] = std::move(ours);
  e["email"]["attachments"] = std::move(ecs);
}

}  // namespace

const core::Registration& registration() {
  static const core::Registration r{
      .folder = "attach",
      .symbols = symbols(),
      .config_sections = {{"clamav", read_clamav_config}, {"yara", read_yara_config}},
      .policy_sections = {{.name = "attachments", .read = read_attach_policy}},
      .services = {hash_feed_service(), clamav_service(), yara_service()},
      .stages = {{.name = "attach",
                  .provides = {"content.findings", "attach.files"},
                  .needs = {"mime.analysis"},
                  .make = [](const core::StageContext& c) -> std::unique_ptr<core::Stage> {
                    const auto& a = c.policy.sections.section<AttachPolicy>("attachments");
                    if (!a.enabled) return nullptr;
                    Engines e;
                    e.feeds = c.services.get<HashFeeds>("attach.hash_feeds");
                    e.av = c.services.get<AvScanner>("attach.clamav");
                    e.yara = yara_rules(c.services, e.yara_timeout_s);
                    return std::make_unique<AttachStage>(a, std::move(e));
                  }}},
      .event_writers = {write_event},
  };
  return r;
}

}  // namespace postern::attach
