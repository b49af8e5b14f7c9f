// Registration: what one lib folder contributes to postern, declared in one
// place (lib/<folder>/registration.cpp): its finding symbols, its config
// sections and their readers, its services, its stages and finishers with their
// order constraints, and its part of the JSON event.
//
// Contract: a folder's `registration()` returns a constant, built once
// (thread-safe static); scan/registry gathers every folder's, orders the stages
// and the finishers by their `provides`/`needs` tags (a stable topological sort;
// a cycle or a tag nobody provides is an error naming them) and builds a
// snapshot by walking them: an entry whose services are not all present is left
// out, the others' factories are called with a StageContext and may return null
// (not configured). Factories run on the thread that builds a snapshot (startup,
// SIGHUP, `postern scan`); the products are immutable and shared by threads.
// Event writers run on the connection's thread, once per event, and only add
// the folder's own keys: under `postern`, and the `email` keys that need the
// folder's reading of the message (lib/mime: the decoded subject, reply_to). Adding a stage edits
// only its folder (and the CMake source list).
#pragma once

#include <nlohmann/json_fwd.hpp>

#include <functional>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/stage.hpp"
#include "core/symbols.hpp"

namespace postern::policy {
struct Error;
struct Config;
struct Policy;
class TomlSection;
}  // namespace postern::policy

namespace postern::core {

class Finisher;
class Modifier;
class Disposer;

// The services (scan/services.hpp) current when a snapshot is built, by name
// ("dns.resolver", "auth.psl", ...). A snapshot keeps the set it was built on.
class ServiceSet {
 public:
  void put(std::string name, std::shared_ptr<void> service) {
    services_[std::move(name)] = std::move(service);
  }
  bool has(std::string_view name) const { return services_.find(name) != services_.end(); }
  // The service, or null when absent; T must be the type its registration makes.
  template <class T>
  std::shared_ptr<T> get(std::string_view name) const {
    auto it = services_.find(name);
    return it == services_.end() ? nullptr : std::static_pointer_cast<T>(it->second);
  }

 private:
  std::map<std::string, std::shared_ptr<void>, std::less<>> services_;
};

// What a factory sees: the loaded config and policy, the services, and this host.
// A factory that cannot build what the config asks for (a key file that does not
// load) appends an Error (at the config file) and returns null: load_snapshot
// refuses the config, make_snapshot logs it and runs without.
struct StageContext {
  const policy::Config& config;
  const policy::Policy& policy;
  const ServiceSet& services;
  std::string authserv_id;  // [scan] authserv_id, or this host's name
  std::string hostname;     // gethostname(), "" when unknown
  std::vector<policy::Error>& errors;
};

// One orderable product: a stage, a finisher (and, alike, a modifier or a
// disposer). `provides` and `needs` are tags: an entry runs after every entry
// that provides a tag it needs, whether or not that one is configured. Among
// entries free to run, the one whose `first_event` (the earliest event it acts
// on) comes first goes first, then registration order. `services`: the entry is
// left out unless all are present. `make` returns null when not configured.
// (Two plain structs rather than one template: g++ 12 fails on default member
// initializers of a class template built with designated initializers.)
struct StageEntry {
  std::string_view name{};
  std::vector<std::string_view> provides{};
  std::vector<std::string_view> needs{};
  std::vector<std::string_view> services{};
  Event first_event = Event::Message;
  std::function<std::unique_ptr<Stage>(const StageContext&)> make{};
};

struct FinisherEntry {
  std::string_view name{};
  std::vector<std::string_view> provides{};
  std::vector<std::string_view> needs{};
  std::vector<std::string_view> services{};
  Event first_event = Event::Message;  // finishers all run after the verdict: order by tags
  std::function<std::shared_ptr<const Finisher>(const StageContext&)> make{};
};

// Modifiers (core/modifier.hpp: banner, archive copy) and disposers
// (core/disposer.hpp: quarantine store and the like), ordered by tags like the
// finishers.
struct ModifierEntry {
  std::string_view name{};
  std::vector<std::string_view> provides{};
  std::vector<std::string_view> needs{};
  std::vector<std::string_view> services{};
  Event first_event = Event::Message;
  std::function<std::shared_ptr<const Modifier>(const StageContext&)> make{};
};

struct DisposerEntry {
  std::string_view name{};
  std::vector<std::string_view> provides{};
  std::vector<std::string_view> needs{};
  std::vector<std::string_view> services{};
  Event first_event = Event::Message;
  std::function<std::shared_ptr<const Disposer>(const StageContext&)> make{};
};

// A config section ([dns], [dkim], ...) and its reader: reads the section with
// `s` (position-aware; its finish() refuses unknown keys) into `c` (typically
// Config::set_section). `dir` is the config file's directory (relative paths).
struct ConfigSection {
  std::string_view name;
  void (*read)(policy::TomlSection& s, policy::Config& c, const std::string& dir);
};

// A service (see scan/services.hpp): made from the config and policy when the
// daemon or `postern scan` starts; at each reload remade, and swapped in, only
// when `changed` says so: the config or policy that concerns it changed, or its
// own source did (a file's mtime). `make` returns null when not configured
// (e.g. no [dns]) and sets `error` when it cannot be made (a config error).
// `current` is the service made last (may be null).
struct ServiceEntry {
  std::string_view name{};
  std::function<std::shared_ptr<void>(const policy::Config&, const policy::Policy&,
                                      std::string& error)>
      make{};
  std::function<bool(const void* current, const policy::Config& old_config,
                     const policy::Config& config, const policy::Policy& policy)>
      changed{};
};

// A policy section ([rules], [heuristics], ...) and its reader: reads the section
// of one policy file with `s` (position-aware; s.file() is the file, for
// relative paths; its finish() refuses unknown keys) into `p` (Policy::sections:
// a later file's section layers over an earlier one's, as the reader merges).
// `defined`, when set, adds the symbols the section defines (a rule's name), so
// a hard rule or score may name them. `check`, when set, adds the errors only the
// whole policy shows (the rules of a field compile as one RE2 set), each at its
// file:line:column: `postern policy check` runs it (a snapshot build finds the same
// errors when its factories compile).
struct PolicySection {
  std::string_view name;
  void (*read)(policy::TomlSection& s, policy::Policy& p);
  void (*defined)(const policy::Policy& p, std::vector<DefinedSymbol>& out) = nullptr;
  void (*check)(const policy::Policy& p, std::vector<policy::Error>& errors) = nullptr;
};

// Adds the folder's keys to the event (its `postern` and `email` objects exist).
using EventWriter = void (*)(const Transaction& tx, nlohmann::json& event);

struct Registration {
  std::string_view folder{};
  std::span<const SymbolInfo> symbols{};
  std::vector<ConfigSection> config_sections{};
  std::vector<PolicySection> policy_sections{};
  std::vector<ServiceEntry> services{};
  std::vector<StageEntry> stages{};
  std::vector<FinisherEntry> finishers{};
  std::vector<ModifierEntry> modifiers{};
  std::vector<DisposerEntry> disposers{};
  std::vector<EventWriter> event_writers{};
};

// lib/core's own: the symbols the pipeline adds (POSTERN_STAGE_ERROR, LIMIT_FINDINGS, ...).
const Registration& registration();

}  // namespace postern::core
