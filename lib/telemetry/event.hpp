// Event: the JSON record of one transaction (Elastic Common Schema fields).
//
// Contract: pure function of the transaction and its outcome. Key names are a
// public interface (SIEM dashboards are built on them): @timestamp,
// event.{kind,category,action,outcome}, email.{from.address, to.address[],
// subject, message_id, local_id, direction}, source.{ip,port,domain}, and
// postern.{scan_id, action, score, reason, findings[] {symbol, score, detail,
// recipient (when about one recipient)}, headers_added[], headers_removed[],
// smtp_reply, stages[], header_from[], recipients[] {address, group, action
// (its own result, or "deferred"), reason, smtp_reply (when refused or
// deferred at RCPT)},
// parts[] {path, content_type, disposition, filename, transfer_encoding,
// charset, size, sha256, anomalies[]} (leaf parts, at most 200), links[] {url,
// text, part} (at most 200), auth {spf, dkim[], dmarc, arc} (when the
// authentication stages ran: see auth/auth_results.hpp)}.
// email.to.address[] every recipient in RCPT order except the deferred ones.
// email.from.address is the envelope sender; postern.header_from[] the header
// From addresses. Strings with invalid UTF-8 are repaired (U+FFFD), never dropped.
#pragma once

#include <nlohmann/json.hpp>

#include "core/outcome.hpp"
#include "core/transaction.hpp"
#include "mime/analysis.hpp"

namespace postern::telemetry {

nlohmann::json make_event(const core::Transaction& tx, const core::Outcome& out);

// The parts[] and links[] arrays of an analysis (also used by `postern scan --parts`).
nlohmann::json parts_json(const mime::Analysis& a, size_t max_parts = 200);
nlohmann::json links_json(const mime::Analysis& a, size_t max_links = 200);

// One compact line; invalid UTF-8 replaced.
std::string to_line(const nlohmann::json& event);

}  // namespace postern::telemetry
