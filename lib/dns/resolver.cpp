// Resolver: libunbound context, a dispatcher thread, futures per query.
#include "dns/resolver.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <poll.h>
#include <unbound.h>
#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <fstream>
#include <map>
#include <mutex>
#include <thread>

#include "telemetry/metrics.hpp"

namespace postern::dns {

std::string_view to_string(Status s) {
  switch (s) {
    case Status::Ok:
      return "ok";
    case Status::NoData:
      return "nodata";
    case Status::NxDomain:
      return "nxdomain";
    case Status::ServFail:
      return "servfail";
    case Status::Timeout:
      return "timeout";
    case Status::Budget:
      return "budget";
    case Status::Error:
      return "error";
  }
  return "error";
}

namespace {

struct CtxDeleter {
  void operator()(ub_ctx* c) const { ub_ctx_delete(c); }
};
using CtxPtr = std::unique_ptr<ub_ctx, CtxDeleter>;

struct ResultDeleter {
  void operator()(ub_result* r) const { ub_resolve_free(r); }
};

// A wire-format name (uncompressed, as unbound stores rdata) as text without the final dot.
std::string wire_name(const unsigned char* p, size_t len) {
  std::string out;
  size_t i = 0;
  while (i < len) {
    size_t l = p[i++];
    if (l == 0 || i + l > len) break;
    if (!out.empty()) out.push_back('.');
    out.append(reinterpret_cast<const char*>(p + i), l);
    i += l;
  }
  return out;
}

std::string rdata_text(int type, const unsigned char* p, size_t len) {
  char buf[INET6_ADDRSTRLEN] = {};
  switch (static_cast<Type>(type)) {
    case Type::A:
      if (len == 4) inet_ntop(AF_INET, p, buf, sizeof buf);
      return buf;
    case Type::AAAA:
      if (len == 16) inet_ntop(AF_INET6, p, buf, sizeof buf);
      return buf;
    case Type::TXT: {  // <len><bytes>... joined (RFC 7208 3.3, RFC 6376 3.6.2.2)
      std::string out;
      size_t i = 0;
      while (i < len) {
        size_t l = p[i++];
        if (i + l > len) break;
        out.append(reinterpret_cast<const char*>(p + i), l);
        i += l;
      }
      return out;
    }
    case Type::MX:
      if (len < 3) return {};
      return std::to_string((p[0] << 8) | p[1]) + " " + wire_name(p + 2, len - 2);
    case Type::PTR:
    case Type::CNAME:
    case Type::NS:
      return wire_name(p, len);
  }
  return {};
}

}  // namespace

struct Resolver::Impl {
  CtxPtr ctx;
  std::chrono::milliseconds timeout;
  std::mutex mu;
  struct Pending {
    Impl* owner = nullptr;
    std::promise<Answer> promise;
    std::chrono::steady_clock::time_point deadline;
    int id = -1;
  };
  std::map<Pending*, std::unique_ptr<Pending>> pending;
  std::atomic<bool> stop{false};
  std::thread dispatcher;
  int wake[2] = {-1, -1};

  static void on_result(void* data, int err, ub_result* raw) {
    std::unique_ptr<ub_result, ResultDeleter> r(raw);
    auto* p = static_cast<Pending*>(data);
    Answer a;
    if (err != 0 || !r) {
      a.status = Status::Error;
      a.detail = ub_strerror(err);
    } else {
      a.secure = r->secure != 0;
      a.bogus = r->bogus != 0;
      if (r->why_bogus) a.detail = r->why_bogus;
      a.ttl = static_cast<uint32_t>(r->ttl);
      if (r->bogus)
        a.status = Status::ServFail;
      else if (r->rcode == 3 || r->nxdomain)
        a.status = Status::NxDomain;
      else if (r->rcode == 2)
        a.status = Status::ServFail;
      else if (r->rcode != 0)
        a.status = Status::Error, a.detail = "rcode " + std::to_string(r->rcode);
      else if (!r->havedata)
        a.status = Status::NoData;
      else
        a.status = Status::Ok;
      if (a.status == Status::Ok)
        for (int i = 0; r->data[i] && i < 1000; ++i)
          a.records.push_back(rdata_text(r->qtype, reinterpret_cast<unsigned char*>(r->data[i]),
                                         static_cast<size_t>(r->len[i])));
    }
    p->owner->finish(p, std::move(a));
  }

  void finish(Pending* p, Answer a) {
    std::unique_ptr<Pending> owned;
    {
      std::lock_guard lk(mu);
      auto it = pending.find(p);
      if (it == pending.end()) return;  // already timed out
      owned = std::move(it->second);
      pending.erase(it);
    }
    if (a.status == Status::ServFail || a.status == Status::Error)
      telemetry::metrics::count_dns_failure();
    owned->promise.set_value(std::move(a));
  }

  void run() {
    while (!stop.load()) {
      pollfd fds[2] = {{ub_fd(ctx.get()), POLLIN, 0}, {wake[0], POLLIN, 0}};
      ::poll(fds, 2, 50);
      if (fds[1].revents & POLLIN) {
        char b[64];
        [[maybe_unused]] auto n = ::read(wake[0], b, sizeof b);
      }
      if (fds[0].revents & POLLIN) ub_process(ctx.get());
      // timeouts
      auto now = std::chrono::steady_clock::now();
      std::vector<std::unique_ptr<Pending>> expired;
      {
        std::lock_guard lk(mu);
        for (auto it = pending.begin(); it != pending.end();) {
          if (it->second->id >= 0 && it->second->deadline <= now) {
            ub_cancel(ctx.get(), it->second->id);
            expired.push_back(std::move(it->second));
            it = pending.erase(it);
          } else {
            ++it;
          }
        }
      }
      for (auto& p : expired) {
        telemetry::metrics::count_dns_failure();
        p->promise.set_value(Answer{Status::Timeout, {}, false, false, "no answer in time", 0});
      }
    }
    std::lock_guard lk(mu);
    for (auto& [k, p] : pending)
      p->promise.set_value(Answer{Status::Error, {}, false, false, "resolver stopped", 0});
    pending.clear();
  }
};

Resolver::Resolver(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {
  impl_->dispatcher = std::thread([this] { impl_->run(); });
}

Resolver::~Resolver() {
  impl_->stop = true;
  [[maybe_unused]] auto n = ::write(impl_->wake[1], "x", 1);
  impl_->dispatcher.join();
  ::close(impl_->wake[0]);
  ::close(impl_->wake[1]);
}

postern::expected<std::shared_ptr<Resolver>, std::string> Resolver::create(const Options& o) {
  CtxPtr ctx(ub_ctx_create());
  if (!ctx) return postern::unexpected(std::string("cannot create the unbound context"));
  auto fail = [](const std::string& what, int err) {
    return postern::unexpected(what + ": " + ub_strerror(err));
  };
  int err = ub_ctx_async(ctx.get(), 1);
  if (err) return fail("async mode", err);
  if (o.forwarders.empty()) {
    if ((err = ub_ctx_resolvconf(ctx.get(), nullptr)) != 0) return fail("/etc/resolv.conf", err);
  } else {
    for (const auto& f : o.forwarders)
      if ((err = ub_ctx_set_fwd(ctx.get(), f.c_str())) != 0) return fail("forwarder " + f, err);
    // a forwarder on this host (a local stub or cache) must be reachable
    if ((err = ub_ctx_set_option(ctx.get(), "do-not-query-localhost:", "no")) != 0)
      return fail("option", err);
  }
  if (!o.trust_anchor_file.empty() &&
      (err = ub_ctx_add_ta_file(ctx.get(), o.trust_anchor_file.c_str())) != 0)
    return fail("trust anchor " + o.trust_anchor_file, err);
  std::vector<std::string> lines = o.local_data;
  if (!o.local_data_file.empty()) {
    std::ifstream in(o.local_data_file);
    if (!in) return postern::unexpected("cannot read local data file " + o.local_data_file);
    std::string line;
    while (std::getline(in, line)) lines.push_back(line);
  }
  // local-zone lines first: the first record added finalizes the context's settings
  for (int pass = 0; pass < 2; ++pass) {
    size_t n = 0;
    for (auto& line : lines) {
      ++n;
      size_t b = line.find_first_not_of(" \t");
      if (b == std::string::npos || line[b] == '#' || line[b] == ';') continue;
      std::string l = line.substr(b);
      bool zone = l.rfind("local-zone:", 0) == 0;
      if (zone != (pass == 0)) continue;
      if (zone) {
        std::string v = l.substr(11);
        v.erase(0, v.find_first_not_of(" \t"));
        // ub_ctx_set_option takes the value raw: unbound.conf's quotes would become part
        // of the zone name (and the zone would silently never match)
        std::erase(v, '"');
        err = ub_ctx_set_option(ctx.get(), "local-zone:", v.c_str());
      } else {
        err = ub_ctx_data_add(ctx.get(), l.c_str());
      }
      if (err) return fail("local data line " + std::to_string(n) + " (" + l + ")", err);
    }
  }
  auto impl = std::make_unique<Impl>();
  impl->ctx = std::move(ctx);
  impl->timeout = o.timeout;
  if (::pipe2(impl->wake, O_CLOEXEC | O_NONBLOCK) != 0)
    return postern::unexpected(std::string("pipe failed"));
  return std::shared_ptr<Resolver>(new Resolver(std::move(impl)));
}

std::shared_future<Answer> Resolver::query(std::string_view name, Type type) {
  auto p = std::make_unique<Impl::Pending>();
  Impl::Pending* raw = p.get();
  p->owner = impl_.get();
  std::shared_future<Answer> f = p->promise.get_future().share();
  std::string n(name);
  telemetry::metrics::count_dns_query();
  if (n.empty() || n.size() > 253 || n.find('\0') != std::string::npos) {
    telemetry::metrics::count_dns_failure();
    p->promise.set_value(Answer{Status::Error, {}, false, false, "invalid name", 0});
    return f;
  }
  p->deadline = std::chrono::steady_clock::now() + impl_->timeout;
  {
    std::lock_guard lk(impl_->mu);
    impl_->pending.emplace(raw, std::move(p));
  }
  int id = -1;
  int err = ub_resolve_async(impl_->ctx.get(), n.c_str(), static_cast<int>(type), 1, raw,
                             &Impl::on_result, &id);
  std::lock_guard lk(impl_->mu);
  auto it = impl_->pending.find(raw);
  if (it == impl_->pending.end()) return f;  // already answered
  if (err) {
    telemetry::metrics::count_dns_failure();
    it->second->promise.set_value(Answer{Status::Error, {}, false, false, ub_strerror(err), 0});
    impl_->pending.erase(it);
  } else {
    it->second->id = id;
  }
  return f;
}

std::shared_future<Answer> Budget::query(std::string_view name, Type type) {
  if (left_ == 0) {
    std::promise<Answer> p;
    p.set_value(
        Answer{Status::Budget, {}, false, false, "DNS query budget of the message spent", 0});
    return p.get_future().share();
  }
  --left_;
  ++used_;
  return r_->query(name, type);
}

}  // namespace postern::dns
