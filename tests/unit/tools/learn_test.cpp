// `postern learn`: learners that run at once on one model serialize on its lock
// (no update is lost) and a reader never sees a partial model.
#include <catch2/catch.hpp>

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "content/classifier.hpp"
#include "support/temp_dir.hpp"
#include "tools/train_command.hpp"

using namespace postern;

namespace {

// A message whose words differ by `i`, so each learn moves the weights.
std::string message(int i, bool spam) {
  return fmt::format(
      "From: a{}@example.com\r\nTo: b@example.org\r\nSubject: {} {}\r\n\r\n{} offer number {} "
      "today\r\n",
      i, spam ? "cheap pills" : "meeting notes", i, spam ? "buy now" : "agenda for", i);
}

// Runs `n` learns in a child process (alternating ham and spam); its exit code is the
// number of learns that failed.
pid_t learner(const test::TempDir& d, const std::string& model, int id, int n) {
  std::vector<std::string> files;
  for (int i = 0; i < n; ++i)
    files.push_back(d.write(fmt::format("msg/{}-{}.eml", id, i), message(id * 1000 + i, i % 2)));
  pid_t pid = ::fork();
  if (pid != 0) return pid;
  int devnull = ::open("/dev/null", O_WRONLY);
  ::dup2(devnull, 1);
  int failed = 0;
  for (int i = 0; i < n; ++i) {
    tools::LearnOptions o;
    (i % 2 ? o.spam : o.ham) = files[static_cast<size_t>(i)];
    o.model = model;
    o.base = d.str() + "/base.model";
    failed += tools::run_learn(o) != 0;
  }
  ::_exit(failed);
}

}  // namespace

TEST_CASE(
    "two learners at once on one model both land, and a reader never sees a partial "
    "model",
    "[learn]") {
  test::TempDir d;
  // A big table (2^20 weights, 4 MiB) so a model written in place would be seen half done.
  content::Model base(content::Method::Logistic, 20);
  REQUIRE(base.save(d.str() + "/base.model"));
  const std::string model = d.str() + "/classifier.model";
  constexpr int kEach = 12;

  // The first learn copies the base: both learners start when the model does not exist yet.
  pid_t a = learner(d, model, 1, kEach);
  pid_t b = learner(d, model, 2, kEach);
  size_t loads = 0, bad = 0;
  std::string first_bad;
  bool a_done = false;
  int status_a = 0, status_b = 0;
  while (!a_done) {
    if (::access(model.c_str(), F_OK) == 0) {
      auto m = content::Model::load(model);
      ++loads;
      if (!m) {
        ++bad;
        if (first_bad.empty()) first_bad = m.error();
      }
    }
    a_done = ::waitpid(a, &status_a, WNOHANG) == a;
  }
  REQUIRE(::waitpid(b, &status_b, 0) == b);
  CHECK(WIFEXITED(status_a));
  CHECK(WEXITSTATUS(status_a) == 0);
  CHECK(WIFEXITED(status_b));
  CHECK(WEXITSTATUS(status_b) == 0);
  INFO(first_bad);
  CHECK(loads > 0);
  CHECK(bad == 0);

  auto m = content::Model::load(model);
  REQUIRE(m);
  CHECK(m->learned() == 2 * kEach);
  CHECK(m->ham_messages() == kEach);
  CHECK(m->spam_messages() == kEach);
  CHECK_FALSE(std::filesystem::exists(model + ".tmp"));
}
