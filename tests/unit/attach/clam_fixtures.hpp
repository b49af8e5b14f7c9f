// Fixtures of the ClamAV tests: a private temp dir, files, and signature databases
// made here with sigtool over ClamAV's harmless test files (no official database:
// no network). Used by clamav_test.cpp and clamd_test.cpp.
#pragma once

#include <stdlib.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>
#include <stdexcept>
#include <string>

#include "support/files.hpp"
#include "support/temp_dir.hpp"

namespace postern::test {

namespace fs = std::filesystem;

inline const fs::path kTestFiles = "/usr/share/clamav-testfiles";
// The name ClamAV gives our signatures: loaded unsigned, they get ".UNOFFICIAL".
inline constexpr const char* kMd5Name = "Postern.Test.ClamExe.Md5.UNOFFICIAL";
inline constexpr const char* kBodyName = "Postern.Test.ClamExe.Body.UNOFFICIAL";
inline constexpr const char* kEicarName = "Eicar-Signature.UNOFFICIAL";
inline constexpr const char* kEicar =
    "X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*";

inline std::string read_or_throw(const fs::path& p) {
  std::ifstream f(p, std::ios::binary);
  if (!f) throw std::runtime_error("cannot read " + p.string());
  return std::string(std::istreambuf_iterator<char>(f), {});
}

inline void write_file(const fs::path& p, const std::string& text) {
  std::ofstream f(p, std::ios::binary | std::ios::trunc);
  f << text;
  if (!f) throw std::runtime_error("cannot write " + p.string());
}

// Runs a shell command, returns its stdout; throws when it fails.
inline std::string run(const std::string& cmd) {
  FILE* p = ::popen(cmd.c_str(), "r");
  if (p == nullptr) throw std::runtime_error("popen " + cmd);
  std::string out;
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  if (::pclose(p) != 0) throw std::runtime_error("failed: " + cmd);
  return out;
}

// sigtool's "hash:size:file" line with the signature named `name`.
inline std::string sigtool_line(const std::string& option, const fs::path& file,
                                const std::string& name) {
  std::string line = run("sigtool " + option + " '" + file.string() + "'");
  auto colon = line.rfind(':');
  if (colon == std::string::npos) throw std::runtime_error("sigtool output: " + line);
  return line.substr(0, colon + 1) + name + "\n";
}

// The database kinds a test may write into a directory.
inline void write_md5_db(const fs::path& dir) {
  write_file(dir / "postern-md5.hdb",
             sigtool_line("--md5", kTestFiles / "clam.exe", "Postern.Test.ClamExe.Md5"));
}
// The code of clam.exe (offsets 0x40-0x72): found in every packed form once unpacked.
inline void write_body_db(const fs::path& dir) {
  std::string exe = read_or_throw(kTestFiles / "clam.exe");
  write_file(dir / "postern-body.ndb",
             "Postern.Test.ClamExe.Body:0:*:" + hex(exe.substr(0x40, 0x32)) + "\n");
}
inline void write_eicar_db(const fs::path& dir) {
  write_file(dir / "postern-eicar.ndb", std::string("Eicar-Signature:0:0:") + hex(kEicar) + "\n");
}

}  // namespace postern::test
