// lib/mime: the mime stage, the MIME_* and HTML_* symbols, and the event's
// postern.header_from[], header_from_other_readings[], parts[] and links[], and
// email.subject and email.reply_to.address[] (decoded, as a reader sees them).
#include "mime/registration.hpp"

#include <nlohmann/json.hpp>
#include <optional>

#include "mime/address.hpp"
#include "mime/analysis.hpp"
#include "mime/headers.hpp"
#include "mime/stage.hpp"
#include "mime/symbols.hpp"

namespace postern::mime {
namespace {

using nlohmann::json;

constexpr size_t kMaxParts = 200;
constexpr size_t kMaxLinks = 200;
constexpr size_t kMaxHeaderFrom = 20;

json parts_json(const Analysis& a) {
  json parts = json::array();
  for (const auto& leaf : a.leaves) {
    if (parts.size() >= kMaxParts) break;
    const Part& p = *leaf.part;
    json anomalies = json::array();
    for (const auto& an : leaf.anomalies) anomalies.push_back(an.symbol);
    parts.push_back({{"path", p.path},
                     {"content_type", p.content_type},
                     {"disposition", p.disposition},
                     {"filename", p.filename},
                     {"transfer_encoding", p.transfer_encoding},
                     {"charset", p.charset},
                     {"size", leaf.size},
                     {"sha256", leaf.sha256},
                     {"anomalies", std::move(anomalies)}});
  }
  return parts;
}

json links_json(const Analysis& a) {
  json links = json::array();
  for (const auto& l : a.links) {
    if (links.size() >= kMaxLinks) break;
    links.push_back({{"url", l.url}, {"text", l.text}, {"part", l.part}});
  }
  return links;
}

// The Subject and Reply-To as the reader sees them (decoded): ECS email.subject and
// email.reply_to.address[]. The stages' reading when they made one.
void write_shown_headers(const core::Message& m, const core::Transaction& tx, json& email) {
  std::optional<UserHeaders> own;
  const UserHeaders* kept = tx.get<UserHeaders>();
  const UserHeaders& shown = kept ? *kept : own.emplace(user_headers(m));
  if (!shown.subjects.empty()) email["subject"] = shown.subject();
  json reply_to = json::array();
  for (const auto& b : shown.reply_to)
    if (!b.domain.empty() && reply_to.size() < kMaxHeaderFrom) reply_to.push_back(b.address());
  if (!reply_to.empty()) email["reply_to"]["address"] = std::move(reply_to);
}

void write_event(const core::Transaction& tx, json& e) {
  json& p = e["postern"];
  json header_from = json::array();
  json other_readings = json::array();  // author domains only other readers see
  if (const core::Message* m = tx.message()) {
    write_shown_headers(*m, tx, e["email"]);
    // The stages' reading when they made one; the event of an early decision reads it here.
    std::optional<Author> own;
    const Author* kept = tx.get<Author>();
    const Author& author = kept ? *kept : own.emplace(mime::author(*m));
    for (const auto& b : author.mailboxes)
      if (!b.domain.empty() && header_from.size() < kMaxHeaderFrom)
        header_from.push_back(b.address());
    for (size_t i = author.rfc_domains; i < author.domains.size(); ++i)
      other_readings.push_back(author.domains[i]);
  }
  p["header_from"] = std::move(header_from);
  if (!other_readings.empty()) p["header_from_other_readings"] = std::move(other_readings);
  if (const auto* a = tx.get<Analysis>()) {
    p["parts"] = parts_json(*a);
    p["links"] = links_json(*a);
  }
}

}  // namespace

const core::Registration& registration() {
  static const core::Registration r{
      .folder = "mime",
      .symbols = symbols(),
      .stages = {{.name = "mime",
                  .provides = {"mime.analysis"},
                  // After a stage that decrypts the message for scanning (mime/unwrapped.hpp).
                  .needs = {"limits", "mime.unwrapped"},
                  .make = [](const core::StageContext&) -> std::unique_ptr<core::Stage> {
                    return std::make_unique<MimeStage>();
                  }}},
      .event_writers = {write_event},
  };
  return r;
}

}  // namespace postern::mime
