// Event: ECS-style JSON for one transaction.
#include "telemetry/event.hpp"

#include <fmt/chrono.h>
#include <fmt/format.h>

#include <algorithm>
#include <chrono>

#include "core/address.hpp"

namespace postern::telemetry {
using nlohmann::json;

namespace {

std::string timestamp_now() {
  auto now = std::chrono::system_clock::now();
  auto ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
  std::time_t t = std::chrono::system_clock::to_time_t(now);
  std::tm tm{};
  gmtime_r(&t, &tm);
  return fmt::format("{:%Y-%m-%dT%H:%M:%S}.{:03d}Z", tm, static_cast<int>(ms));
}

double round3(double v) {
  return static_cast<double>(static_cast<int64_t>(v * 1000 + (v >= 0 ? 0.5 : -0.5))) / 1000;
}

json reply_json(const core::SmtpReply& r) {
  return {{"code", r.code}, {"xcode", r.xcode}, {"text", r.text}};
}

}  // namespace

json make_event(const core::Transaction& tx, const core::Outcome& out,
                std::span<const core::EventWriter> writers) {
  const core::Verdict& v = out.verdict;
  const core::Envelope& env = tx.envelope();
  bool delivered = v.action == core::Action::Accept || v.action == core::Action::Tag;
  json e;
  e["@timestamp"] = timestamp_now();
  e["event"] = {{"kind", "event"},
                {"category", json::array({"email"})},
                {"action", std::string(core::to_string(v.action))},
                {"outcome", delivered ? "success" : "failure"}};
  json email;
  email["from"]["address"] = env.mail_from;
  // Every recipient of this transaction, in RCPT order: accepted and refused; not the
  // deferred ones (they come again in a transaction of their own).
  json to = json::array();
  if (out.recipients.empty())
    to = env.recipients;
  else
    for (const auto& r : out.recipients)
      if (!r.deferred) to.push_back(r.address);
  email["to"]["address"] = std::move(to);
  email["direction"] = core::to_string(tx.direction());
  if (!env.queue_id.empty()) email["local_id"] = env.queue_id;
  if (const core::Message* m = tx.message()) {
    if (const auto* id = m->find("Message-ID"))
      email["message_id"] = std::string(core::trim(id->value));
  }
  e["email"] = std::move(email);
  const core::ConnectionInfo& c = tx.connection();
  if (!c.client_address.empty()) {
    e["source"]["ip"] = c.client_address;
    if (c.client_port) e["source"]["port"] = c.client_port;
  }
  if (!c.client_name.empty()) e["source"]["domain"] = c.client_name;

  json p;
  p["scan_id"] = tx.scan_id();
  p["action"] = std::string(core::to_string(v.action));
  p["score"] = round3(v.score);
  if (!v.reason.empty()) p["reason"] = v.reason;
  p["before_data"] = out.before_data;
  json findings = json::array();
  for (const auto& f : tx.findings()) {
    findings.push_back({{"symbol", f.symbol}, {"score", round3(f.score)}, {"detail", f.detail}});
    if (!f.recipient.empty()) findings.back()["recipient"] = f.recipient;
  }
  p["findings"] = std::move(findings);
  json added = json::array();
  for (const auto& h : out.added) {
    added.push_back({{"name", h.name}, {"value", h.value}});
    if (h.at_top) added.back()["at_top"] = true;
  }
  if (out.new_subject) added.push_back({{"name", "Subject"}, {"value", *out.new_subject}});
  p["headers_added"] = std::move(added);
  json removed = json::array();
  json changed = json::array();
  for (const auto& h : out.changed)
    (h.value ? changed : removed).push_back({{"name", h.name}, {"index", h.index}});
  p["headers_removed"] = std::move(removed);
  if (!changed.empty()) p["headers_changed"] = std::move(changed);
  if (out.new_body) p["body_replaced"] = true;
  if (!out.removed_recipients.empty()) p["recipients_removed"] = out.removed_recipients;
  if (!out.added_recipients.empty()) {
    json rcpts = json::array();
    for (const auto& r : out.added_recipients) rcpts.push_back(r.address);
    p["recipients_added"] = std::move(rcpts);
  }
  if (!v.reply.empty()) p["smtp_reply"] = reply_json(v.reply);
  json stages = json::array();
  for (const auto& s : tx.stage_times()) stages.push_back({{"name", s.name}, {"ms", round3(s.ms)}});
  p["stages"] = std::move(stages);
  json rcpts = json::array();
  for (const auto& r : out.recipients) {
    json j = {{"address", r.address},
              {"group", r.group},
              {"action", r.deferred ? std::string("deferred")
                                    : std::string(core::to_string(r.verdict.action))}};
    if (!r.verdict.reason.empty()) j["reason"] = r.verdict.reason;
    if (r.at_rcpt && !r.verdict.reply.empty()) j["smtp_reply"] = reply_json(r.verdict.reply);
    rcpts.push_back(std::move(j));
  }
  p["recipients"] = std::move(rcpts);
  if (!out.quarantine_reason.empty()) p["quarantine_reason"] = out.quarantine_reason;
  if (out.stored)
    p["quarantine"] = {{"id", out.quarantine_id},
                       {"mode", std::string(core::to_string(out.quarantine_mode))}};
  for (const auto& [key, n] : out.event_counts) {
    std::string pointer = "/" + key;
    std::replace(pointer.begin(), pointer.end(), '.', '/');
    p[json::json_pointer(pointer)] = n;
  }
  e["postern"] = std::move(p);
  for (auto write : writers) write(tx, e);
  return e;
}

std::string to_line(const json& event) {
  return event.dump(-1, ' ', false, json::error_handler_t::replace);
}

}  // namespace postern::telemetry
