// Event: the JSON record of one transaction (Elastic Common Schema fields).
//
// Contract: pure function of the transaction, its outcome and the folders'
// event writers (core/registration.hpp: each adds its own keys;
// this file knows no stage folder). Key names are a
// public interface (SIEM dashboards are built on them): @timestamp,
// event.{kind,category,action,outcome}, email.{from.address, to.address[],
// subject (decoded, the first), reply_to.address[], message_id, local_id, direction},
// source.{ip,port,domain}, and postern.{scan_id, action, score, reason, findings[]
// {symbol, score, detail, recipient (when about one recipient)}, headers_added[],
// headers_removed[], body_replaced, recipients_added[], recipients_removed[] (these
// three only when set), quarantine {id, mode} (when postern's quarantine store holds
// the message: quarantine/stage.hpp), smtp_reply, stages[], header_from[], recipients[] {address,
// group, action (its own result, or "deferred"), reason, smtp_reply (when refused
// or deferred at RCPT)}, the modifiers' counts (core::Outcome::event_counts, e.g.
// click.rewritten: the links rewritten when the click-rewrite modifier ran on the message),
// parts[] {path, content_type, disposition, filename, transfer_encoding,
// charset, size, sha256, anomalies[]} (leaf parts, at most 200), links[] {url,
// text, part} (at most 200), auth {spf, dkim[], dmarc, arc} (when the
// authentication stages ran: see auth/auth_results.hpp)}. header_from[],
// header_from_other_readings[], parts[], links[], email.subject and
// email.reply_to are lib/mime's writer's, auth lib/auth's.
// email.to.address[] every recipient in RCPT order except the deferred ones.
// email.from.address is the envelope sender; postern.header_from[] the header
// From addresses. Strings with invalid UTF-8 are repaired (U+FFFD), never dropped.
#pragma once

#include <nlohmann/json.hpp>

#include <span>

#include "core/outcome.hpp"
#include "core/registration.hpp"
#include "core/transaction.hpp"

namespace postern::telemetry {

nlohmann::json make_event(const core::Transaction& tx, const core::Outcome& out,
                          std::span<const core::EventWriter> writers);

// One compact line; invalid UTF-8 replaced.
std::string to_line(const nlohmann::json& event);

}  // namespace postern::telemetry
