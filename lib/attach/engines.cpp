// The [clamav] and [yara] config sections and their services (see engines.hpp).
#include "attach/engines.hpp"

#include <fmt/format.h>

#include "policy/config.hpp"
#include "policy/toml_reader.hpp"

namespace postern::attach {

bool ClamavSettings::operator==(const ClamavSettings& o) const {
  const ClamLimits &a = engine.limits, &b = o.engine.limits;
  const ClamHeuristics &h = engine.heuristics, &k = o.engine.heuristics;
  auto same_clamd = [](const std::optional<ClamdConfig>& x, const std::optional<ClamdConfig>& y) {
    if (x.has_value() != y.has_value()) return false;
    return !x || (x->address == y->address && x->max_stream == y->max_stream &&
                  x->scan_timeout == y->scan_timeout);
  };
  return engine.database_dirs == o.engine.database_dirs && engine.tmpdir == o.engine.tmpdir &&
         engine.all_matches == o.engine.all_matches && a.max_scansize == b.max_scansize &&
         a.max_filesize == b.max_filesize && a.max_recursion == b.max_recursion &&
         a.max_files == b.max_files && a.max_scantime_ms == b.max_scantime_ms &&
         h.macros == k.macros && h.encrypted_archives == k.encrypted_archives &&
         h.encrypted_documents == k.encrypted_documents &&
         h.broken_executables == k.broken_executables && h.phishing == k.phishing &&
         h.structured == k.structured && check_interval == o.check_interval &&
         same_clamd(clamd, o.clamd);
}

void read_clamav_config(policy::TomlSection& s, policy::Config& c, const std::string& dir) {
  ClamavSettings st;
  if (auto v = s.strings("database_dirs")) {
    st.engine.database_dirs.clear();
    for (const auto& d : *v) st.engine.database_dirs.push_back(policy::resolve_path(dir, d));
  }
  if (auto v = s.string("tmpdir")) st.engine.tmpdir = policy::resolve_path(dir, *v);
  if (auto v = s.integer("check_interval", 1, 86400)) st.check_interval = std::chrono::seconds(*v);
  if (auto v = s.boolean("all_matches")) st.engine.all_matches = *v;
  auto& l = st.engine.limits;
  if (auto v = s.integer("max_filesize", 1, int64_t{4} << 30)) l.max_filesize = uint64_t(*v);
  if (auto v = s.integer("max_scansize", 1, int64_t{4} << 30)) l.max_scansize = uint64_t(*v);
  if (auto v = s.integer("max_recursion", 1, 100)) l.max_recursion = uint32_t(*v);
  if (auto v = s.integer("max_files", 1, 1000000)) l.max_files = uint32_t(*v);
  if (auto v = s.integer("max_scantime", 1, 3600000)) l.max_scantime_ms = uint32_t(*v);
  if (const toml::table* t = s.table("heuristics")) {
    policy::TomlSection h(*t, "clamav.heuristics", s.file(), s.errors());
    auto& hs = st.engine.heuristics;
    if (auto v = h.boolean("macros")) hs.macros = *v;
    if (auto v = h.boolean("encrypted_archives")) hs.encrypted_archives = *v;
    if (auto v = h.boolean("encrypted_documents")) hs.encrypted_documents = *v;
    if (auto v = h.boolean("broken_executables")) hs.broken_executables = *v;
    if (auto v = h.boolean("phishing")) hs.phishing = *v;
    if (auto v = h.boolean("structured")) hs.structured = *v;
    h.finish();
  }
  if (auto v = s.string("clamd")) {
    ClamdConfig cd;
    cd.address = *v;
    if (auto ok = ClamdClient::create(cd); !ok)
      s.error(*s.node("clamd"), fmt::format("'clamd': {}", ok.error()));
    else
      st.clamd = cd;
  }
  s.finish();
  c.set_section("clamav", std::move(st));
}

void read_yara_config(policy::TomlSection& s, policy::Config& c, const std::string& dir) {
  YaraSettings y;
  if (auto v = s.string("dir")) y.dir = policy::resolve_path(dir, *v);
  if (auto v = s.integer("timeout", 1, 600)) y.timeout_s = int(*v);
  s.finish();
  c.set_section("yara", std::move(y));
}

postern::expected<std::shared_ptr<AvScanner>, std::string> AvScanner::make(
    const ClamavSettings& s) {
  auto av = std::make_shared<AvScanner>();
  av->settings_ = s;
  if (s.clamd) {
    auto client = ClamdClient::create(*s.clamd);
    if (!client) return postern::unexpected(client.error());
    av->clamd_.emplace(std::move(*client));
    return av;
  }
  auto svc = ClamService::start(s.engine, s.check_interval);
  if (!svc) return postern::unexpected(svc.error());
  av->service_ = std::move(*svc);
  return av;
}

ScanResult AvScanner::scan(std::string_view data, std::string_view name, const Sha256* key) const {
  if (clamd_) return clamd_->scan(data);
  auto engine = service_->current();  // held for this scan: a reload frees it only after
  return engine->scan(data, name, key);
}

std::string AvScanner::describe() const {
  if (clamd_) return fmt::format("clamd at {}", settings_.clamd->address);
  return fmt::format("libclamav, {} signatures", service_->current()->signatures());
}

core::ServiceEntry clamav_service() {
  return {
      .name = "attach.clamav",
      .make = [](const policy::Config& c, const policy::Policy&,
                 std::string& error) -> std::shared_ptr<void> {
        if (!c.has_section("clamav")) return nullptr;
        auto av = AvScanner::make(c.section<ClamavSettings>("clamav"));
        if (!av) {
          error = "[clamav] " + av.error();
          return nullptr;
        }
        return *av;
      },
      // The engine reloads itself when the databases change; remade only when
      // [clamav] itself changed.
      .changed =
          [](const void* current, const policy::Config&, const policy::Config& c,
             const policy::Policy&) {
            auto* av = static_cast<const AvScanner*>(current);
            if (!c.has_section("clamav")) return av != nullptr;
            return !av || !(av->settings() == c.section<ClamavSettings>("clamav"));
          },
  };
}

namespace {
struct LoadedYara {
  YaraSettings settings;
  std::shared_ptr<const YaraRules> rules;
};
}  // namespace

core::ServiceEntry yara_service() {
  return {
      .name = "attach.yara",
      .make = [](const policy::Config& c, const policy::Policy&,
                 std::string& error) -> std::shared_ptr<void> {
        if (!c.has_section("yara")) return nullptr;
        const auto& y = c.section<YaraSettings>("yara");
        auto rules = YaraRules::compile_dir(y.dir);
        if (!rules) {
          std::string all;
          for (const auto& e : rules.error()) all += (all.empty() ? "" : "; ") + e.to_string();
          error = "[yara] " + all;
          return nullptr;
        }
        return std::make_shared<LoadedYara>(LoadedYara{y, std::move(*rules)});
      },
      .changed =
          [](const void* current, const policy::Config&, const policy::Config& c,
             const policy::Policy&) {
            auto* l = static_cast<const LoadedYara*>(current);
            if (!c.has_section("yara")) return l != nullptr;
            return !l || !(l->settings == c.section<YaraSettings>("yara")) || l->rules->changed();
          },
  };
}

std::shared_ptr<const YaraRules> yara_rules(const core::ServiceSet& s, int& timeout_s) {
  auto l = s.get<const LoadedYara>("attach.yara");
  if (!l) return nullptr;
  timeout_s = l->settings.timeout_s;
  return l->rules;
}

}  // namespace postern::attach
