// Transaction: everything known about one message while it passes the stages.
//
// Contract: created by the session at MAIL FROM (or for the connection-level
// events, before it); stages read the connection, envelope and message, and add
// findings. Scores of findings are looked up in the policy's per-symbol
// overrides when they are added, so `findings()` always holds effective scores.
// Findings are about the transaction or about one recipient: while a recipient
// scope is open (the pipeline opens one around each RCPT event), every finding
// added is recorded against that recipient (Finding::recipient), and
// `has_finding` sees the transaction's findings plus that recipient's only.
// `findings_for(r)` is what the policy weighs for recipient r: the
// transaction's findings and r's own, never another recipient's.
// The number of findings is bounded (Limits::findings) per scope (the
// transaction's, and each recipient's on its own): past it one
// POSTERN_FINDINGS_LIMIT finding (in that scope) is added and the rest dropped. `budget()` is the
// message's CPU budget (Limits::scan_time_ms), started by the pipeline at end of
// message and shared by the content stages and their long loops. Not thread-safe:
// one transaction is driven by one thread at a time.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <typeindex>
#include <vector>

#include "core/connection.hpp"
#include "core/cpu_budget.hpp"
#include "core/finding.hpp"
#include "core/limits.hpp"
#include "core/message.hpp"
#include "core/verdict.hpp"

namespace postern::core {

// Returns the effective score of `symbol`, given the stage's default score.
using ScoreFn = std::function<double(std::string_view symbol, double stage_default)>;

struct StageTime {
  std::string name;
  double ms = 0;
};

class Transaction {
 public:
  Transaction(const ConnectionInfo& conn, Direction dir, Limits limits, ScoreFn score,
              std::string scan_id)
      : conn_(conn),
        direction_(dir),
        limits_(limits),
        budget_(std::chrono::milliseconds(
            static_cast<std::chrono::milliseconds::rep>(limits.scan_time_ms))),
        score_(std::move(score)),
        scan_id_(std::move(scan_id)) {}

  const ConnectionInfo& connection() const { return conn_; }
  Direction direction() const { return direction_; }
  const Limits& limits() const { return limits_; }
  const std::string& scan_id() const { return scan_id_; }
  // The CPU budget of the content stages (see core/cpu_budget.hpp).
  CpuBudget& budget() { return budget_; }

  Envelope& envelope() { return envelope_; }
  const Envelope& envelope() const { return envelope_; }

  // The buffered message; set at end of message.
  void set_message(Message m) { message_ = std::move(m); }
  const Message* message() const { return message_ ? &*message_ : nullptr; }

  // Adds a finding with the policy's effective score for `symbol`.
  void add_finding(std::string symbol, double default_score, std::string detail);
  // Adds a finding whose score is already effective (carried over from the connection);
  // bounded like add_finding.
  void adopt(const Finding& f);
  // Every finding, the transaction's and each recipient's, in the order added.
  const std::vector<Finding>& findings() const { return findings_; }
  // The transaction's findings plus those about `rcpt` ("" = the transaction's alone).
  std::vector<Finding> findings_for(std::string_view rcpt) const;
  // True when a finding about `rcpt` itself exists (the transaction's findings do not count).
  bool has_recipient_findings(std::string_view rcpt) const;
  // A finding of `symbol` about the transaction or about the open recipient scope.
  bool has_finding(std::string_view symbol) const;
  double score() const;  // of every finding

  // Findings added until end_recipient() are about `rcpt`.
  void begin_recipient(std::string rcpt) { recipient_ = std::move(rcpt); }
  void end_recipient() { recipient_.clear(); }
  const std::string& current_recipient() const { return recipient_; }

  // What one stage learned for later stages (the MIME analysis, the DKIM results,
  // ...): one value per type. Stages never call each other; they share through this.
  template <typename T>
  void put(std::shared_ptr<const T> v) {
    shared_[std::type_index(typeid(T))] = std::move(v);
  }
  template <typename T>
  const T* get() const {
    auto it = shared_.find(std::type_index(typeid(T)));
    return it == shared_.end() ? nullptr : static_cast<const T*>(it->second.get());
  }

  void add_stage_time(std::string_view stage, double ms);
  const std::vector<StageTime>& stage_times() const { return times_; }

 private:
  const ConnectionInfo& conn_;
  Direction direction_;
  Limits limits_;
  CpuBudget budget_;
  ScoreFn score_;
  std::string scan_id_;
  Envelope envelope_;
  std::optional<Message> message_;
  std::vector<Finding> findings_;
  std::string recipient_;                              // the open recipient scope, "" = none
  std::map<std::string, size_t, std::less<>> counts_;  // findings per scope ("" = the transaction)
  std::vector<StageTime> times_;
  std::map<std::type_index, std::shared_ptr<const void>> shared_;
};

}  // namespace postern::core
