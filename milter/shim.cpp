// The libmilter shim: one scan::Session per milter connection.
#include "milter/shim.hpp"

#include <arpa/inet.h>
#include <libmilter/mfapi.h>
#include <netinet/in.h>

#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "scan/session.hpp"
#include "scan/verdict_headers.hpp"
#include "telemetry/event.hpp"
#include "telemetry/log.hpp"

namespace postern::milter {
namespace {

using core::Action;

// The actions postern may take, negotiated with the MTA and registered in smfiDesc:
// header edits, body replacement, recipients added (with ESMTP arguments too) and
// removed, quarantine; and the macro list it asks for.
constexpr unsigned long kActions = SMFIF_ADDHDRS | SMFIF_CHGHDRS | SMFIF_CHGBODY | SMFIF_ADDRCPT |
                                   SMFIF_ADDRCPT_PAR | SMFIF_DELRCPT | SMFIF_QUARANTINE |
                                   SMFIF_SETSYMLIST;
// libmilter sends a body replacement in chunks of at most this many bytes.
constexpr size_t kBodyChunk = 65535;

std::atomic<std::shared_ptr<const scan::Snapshot>> g_snapshot;
std::atomic<size_t> g_active{0};
telemetry::EventLog g_event_log;

// Writes the event and a one-line summary to the diagnostic log.
void sink(const nlohmann::json& e) {
  g_event_log.write(telemetry::to_line(e));
  const auto& p = e["postern"];
  std::string qid = e["email"].value("local_id", "NOQUEUE");
  telemetry::log_info("{}: scan_id={} action={} score={} from=<{}> findings={}", qid,
                      p["scan_id"].get<std::string>(), p["action"].get<std::string>(),
                      p["score"].dump(), e["email"]["from"]["address"].get<std::string>(),
                      p["findings"].size());
}

struct Conn {
  scan::Session session{[] { return g_snapshot.load(); }, sink};
  unsigned long no_reply = 0;        // SMFIP_NR_* steps the MTA agreed not to wait for
  unsigned long actions = kActions;  // SMFIF_* the MTA agreed to (all, if it did not negotiate)
  Conn() { ++g_active; }
  ~Conn() { --g_active; }
};

Conn* conn_of(SMFICTX* ctx) {
  return static_cast<Conn*>(smfi_getpriv(ctx));
}

Conn* ensure_conn(SMFICTX* ctx) {
  Conn* c = conn_of(ctx);
  if (!c) {
    c = new Conn;
    smfi_setpriv(ctx, c);
  }
  return c;
}

std::string macro(SMFICTX* ctx, const char* name) {
  const char* v = smfi_getsymval(ctx, const_cast<char*>(name));
  return v ? std::string(v) : std::string();
}

// The reply for a step: no reply at all when the MTA agreed to that.
sfsistat proceed(SMFICTX* ctx, unsigned long nr_flag) {
  Conn* c = conn_of(ctx);
  return (c && (c->no_reply & nr_flag)) ? SMFIS_NOREPLY : SMFIS_CONTINUE;
}

// SMTP text must not contain '%' unescaped (libmilter formats it) nor line breaks.
std::string reply_text(std::string_view t) {
  std::string out;
  for (char ch : t) {
    if (ch == '%')
      out += "%%";
    else if (ch == '\r' || ch == '\n')
      out += ' ';
    else
      out.push_back(ch);
  }
  return out;
}

sfsistat answer(SMFICTX* ctx, Action a, const core::SmtpReply& r) {
  if ((a == Action::Reject || a == Action::Tempfail) && !r.empty()) {
    std::string text = reply_text(r.text);
    smfi_setreply(ctx, const_cast<char*>(r.code.c_str()), const_cast<char*>(r.xcode.c_str()),
                  text.data());
  }
  switch (a) {
    case Action::Reject:
      return SMFIS_REJECT;
    case Action::Tempfail:
      return SMFIS_TEMPFAIL;
    case Action::Discard:
      return SMFIS_DISCARD;
    default:
      return SMFIS_CONTINUE;
  }
}

// An internal error: the configured on_error action, never a lost message.
sfsistat internal_error(SMFICTX* ctx, const char* where, const char* what) {
  auto snap = g_snapshot.load();
  Action a = snap ? snap->config.on_error : Action::Tempfail;
  telemetry::log_error("{}: internal error: {}; answering {}", where, what, core::to_string(a));
  if (a == Action::Accept || a == Action::Tag || a == Action::Quarantine) return SMFIS_CONTINUE;
  core::SmtpReply r =
      snap ? policy::reply_for(snap->policy, a) : core::SmtpReply{"451", "4.3.0", "Internal error"};
  if (a == Action::Tempfail)
    r.xcode = "4.3.0", r.text = "Temporary internal error in the mail filter";
  return answer(ctx, a, r);
}

template <typename F>
sfsistat guarded(SMFICTX* ctx, const char* where, F&& f) {
  try {
    return f();
  } catch (const std::exception& e) {
    return internal_error(ctx, where, e.what());
  } catch (...) {
    return internal_error(ctx, where, "unknown exception");
  }
}

sfsistat cb_negotiate(SMFICTX* ctx, unsigned long f0, unsigned long f1, unsigned long,
                      unsigned long, unsigned long* pf0, unsigned long* pf1, unsigned long* pf2,
                      unsigned long* pf3) {
  return guarded(ctx, "negotiate", [&] {
    Conn* c = ensure_conn(ctx);
    *pf0 = f0 & kActions;
    c->actions = *pf0;
    // The MTA waits for our connect / HELO answer only when the policy decides there.
    auto snap = g_snapshot.load();
    policy::DecideAt at = snap ? snap->policy.decide_at : policy::DecideAt::Rcpt;
    unsigned long no_reply = SMFIP_NR_MAIL | SMFIP_NR_HDR | SMFIP_NR_BODY;
    if (at != policy::DecideAt::Connect) no_reply |= SMFIP_NR_CONN;
    if (at != policy::DecideAt::Helo) no_reply |= SMFIP_NR_HELO;
    const unsigned long skip_steps =
        SMFIP_NOUNKNOWN | SMFIP_NODATA | SMFIP_NOEOH;  // no callbacks for these
    *pf1 = f1 & (no_reply | skip_steps);
    c->no_reply = *pf1 & no_reply;
    *pf2 = 0;
    *pf3 = 0;
    if (f0 & SMFIF_SETSYMLIST) {
      smfi_setsymlist(ctx, SMFIM_CONNECT, const_cast<char*>("j {daemon_name}"));
      smfi_setsymlist(
          ctx, SMFIM_HELO,
          const_cast<char*>(
              "{tls_version} {cipher} {cipher_bits} {cert_subject} {cert_issuer} {verify}"));
      smfi_setsymlist(ctx, SMFIM_ENVFROM, const_cast<char*>("i {auth_type} {auth_authen}"));
      smfi_setsymlist(ctx, SMFIM_EOM, const_cast<char*>("i"));
    }
    return SMFIS_CONTINUE;
  });
}

sfsistat cb_connect(SMFICTX* ctx, char* hostname, _SOCK_ADDR* addr) {
  return guarded(ctx, "connect", [&] {
    Conn* c = ensure_conn(ctx);
    core::ConnectionInfo& ci = c->session.connection();
    ci.client_name = hostname ? hostname : "";
    if (addr && addr->sa_family == AF_INET) {
      const auto* in = reinterpret_cast<const sockaddr_in*>(addr);
      char buf[INET_ADDRSTRLEN] = {};
      inet_ntop(AF_INET, &in->sin_addr, buf, sizeof buf);
      ci.client_address = buf;
      ci.client_port = ntohs(in->sin_port);
    } else if (addr && addr->sa_family == AF_INET6) {
      const auto* in6 = reinterpret_cast<const sockaddr_in6*>(addr);
      char buf[INET6_ADDRSTRLEN] = {};
      inet_ntop(AF_INET6, &in6->sin6_addr, buf, sizeof buf);
      ci.client_address = buf;
      ci.client_port = ntohs(in6->sin6_port);
    }
    ci.mta_name = macro(ctx, "j");
    ci.daemon_name = macro(ctx, "{daemon_name}");
    scan::EventReply r = c->session.connect();
    if (r.action != Action::Accept && !(c->no_reply & SMFIP_NR_CONN))
      return answer(ctx, r.action, r.reply);
    return proceed(ctx, SMFIP_NR_CONN);
  });
}

sfsistat cb_helo(SMFICTX* ctx, char* helo) {
  return guarded(ctx, "helo", [&] {
    Conn* c = ensure_conn(ctx);
    core::TlsInfo& t = c->session.connection().tls;
    t.version = macro(ctx, "{tls_version}");
    t.cipher = macro(ctx, "{cipher}");
    t.cipher_bits = macro(ctx, "{cipher_bits}");
    t.cert_subject = macro(ctx, "{cert_subject}");
    t.cert_issuer = macro(ctx, "{cert_issuer}");
    t.verify = macro(ctx, "{verify}");
    scan::EventReply r = c->session.helo(helo ? helo : "");
    if (r.action != Action::Accept && !(c->no_reply & SMFIP_NR_HELO))
      return answer(ctx, r.action, r.reply);
    return proceed(ctx, SMFIP_NR_HELO);
  });
}

sfsistat cb_envfrom(SMFICTX* ctx, char** argv) {
  return guarded(ctx, "mail", [&] {
    Conn* c = ensure_conn(ctx);
    core::ConnectionInfo& ci = c->session.connection();
    ci.sasl_user = macro(ctx, "{auth_authen}");
    ci.sasl_method = macro(ctx, "{auth_type}");
    std::vector<std::string> args;
    for (int i = 1; argv && argv[0] && argv[i] && i < 64; ++i) args.emplace_back(argv[i]);
    c->session.mail_from(argv && argv[0] ? argv[0] : "", std::move(args));
    return proceed(ctx, SMFIP_NR_MAIL);
  });
}

sfsistat cb_envrcpt(SMFICTX* ctx, char** argv) {
  return guarded(ctx, "rcpt", [&] {
    Conn* c = ensure_conn(ctx);
    scan::EventReply r = c->session.rcpt(argv && argv[0] ? argv[0] : "");
    return answer(ctx, r.action, r.reply);
  });
}

sfsistat cb_header(SMFICTX* ctx, char* name, char* value) {
  return guarded(ctx, "header", [&] {
    ensure_conn(ctx)->session.header(name ? name : "", value ? value : "");
    return proceed(ctx, SMFIP_NR_HDR);
  });
}

sfsistat cb_body(SMFICTX* ctx, unsigned char* data, size_t len) {
  return guarded(ctx, "body", [&] {
    ensure_conn(ctx)->session.body(std::string_view(reinterpret_cast<const char*>(data), len));
    return proceed(ctx, SMFIP_NR_BODY);
  });
}

// The body, then the envelope, in the order core::apply_edits and Outcome document. An
// edit the MTA did not agree to is an error (the on_error action), never silently dropped.
void apply_body_and_envelope(SMFICTX* ctx, const Conn& c, const core::Outcome& out) {
  auto need = [&](unsigned long flag, const char* what) {
    if (!(c.actions & flag)) throw std::runtime_error(std::string("the MTA did not allow ") + what);
  };
  if (out.new_body) {
    need(SMFIF_CHGBODY, "body replacement (SMFIF_CHGBODY)");
    std::string_view b = *out.new_body;
    // an empty body is one empty call: that is how libmilter says "replace with nothing"
    size_t pos = 0;
    do {
      std::string_view chunk = b.substr(pos, kBodyChunk);
      if (smfi_replacebody(ctx, reinterpret_cast<unsigned char*>(const_cast<char*>(chunk.data())),
                           static_cast<int>(chunk.size())) != MI_SUCCESS)
        throw std::runtime_error("smfi_replacebody failed");
      pos += chunk.size();
    } while (pos < b.size());
  }
  for (const auto& r : out.removed_recipients) {
    need(SMFIF_DELRCPT, "removing recipients (SMFIF_DELRCPT)");
    std::string addr = "<" + r + ">";
    if (smfi_delrcpt(ctx, addr.data()) != MI_SUCCESS)
      throw std::runtime_error("smfi_delrcpt (" + r + ") failed");
  }
  for (const auto& r : out.added_recipients) {
    std::string addr = "<" + r.address + ">";
    int rc;
    if (r.esmtp_args.empty()) {
      need(SMFIF_ADDRCPT, "adding recipients (SMFIF_ADDRCPT)");
      rc = smfi_addrcpt(ctx, addr.data());
    } else {
      need(SMFIF_ADDRCPT_PAR, "adding recipients with ESMTP arguments (SMFIF_ADDRCPT_PAR)");
      std::string args = r.esmtp_args;
      rc = smfi_addrcpt_par(ctx, addr.data(), args.data());
    }
    if (rc != MI_SUCCESS) throw std::runtime_error("smfi_addrcpt (" + r.address + ") failed");
  }
}

sfsistat cb_eom(SMFICTX* ctx) {
  return guarded(ctx, "eom", [&] {
    Conn* c = ensure_conn(ctx);
    core::Outcome out = c->session.end_of_message(macro(ctx, "i"));
    Action a = out.verdict.action;
    if (core::is_final(a)) return answer(ctx, a, out.verdict.reply);
    // Quarantined in postern's store only, and the store has it: the MTA drops its copy.
    if (a == Action::Quarantine && out.quarantine_mode == core::QuarantineMode::Store && out.stored)
      return SMFIS_DISCARD;
    for (const auto& r : out.changed) {
      std::string v = r.value ? scan::fold(r.name, *r.value, 78, "\n") : std::string();
      if (smfi_chgheader(ctx, const_cast<char*>(r.name.c_str()), static_cast<int>(r.index),
                         r.value ? v.data() : nullptr) != MI_SUCCESS)
        throw std::runtime_error("smfi_chgheader (" + r.name + ") failed");
    }
    if (out.new_subject) {
      std::string v = scan::fold("Subject", *out.new_subject, 78, "\n");
      int rc = out.subject_exists ? smfi_chgheader(ctx, const_cast<char*>("Subject"), 1, v.data())
                                  : smfi_addheader(ctx, const_cast<char*>("Subject"), v.data());
      if (rc != MI_SUCCESS) throw std::runtime_error("changing Subject failed");
    }
    for (const auto& h : out.added) {
      std::string v = scan::fold(h.name, h.value, 78, "\n");
      char* name = const_cast<char*>(h.name.c_str());
      int rc =
          h.at_top ? smfi_insheader(ctx, 0, name, v.data()) : smfi_addheader(ctx, name, v.data());
      if (rc != MI_SUCCESS) throw std::runtime_error("adding header " + h.name + " failed");
    }
    apply_body_and_envelope(ctx, *c, out);
    if (a == Action::Quarantine &&  // Hold, Both, or a Store the store did not take
        smfi_quarantine(ctx, const_cast<char*>(reply_text(out.quarantine_reason).c_str())) !=
            MI_SUCCESS)
      throw std::runtime_error("smfi_quarantine failed");
    return SMFIS_CONTINUE;
  });
}

sfsistat cb_abort(SMFICTX* ctx) {
  return guarded(ctx, "abort", [&] {
    if (Conn* c = conn_of(ctx)) c->session.abort();
    return SMFIS_CONTINUE;
  });
}

sfsistat cb_close(SMFICTX* ctx) {
  Conn* c = conn_of(ctx);
  smfi_setpriv(ctx, nullptr);
  try {
    delete c;  // the destructor logs a transaction that ended with refused recipients
  } catch (...) {
  }
  return SMFIS_CONTINUE;
}

}  // namespace

bool register_filter() {
  smfiDesc d{};
  d.xxfi_name = const_cast<char*>("postern");
  d.xxfi_version = SMFI_VERSION;
  d.xxfi_flags = kActions;
  d.xxfi_connect = cb_connect;
  d.xxfi_helo = cb_helo;
  d.xxfi_envfrom = cb_envfrom;
  d.xxfi_envrcpt = cb_envrcpt;
  d.xxfi_header = cb_header;
  d.xxfi_body = cb_body;
  d.xxfi_eom = cb_eom;
  d.xxfi_abort = cb_abort;
  d.xxfi_close = cb_close;
  d.xxfi_negotiate = cb_negotiate;
  return smfi_register(d) == MI_SUCCESS;
}

void set_snapshot(scan::SnapshotPtr s) {
  g_snapshot.store(std::move(s));
}
scan::SnapshotPtr snapshot() {
  return g_snapshot.load();
}
telemetry::EventLog& event_log() {
  return g_event_log;
}
size_t active_sessions() {
  return g_active.load();
}

}  // namespace postern::milter
