// clamav_bench: libclamav in process with a database of official size.
//
// Writes a synthetic database into a temp dir (default 300,000 hash signatures,
// half MD5 .hdb and half SHA-256 .hsb, 20,000 .ndb body signatures of 16-32
// random bytes, plus the MD5 of ClamAV's clam.exe so that clam.zip is found),
// then measures: load + compile time and VmRSS before/after, scan throughput of
// a 1 MiB random buffer and of clam.zip on one thread, and a reload (ClamService
// ::reload_now) alone, then while 2 threads scan the 1 MiB buffer: its time, the scans done
// meanwhile, the longest scan and peak RSS (VmHWM) during it.
// usage: clamav_bench [--hashes N] [--bodies N] [--seconds S]
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "attach/clamav.hpp"
#include "bench_common.hpp"

namespace fs = std::filesystem;
using namespace postern::attach;
using Clock = std::chrono::steady_clock;

namespace {

std::string random_hex(std::mt19937_64& rng, size_t bytes) {
  static const char* d = "0123456789abcdef";
  std::string s;
  for (size_t i = 0; i < bytes; ++i) {
    auto v = static_cast<unsigned>(rng());
    s.push_back(d[(v >> 4) & 15]);
    s.push_back(d[v & 15]);
  }
  return s;
}

void write_database(const fs::path& dir, size_t hashes, size_t bodies) {
  std::mt19937_64 rng(42);
  std::ofstream hdb(dir / "bench.hdb"), hsb(dir / "bench.hsb");
  for (size_t i = 0; i < hashes; ++i) {
    size_t size = 1000 + rng() % 4000000;
    if (i % 2 == 0)
      hdb << random_hex(rng, 16) << ':' << size << ":Bench.Hash.Md5-" << i << '\n';
    else
      hsb << random_hex(rng, 32) << ':' << size << ":Bench.Hash.Sha256-" << i << '\n';
  }
  // clam.exe's MD5 (sigtool --md5 /usr/share/clamav-testfiles/clam.exe).
  hdb << "aa15bcf478d165efd2065190eb473bcb:544:Bench.ClamExe\n";
  hsb << "71e7b604d18aefd839e51a39c88df8383bb4c071dc31f87f00a2b5df580d4495:544:Bench.ClamExe2\n";
  if (bodies == 0) return;  // ClamAV refuses an empty database file
  std::ofstream ndb(dir / "bench.ndb");
  for (size_t i = 0; i < bodies; ++i)
    ndb << "Bench.Body-" << i << ":0:*:" << random_hex(rng, 16 + rng() % 17) << '\n';
}

long rss_kb() {
  return postern::bench::read_proc(::getpid()).rss_kb;
}
long hwm_kb() {
  return postern::bench::read_proc(::getpid()).hwm_kb;
}

// MB/s of scanning `data` again and again for `seconds`. `vary`: its first 8 bytes
// change every time, so that ClamAV's clean cache (MD5 of the whole file) never hits.
double throughput(const ClamEngine& e, std::string data, double seconds, ScanStatus expect,
                  bool vary) {
  size_t n = 0;
  auto t0 = Clock::now();
  std::chrono::duration<double> el{};
  do {
    if (vary) std::memcpy(data.data(), &n, sizeof n);
    if (e.scan(data, "bench").status != expect) {
      std::fprintf(stderr, "unexpected scan result\n");
      std::exit(1);
    }
    ++n;
    el = Clock::now() - t0;
  } while (el.count() < seconds);
  return static_cast<double>(n * data.size()) / el.count() / 1e6;
}

}  // namespace

int main(int argc, char** argv) {
  size_t hashes = 300000, bodies = 20000;
  double seconds = 3;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string a = argv[i];
    if (a == "--hashes") hashes = std::stoul(argv[i + 1]);
    if (a == "--bodies") bodies = std::stoul(argv[i + 1]);
    if (a == "--seconds") seconds = std::stod(argv[i + 1]);
  }
  std::string tmpl = (fs::temp_directory_path() / "clamav-bench-XXXXXX").string();
  if (::mkdtemp(tmpl.data()) == nullptr) return 1;
  const fs::path dir = tmpl;
  write_database(dir, hashes, bodies);
  std::printf("database: %zu hash + %zu body signatures in %s\n", hashes, bodies, dir.c_str());

  ClamConfig config;
  config.database_dirs = {dir.string()};
  long rss0 = rss_kb();
  auto t0 = Clock::now();
  auto started = ClamService::start(config, std::chrono::milliseconds(0));
  if (!started) {
    std::fprintf(stderr, "%s\n", started.error().c_str());
    return 1;
  }
  double load_s = std::chrono::duration<double>(Clock::now() - t0).count();
  long rss1 = rss_kb();
  auto& svc = **started;
  std::printf("load+compile: %.2f s (%u signatures); VmRSS %.1f MB -> %.1f MB (+%.1f MB)\n", load_s,
              svc.current()->signatures(), rss0 / 1024.0, rss1 / 1024.0, (rss1 - rss0) / 1024.0);

  std::mt19937 rng(1);
  std::string buf(1 << 20, '\0');
  for (char& c : buf) c = static_cast<char>(rng());
  std::ifstream zf("/usr/share/clamav-testfiles/clam.zip", std::ios::binary);
  std::string zip((std::istreambuf_iterator<char>(zf)), {});
  auto engine = svc.current();
  std::printf("scan 1 MiB random (clean), a new buffer each time: %.1f MB/s\n",
              throughput(*engine, buf, seconds, ScanStatus::Clean, true));
  std::printf("scan 1 MiB random (clean), the same buffer (ClamAV's clean cache): %.1f MB/s\n",
              throughput(*engine, buf, seconds, ScanStatus::Clean, false));
  double zip_mbs = throughput(*engine, zip, seconds, ScanStatus::Found, false);
  std::printf("scan clam.zip (found): %.2f MB/s = %.0f scans/s\n", zip_mbs,
              zip_mbs * 1e6 / static_cast<double>(zip.size()));
  engine.reset();

  auto i0 = Clock::now();
  auto idle = svc.reload_now();
  if (!idle) return 1;
  std::printf("reload, nothing scanning: %.2f s (load+compile %.2f s of it)\n",
              std::chrono::duration<double>(Clock::now() - i0).count(),
              static_cast<double>((*idle)->load_time().count()) / 1e3);
  idle->reset();

  std::atomic<bool> stop{false};
  std::atomic<uint64_t> scans{0}, bad{0};
  std::atomic<int64_t> longest_us{0};
  std::vector<std::thread> ts;
  for (int i = 0; i < 2; ++i)
    ts.emplace_back([&, i] {
      std::string mine = buf;  // a new buffer each scan: no cache hits
      for (uint64_t k = static_cast<uint64_t>(i) << 40; !stop; ++k) {
        std::memcpy(mine.data(), &k, sizeof k);
        auto s0 = Clock::now();
        if (svc.current()->scan(mine, "bench").status != ScanStatus::Clean) ++bad;
        auto us = std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - s0).count();
        int64_t prev = longest_us.load();
        while (us > prev && !longest_us.compare_exchange_weak(prev, us)) {
        }
        ++scans;
      }
    });
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  longest_us = 0;
  uint64_t before = scans.load();
  long hwm_before = hwm_kb();
  auto r0 = Clock::now();
  auto reloaded = svc.reload_now();
  double reload_s = std::chrono::duration<double>(Clock::now() - r0).count();
  uint64_t during = scans.load() - before;
  int64_t longest = longest_us.load();
  stop = true;
  for (auto& t : ts) t.join();
  if (!reloaded) {
    std::fprintf(stderr, "reload: %s\n", reloaded.error().c_str());
    return 1;
  }
  std::printf(
      "reload while 2 threads scan: %.2f s; %llu scans of 1 MiB meanwhile (%.1f MB/s), "
      "longest %.1f ms, failed %llu; VmHWM %.1f -> %.1f MB; VmRSS after %.1f MB\n",
      reload_s, static_cast<unsigned long long>(during), during * 1.048576 / reload_s,
      longest / 1000.0, static_cast<unsigned long long>(bad.load()), hwm_before / 1024.0,
      hwm_kb() / 1024.0, rss_kb() / 1024.0);
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  std::printf("300 ms later: %zu engine(s) alive, VmRSS %.1f MB\n", ClamEngine::live_engines(),
              rss_kb() / 1024.0);
  std::error_code ec;
  fs::remove_all(dir, ec);
  return bad.load() == 0 ? 0 : 1;
}
