// lib/attach: the attach stage, the [attachments] policy section, the [clamav]
// and [yara] config sections, the hash feed, ClamAV and YARA services, the
// symbols and the event's attachments (see registration.hpp).
#include "attach/registration.hpp"

#include <nlohmann/json.hpp>

#include "attach/attach_policy.hpp"
#include "attach/engines.hpp"
#include "attach/sandbox.hpp"
#include "attach/sandbox_stage.hpp"
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

// The [sandbox] policy when it is on and sends some type, else null.
const SandboxPolicy* sandbox_policy(const core::StageContext& c) {
  if (!c.policy.sections.has_section("sandbox")) return nullptr;
  const auto& sp = c.policy.sections.section<SandboxPolicy>("sandbox");
  return sp.enabled && !sp.types.empty() ? &sp : nullptr;
}

void write_sandbox_event(const core::Transaction& tx, json& e) {
  const auto* r = tx.get<SandboxReport>();
  if (!r || !r->sent) return;
  json files = json::array();
  for (const auto& f : r->files) {
    json j = {{"sha256", f.sha256},
              {"name", f.name},
              {"verdict", std::string(to_string(f.verdict.kind))},
              {"cached", f.verdict.cached}};
    if (!f.verdict.detail.empty()) j["detail"] = f.verdict.detail;
    files.push_back(std::move(j));
  }
  e["postern"]["sandbox"] = {{"files", std::move(files)},
                             {"pending", tx.get<SandboxHold>() != nullptr}};
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
      .config_sections = {{"clamav", read_clamav_config},
                          {"yara", read_yara_config},
                          {"sandbox", read_sandbox_config}},
      .policy_sections = {{.name = "attachments", .read = read_attach_policy},
                          {.name = "sandbox", .read = read_sandbox_policy}},
      .services = {hash_feed_service(), clamav_service(), yara_service(), sandbox_service()},
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
                    const SandboxPolicy* sp = sandbox_policy(c);
                    if (auto sb = c.services.get<Sandbox>("attach.sandbox"); sb && sp)
                      e.sandbox = SandboxPick{sp->types, sp->max_files,
                                              sb->settings().icap.max_bytes, sp->directions};
                    return std::make_unique<AttachStage>(a, std::move(e));
                  }},
                 // After every stage that adds findings, so [sandbox] when sees them.
                 {.name = "sandbox",
                  .needs = {"attach.files", "content.findings", "content.composites",
                            "headers.checked", "dmarc", "lists"},
                  .services = {"attach.sandbox"},
                  .make = [](const core::StageContext& c) -> std::unique_ptr<core::Stage> {
                    const SandboxPolicy* sp = sandbox_policy(c);
                    if (!sp) return nullptr;
                    return std::make_unique<SandboxStage>(
                        *sp, c.services.get<Sandbox>("attach.sandbox"));
                  }}},
      .disposers = {{.name = "sandbox",
                     .services = {"attach.sandbox"},
                     .make =
                         [](const core::StageContext& c) -> std::shared_ptr<const core::Disposer> {
                       if (!sandbox_policy(c)) return nullptr;
                       return std::make_shared<SandboxDisposer>(
                           c.services.get<Sandbox>("attach.sandbox"));
                     }}},
      .event_writers = {write_event, write_sandbox_event},
  };
  return r;
}

}  // namespace postern::attach
