// postern-quarantined: the quarantine web page for operators. Lists (newest first,
// paged, searched by sender, recipient, subject or symbol), shows (the entry, the
// findings, the headers and the safe text rendering: never the raw HTML), releases
// (optionally to another recipient) and deletes postern's quarantined messages,
// over plain HTTP behind the site's reverse proxy (TLS is the proxy's job).
//
// Call order: load postern.toml ([state], [quarantine], [quarantine.web]), the password
// file, open the store, listen, serve. SIGHUP loads the password file again (a bad
// one keeps the old, logged). SIGTERM and SIGINT stop.
// Authentication: the proxy's header ([quarantine.web] trusted_header, honoured only
// from a loopback peer), or a login against the password file; either way a session
// cookie (random id, HttpOnly, SameSite=Strict, Secure unless secure_cookie = false,
// expiring after session_minutes). Every action is a POST carrying the session's
// CSRF token (a missing or wrong one: 403); GET never acts. Release and delete go
// through quarantine/operations (the CLI's path: the same audit line) with the actor
// "web:USER". Failed logins are logged; after 10 from one address in 10 minutes, that
// address gets 429 for the rest of the window (the address: the peer's, or from a
// loopback proxy the last X-Forwarded-For entry). Every response carries a
// Content-Security-Policy without script, X-Frame-Options DENY and no-store.
// Limits: [quarantine.web] threads, timeout_s, request bodies of 16 KiB, searches over
// the newest kSearchScan entries. Exit codes: 0 normal stop, 78 bad config, 71 cannot
// listen.
#include <httplib.h>

#include <CLI/CLI.hpp>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "core/version.hpp"
#include "policy/config.hpp"
#include "quarantine/config.hpp"
#include "quarantine/operations.hpp"
#include "quarantine/release.hpp"
#include "quarantine/store.hpp"
#include "quarantine/web_auth.hpp"
#include "scan/registry.hpp"
#include "state/config.hpp"
#include "state/store.hpp"
#include "telemetry/log.hpp"
#include "tools/http_serve.hpp"
#include "tools/quarantined/pages.hpp"

namespace {

using namespace postern;
namespace q = postern::quarantine;
constexpr int kExConfig = 78;
constexpr size_t kSearchScan = 5000;
constexpr size_t kMaxQuery = 256;
constexpr size_t kMaxPages = 100;
constexpr int kMaxLoginFailures = 10;
constexpr int64_t kFailureWindow = 600;
constexpr const char* kCookie = "postern_qsid";
constexpr const char* kRecipientCookie = "postern_qusid";  // digest links, Path=/u/
constexpr int64_t kRecipientSessionSeconds = 3600;

bool loopback(const std::string& addr) {
  return addr == "::1" || addr.rfind("127.", 0) == 0 || addr.rfind("::ffff:127.", 0) == 0;
}

// The client: the peer, or behind a proxy on loopback the last X-Forwarded-For entry
// (the address the proxy saw), so one client's failed logins do not lock out everyone
// behind the same proxy.
std::string client_addr(const httplib::Request& req) {
  if (!loopback(req.remote_addr) || !req.has_header("X-Forwarded-For")) return req.remote_addr;
  std::string xff = req.get_header_value("X-Forwarded-For");
  if (size_t comma = xff.rfind(','); comma != std::string::npos) xff = xff.substr(comma + 1);
  size_t a = xff.find_first_not_of(' '), b = xff.find_last_not_of(' ');
  if (a == std::string::npos || b - a + 1 > 64) return req.remote_addr;
  xff = xff.substr(a, b - a + 1);
  if (xff.find_first_not_of("0123456789abcdefABCDEF.:[]") != std::string::npos)
    return req.remote_addr;
  return xff;
}

std::string lower(std::string s) {
  for (char& c : s)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c | 0x20);
  return s;
}

bool contains(const std::string& hay, const std::string& needle_lower) {
  return lower(hay).find(needle_lower) != std::string::npos;
}

// Does entry `e` match the search `needle` (lower case) in `field`?
bool matches(const q::Entry& e, const std::string& needle, const std::string& field) {
  if (needle.empty()) return true;
  const bool any = field == "any";
  if ((any || field == "sender") && (contains(e.sender, needle) || contains(e.from, needle)))
    return true;
  if (any || field == "rcpt")
    for (const auto& r : e.recipients)
      if (contains(r, needle)) return true;
  if ((any || field == "subject") && contains(e.subject, needle)) return true;
  if (any || field == "symbol")
    for (const auto& s : e.symbols)
      if (contains(s, needle)) return true;
  return false;
}

// The value of cookie `name` in a Cookie header, or "".
std::string cookie(const httplib::Request& req, std::string_view name) {
  const std::string h = req.get_header_value("Cookie");
  size_t pos = 0;
  while (pos < h.size()) {
    size_t end = h.find(';', pos);
    if (end == std::string::npos) end = h.size();
    std::string_view part(h.data() + pos, end - pos);
    while (!part.empty() && part.front() == ' ') part.remove_prefix(1);
    if (part.size() > name.size() && part.substr(0, name.size()) == name &&
        part[name.size()] == '=')
      return std::string(part.substr(name.size() + 1));
    pos = end + 1;
  }
  return "";
}

// Login failures per client address, in fixed windows.
class Throttle {
 public:
  bool blocked(const std::string& addr, int64_t now) {
    std::lock_guard lock(mu_);
    auto it = fails_.find(addr);
    return it != fails_.end() && now - it->second.first < kFailureWindow &&
           it->second.second >= kMaxLoginFailures;
  }
  void failed(const std::string& addr, int64_t now) {
    std::lock_guard lock(mu_);
    if (fails_.size() > 10000) fails_.clear();
    auto& [start, count] = fails_[addr];
    if (now - start >= kFailureWindow) {
      start = now;
      count = 0;
    }
    ++count;
  }

 private:
  std::mutex mu_;
  std::map<std::string, std::pair<int64_t, int>> fails_;
};

struct Auth {
  q::Session session;
  q::Sessions* store = nullptr;  // the store the session is in
};

class App {
 public:
  App(policy::Config config, std::shared_ptr<state::Store> state,
      std::shared_ptr<const q::PasswordFile> passwords, std::string release_key)
      : config_(std::move(config)),
        qc_(q::quarantine_config(config_)),
        state_(std::move(state)),
        store_(qc_.dir, state_),
        release_key_(std::move(release_key)),
        passwords_(std::move(passwords)),
        logins_(qc_.web.session_minutes * 60),
        proxied_(qc_.web.session_minutes * 60),
        recipients_(kRecipientSessionSeconds) {}

  void set_passwords(std::shared_ptr<const q::PasswordFile> p) {
    std::lock_guard lock(mu_);
    passwords_ = std::move(p);
  }

  void handle(const httplib::Request& req, httplib::Response& res) {
    res.set_header("Cache-Control", "no-store");
    res.set_header("X-Content-Type-Options", "nosniff");
    res.set_header("X-Frame-Options", "DENY");
    res.set_header("Referrer-Policy", "no-referrer");
    res.set_header("Content-Security-Policy",
                   "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
                   "frame-ancestors 'none'; base-uri 'none'");
    const bool get = req.method == "GET" || req.method == "HEAD";
    const bool post = req.method == "POST";
    const std::string& path = req.path;
    if (path == "/healthz" && get) return text(res, 200, "ok\n");
    if (path == "/style.css" && get) {
      res.status = 200;
      res.set_content(std::string(tools::qweb::style_sheet()), "text/css; charset=utf-8");
      return;
    }
    if (path == "/login") {
      if (get) return login_form(req, res);
      if (post) return login(req, res);
      return not_allowed(res, "GET, POST");
    }
    if (path.rfind("/u/", 0) == 0) return recipient(req, res, get, post);
    auto auth = authenticate(req, res);
    if (!auth) {
      if (get && has_passwords()) return redirect(res, "/login");
      return page(res, post ? 403 : 401, "", "", "Not logged in",
                  "Log in first (or through the site's proxy).", "/login", "Log in");
    }
    const q::Session& s = auth->session;
    const std::string csrf = auth->store->csrf(s);
    if (path == "/logout") {
      if (!post) return not_allowed(res, "POST");
      if (!csrf_ok(req, *auth)) return forbidden(res, s.user, csrf);
      auth->store->remove(s.id);
      res.set_header("Set-Cookie",
                     std::string(kCookie) + "=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0");
      return redirect(res, has_passwords() ? "/login" : "/");
    }
    if (path == "/") {
      if (!get) return not_allowed(res, "GET");
      return list(req, res, s.user, csrf);
    }
    if (path.rfind("/m/", 0) == 0) {
      std::string rest = path.substr(3);
      std::string action;
      if (size_t slash = rest.find('/'); slash != std::string::npos) {
        action = rest.substr(slash + 1);
        rest = rest.substr(0, slash);
      }
      if (action.empty()) {
        if (!get) return not_allowed(res, "GET");
        return show(res, rest, s.user, csrf);
      }
      if (action == "release" || action == "delete") {
        if (!post) return not_allowed(res, "POST");
        if (!csrf_ok(req, *auth)) return forbidden(res, s.user, csrf);
        return act(req, res, rest, action, s.user, csrf);
      }
    }
    page(res, 404, s.user, csrf, "Not found", "There is no such page.", "/", "Back to the list");
  }

 private:
  bool has_passwords() {
    std::lock_guard lock(mu_);
    return passwords_ != nullptr;
  }

  // /u/TOKEN[/release|/delete]: a recipient's own message, from a digest link. The link
  // alone acts on nothing: opening it starts a session (cookie on /u/) bound to the
  // token's entry and recipient, and the page's POST forms carry its CSRF token.
  void recipient(const httplib::Request& req, httplib::Response& res, bool get, bool post) {
    std::string token = req.path.substr(3);
    std::string action;
    if (size_t slash = token.find('/'); slash != std::string::npos) {
      action = token.substr(slash + 1);
      token = token.substr(0, slash);
    }
    const int64_t now = state::now_seconds();
    auto claim = release_key_.empty()
                     ? postern::expected<q::DigestClaim, std::string>(
                           postern::unexpected(std::string("digest links are off")))
                     : q::verify_digest_token(release_key_, token, now);
    if (!claim) {
      telemetry::log_warn("digest link refused from {}: {}", client_addr(req), claim.error());
      return page(res, 400, "", "", "This link is not valid",
                  "It may have expired. Ask your mail administrator for help.", "", "");
    }
    auto e = q::find_entry(store_, claim->id);
    std::string own;  // the entry's spelling of the recipient
    if (e)
      for (const auto& r : e->recipients)
        if (lower(r) == claim->rcpt) own = r;
    if (!e || own.empty())
      return page(res, 404, "", "", "No such message",
                  "This message is no longer in the quarantine.", "", "");
    const std::string bound = claim->id + "|" + claim->rcpt;
    const bool can_delete = e->recipient_count == 1 && e->recipients.size() == 1;
    auto s = recipients_.find(cookie(req, kRecipientCookie), now);
    if (s && s->user != bound) s.reset();
    if (action.empty()) {
      if (!get) return not_allowed(res, "GET");
      if (!s) {
        s = recipients_.create(bound, now);
        res.set_header("Set-Cookie",
                       fmt::format("{}={}; Path=/u/; HttpOnly; SameSite=Strict; Max-Age={}{}",
                                   kRecipientCookie, s->id, kRecipientSessionSeconds,
                                   qc_.web.secure_cookie ? "; Secure" : ""));
      }
      tools::qweb::RecipientView v{.token = token,
                                   .csrf = recipients_.csrf(*s),
                                   .rcpt = own,
                                   .entry = *e,
                                   .can_delete = can_delete};
      if (auto raw = store_.read_message(*e)) v.rendering = q::render(*raw);
      res.status = 200;
      res.set_content(tools::qweb::recipient_page(v), "text/html; charset=utf-8");
      return;
    }
    if (action != "release" && action != "delete")
      return page(res, 404, "", "", "Not found", "There is no such page.", "", "");
    if (!post) return not_allowed(res, "POST");
    if (!s || !req.has_param("csrf") || !recipients_.csrf_ok(*s, req.get_param_value("csrf")))
      return page(res, 403, "", "", "Forbidden",
                  "The form was not sent from this page. Open the link from the mail again.",
                  "/u/" + token, "Back to the message");
    const std::string actor = "recipient:" + own;
    if (action == "delete") {
      if (!can_delete)
        return page(res, 403, "", "", "Not deleted",
                    "The message has other recipients: ask your mail administrator.", "/u/" + token,
                    "Back");
      if (auto r = q::remove(store_, *e, actor, config_.event_log); !r)
        return page(res, 500, "", "", "Not deleted", "Try again later.", "/u/" + token, "Back");
      telemetry::log_info("{} deleted {}", actor, e->id);
      return page(res, 200, "", "", "Deleted", "The message was deleted.", "", "");
    }
    if (e->released_at)
      return page(res, 200, "", "", "Already released", "The message was released before.", "", "");
    auto r = q::release(store_, qc_, *e, {own}, actor, config_.event_log);
    if (!r) {
      telemetry::log_error("release of {} for {} failed: {}", e->id, own, r.error().message);
      return page(res, 502, "", "", "Not released", "Try again later.", "/u/" + token, "Back");
    }
    telemetry::log_info("{} released {}", actor, e->id);
    page(res, 200, "", "", "Released",
         fmt::format("The message was released to {}: it arrives in a minute.", own), "", "");
  }

  // The request's session: from the proxy's header (loopback peers only), else the
  // login cookie.
  std::optional<Auth> authenticate(const httplib::Request& req, httplib::Response& res) {
    const int64_t now = state::now_seconds();
    const std::string id = cookie(req, kCookie);
    const std::string& header = qc_.web.trusted_header;
    if (!header.empty() && req.has_header(header.c_str())) {
      if (!loopback(req.remote_addr)) {
        telemetry::log_warn("ignoring {} from {}: not a loopback peer", header, req.remote_addr);
      } else {
        const std::string user = req.get_header_value(header.c_str());
        if (!q::valid_user(user)) return std::nullopt;
        if (auto s = proxied_.find(id, now); s && s->user == user) return Auth{*s, &proxied_};
        q::Session s = proxied_.create(user, now);
        set_cookie(res, s);
        return Auth{s, &proxied_};
      }
    }
    if (!has_passwords()) return std::nullopt;
    if (auto s = logins_.find(id, now)) return Auth{*s, &logins_};
    return std::nullopt;
  }

  void set_cookie(httplib::Response& res, const q::Session& s) {
    res.set_header(
        "Set-Cookie",
        fmt::format("{}={}; Path=/; HttpOnly; SameSite=Strict; Max-Age={}{}", kCookie, s.id,
                    qc_.web.session_minutes * 60, qc_.web.secure_cookie ? "; Secure" : ""));
  }

  bool csrf_ok(const httplib::Request& req, const Auth& a) {
    return req.has_param("csrf") && a.store->csrf_ok(a.session, req.get_param_value("csrf"));
  }

  void login_form(const httplib::Request& req, httplib::Response& res) {
    if (!has_passwords()) return redirect(res, "/");
    (void)req;
    res.status = 200;
    res.set_content(tools::qweb::login_page("", ""), "text/html; charset=utf-8");
  }

  void login(const httplib::Request& req, httplib::Response& res) {
    std::shared_ptr<const q::PasswordFile> pw;
    {
      std::lock_guard lock(mu_);
      pw = passwords_;
    }
    if (!pw) return page(res, 404, "", "", "Not found", "There is no login here.", "/", "Back");
    const int64_t now = state::now_seconds();
    const std::string client = client_addr(req);
    const std::string user = req.get_param_value("user");
    const std::string password = req.get_param_value("password");
    if (throttle_.blocked(client, now)) {
      telemetry::log_warn("login refused for '{}' from {}: too many failures", q::printable(user),
                          client);
      res.status = 429;
      res.set_content(tools::qweb::login_page("Too many failed logins: try again later.", ""),
                      "text/html; charset=utf-8");
      return;
    }
    const bool ok =
        q::valid_user(user) && password.size() <= q::kMaxPassword && pw->check(user, password);
    if (!ok) {
      throttle_.failed(client, now);
      telemetry::log_warn("login failed for '{}' from {}", q::printable(user.substr(0, 64)),
                          client);
      res.status = 401;
      res.set_content(
          tools::qweb::login_page("Wrong user or password.", q::valid_user(user) ? user : ""),
          "text/html; charset=utf-8");
      return;
    }
    telemetry::log_info("login of '{}' from {}", user, client);
    set_cookie(res, logins_.create(user, now));
    redirect(res, "/");
  }

  void list(const httplib::Request& req, httplib::Response& res, const std::string& user,
            const std::string& csrf) {
    tools::qweb::ListView v{.user = user, .csrf = csrf};
    v.query = req.get_param_value("q").substr(0, kMaxQuery);
    v.field = req.get_param_value("in");
    if (v.field != "sender" && v.field != "rcpt" && v.field != "subject" && v.field != "symbol")
      v.field = "any";
    if (req.has_param("page")) {
      const std::string p = req.get_param_value("page");
      if (!p.empty() && p.size() <= 3 && p.find_first_not_of("0123456789") == std::string::npos)
        v.page = std::clamp<size_t>(std::stoul(p), 1, kMaxPages);
    }
    q::Filter f;
    f.limit = kSearchScan;
    auto all = store_.list(f);
    if (!all)
      return page(res, 503, user, csrf, "The quarantine cannot be read", all.error(), "/",
                  "Try again");
    if (all->size() >= kSearchScan) v.scanned_limit_hit = kSearchScan;
    const std::string needle = lower(v.query);
    size_t skip = (v.page - 1) * tools::qweb::kPageSize;
    for (auto& e : *all) {
      if (!matches(e, needle, v.field)) continue;
      if (skip) {
        --skip;
        continue;
      }
      if (v.entries.size() == tools::qweb::kPageSize) {
        v.more = true;
        break;
      }
      v.entries.push_back(std::move(e));
    }
    res.status = 200;
    res.set_content(tools::qweb::list_page(v), "text/html; charset=utf-8");
  }

  void show(httplib::Response& res, const std::string& id, const std::string& user,
            const std::string& csrf) {
    auto e = q::find_entry(store_, id);
    if (!e)
      return page(res, e.error().code == 2 ? 404 : 503, user, csrf, "No such message",
                  e.error().message, "/", "Back to the list");
    tools::qweb::ShowView v{.user = user, .csrf = csrf, .entry = *e};
    if (auto raw = store_.read_message(*e))
      v.rendering = q::render(*raw);
    else
      v.read_error = raw.error();
    res.status = 200;
    res.set_content(tools::qweb::show_page(v), "text/html; charset=utf-8");
  }

  void act(const httplib::Request& req, httplib::Response& res, const std::string& id,
           const std::string& action, const std::string& user, const std::string& csrf) {
    auto e = q::find_entry(store_, id);
    if (!e)
      return page(res, e.error().code == 2 ? 404 : 503, user, csrf, "No such message",
                  e.error().message, "/", "Back to the list");
    const std::string actor = "web:" + user;
    if (action == "delete") {
      if (auto r = q::remove(store_, *e, actor, config_.event_log); !r)
        return page(res, 500, user, csrf, "Not deleted", r.error().message, "/m/" + id, "Back");
      telemetry::log_info("{} deleted {}", actor, id);
      return page(res, 200, user, csrf, "Deleted", fmt::format("Message {} was deleted.", id), "/",
                  "Back to the list");
    }
    std::vector<std::string> to;
    if (std::string t = req.get_param_value("to"); !t.empty()) to.push_back(t);
    auto r = q::release(store_, qc_, *e, to, actor, config_.event_log);
    if (!r)
      return page(res, r.error().code == 3 ? 502 : 400, user, csrf, "Not released",
                  r.error().message, "/m/" + id, "Back");
    telemetry::log_info("{} released {}", actor, id);
    page(res, 200, user, csrf, "Released",
         fmt::format("Message {} was released to {}.", id, fmt::join(*r, ", ")), "/m/" + id,
         "Back to the message");
  }

  void forbidden(httplib::Response& res, const std::string& user, const std::string& csrf) {
    page(res, 403, user, csrf, "Forbidden",
         "The form was not sent from this page (missing or wrong CSRF token). Reload the page "
         "and try again.",
         "/", "Back to the list");
  }

  static void page(httplib::Response& res, int status, const std::string& user,
                   const std::string& csrf, std::string_view title, std::string_view line,
                   std::string_view link, std::string_view link_text) {
    res.status = status;
    res.set_content(tools::qweb::message_page(user, csrf, title, line, link, link_text),
                    "text/html; charset=utf-8");
  }
  static void text(httplib::Response& res, int status, const std::string& body) {
    res.status = status;
    res.set_content(body, "text/plain; charset=utf-8");
  }
  static void redirect(httplib::Response& res, const std::string& where) {
    res.status = 303;
    res.set_header("Location", where);
  }
  static void not_allowed(httplib::Response& res, const char* allow) {
    res.set_header("Allow", allow);
    text(res, 405, "method not allowed\n");
  }

  const policy::Config config_;
  const q::QuarantineConfig qc_;
  std::shared_ptr<state::Store> state_;
  q::Store store_;
  const std::string release_key_;  // "" = digest links are off
  std::mutex mu_;
  std::shared_ptr<const q::PasswordFile> passwords_;
  q::Sessions logins_, proxied_, recipients_;
  Throttle throttle_;
};

// The password file of the config, or nullptr when none is configured.
postern::expected<std::shared_ptr<const q::PasswordFile>, std::string> load_passwords(
    const q::WebConfig& w) {
  if (w.password_file.empty()) return std::shared_ptr<const q::PasswordFile>();
  auto f = q::PasswordFile::load(w.password_file);
  if (!f) return postern::unexpected(policy::to_string(f.error()));
  return std::make_shared<const q::PasswordFile>(std::move(*f));
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"postern-quarantined: the quarantine web page"};
  std::string config_path = policy::kDefaultConfigPath;
  bool test_only = false;
  app.add_option("-c,--config", config_path, "postern.toml");
  app.add_flag("-t,--test", test_only,
               "check the config, the store and the password file, then exit");
  app.set_version_flag("-V,--version", std::string("postern-quarantined ") + postern::kVersion);
  CLI11_PARSE(app, argc, argv);
  telemetry::log_init("postern-quarantined", false);

  tools::block_daemon_signals();

  auto config = scan::load_config(config_path);
  if (!config) {
    telemetry::log_error("{}", policy::to_string(config.error()));
    return kExConfig;
  }
  const q::WebConfig web = q::quarantine_config(*config).web;
  if (web.password_file.empty() && web.trusted_header.empty()) {
    telemetry::log_error(
        "{}: [quarantine.web] needs password_file or trusted_header: nobody could log in",
        config->path);
    return kExConfig;
  }
  auto passwords = load_passwords(web);
  if (!passwords) {
    telemetry::log_error("{}", passwords.error());
    return kExConfig;
  }
  auto st = state::open_store(*config);
  if (!st || !*st) {
    telemetry::log_error("{}", st ? config->path +
                                        ": no state store ([state] path or url): "
                                        "postern keeps no quarantine"
                                  : st.error());
    return kExConfig;
  }
  std::string release_key;  // verifies digest links when [quarantine.digest] is set
  if (const auto& qc = q::quarantine_config(*config); !qc.digest.url.empty()) {
    auto key = q::load_or_create_key(qc.release_key);
    if (!key) {
      telemetry::log_error("release key: {}", key.error());
      return kExConfig;
    }
    release_key = std::move(*key);
  }
  if (test_only) {
    std::printf("postern-quarantined: config, state store and password file OK\n");
    return 0;
  }
  App web_app(std::move(*config), std::move(*st), std::move(*passwords), std::move(release_key));

  httplib::Server svr;
  tools::configure(
      svr, {web.threads, web.timeout_s, 16 * 1024, 50},
      [&](const httplib::Request& req, httplib::Response& res) { web_app.handle(req, res); });

  return tools::serve(
      svr, web.listen,
      [&] {
        auto again = load_passwords(web);
        if (!again) {
          telemetry::log_error("reload refused, keeping the password file: {}", again.error());
          return;
        }
        web_app.set_passwords(std::move(*again));
        telemetry::log_info("reloaded the password file");
      },
      "postern-quarantined");
}
