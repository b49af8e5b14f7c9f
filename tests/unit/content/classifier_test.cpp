// Tests for content/classifier.hpp and the classifier stage: training, the model
// file, online learning, the [classifier] section and the mapped score.
#include "content/classifier.hpp"

#include <catch2/catch.hpp>

#include <fmt/format.h>

#include <cmath>
#include <string>
#include <vector>

#include "content/classifier_stage.hpp"
#include "content/header_sanity.hpp"
#include "content/tokenizer.hpp"
#include "mime/stage.hpp"
#include "policy/config.hpp"
#include "policy/policy.hpp"
#include "support/temp_dir.hpp"

using namespace postern;
using content::Example;
using content::Method;

namespace {

std::string message(const std::string& subject, const std::string& body) {
  return "From: someone <a@sender.example>\r\nSubject: " + subject +
         "\r\nContent-Type: text/plain\r\n\r\n" + body + "\r\n";
}

const std::vector<std::string> kSpamWords = {"winner", "prize",  "claim", "bitcoin", "urgent",
                                             "wire",   "refund", "login", "verify",  "gift"};
const std::vector<std::string> kHamWords = {"meeting", "agenda", "patch",  "review", "lunch",
                                            "driver",  "build",  "kernel", "notes",  "thanks"};

std::string words(const std::vector<std::string>& w, unsigned seed) {
  std::string out;
  for (unsigned i = 0; i < 6; ++i) out += w[(seed * 7 + i * 3) % w.size()] + " ";
  return out;
}

std::vector<Example> toy(unsigned bits, size_t per_class = 60) {
  std::vector<Example> ex;
  for (unsigned i = 0; i < per_class; ++i) {
    ex.push_back({content::hash_tokens(content::tokenize_message(message(
                                           "hello " + std::to_string(i), words(kHamWords, i))),
                                       bits),
                  false});
    ex.push_back({content::hash_tokens(content::tokenize_message(message(
                                           "offer " + std::to_string(i), words(kSpamWords, i))),
                                       bits),
                  true});
  }
  return ex;
}

std::vector<uint32_t> features(const std::string& raw, unsigned bits) {
  return content::hash_tokens(content::tokenize_message(raw), bits);
}

}  // namespace

TEST_CASE("both methods separate spam from ham, with calibrated probabilities", "[classifier]") {
  for (Method method : {Method::Logistic, Method::NaiveBayes}) {
    INFO(static_cast<int>(method));
    content::TrainOptions opt{.method = method, .bits = 14};
    content::Model m = content::train(toy(14), opt);
    double spam = m.probability(features(message("claim", "winner prize claim verify"), 14));
    double ham = m.probability(features(message("notes", "meeting agenda review notes"), 14));
    CHECK(spam > 0.8);
    CHECK(ham < 0.2);
    CHECK(m.platt_a() > 0);
  }
}

TEST_CASE("features of fewer than min_df training messages are not learned", "[classifier]") {
  // A token that only one spam message carries: with min_df 1 the model learns it, with a
  // higher bound it stays at weight 0, so mail carrying it is scored by the rest. The bound
  // shrinks with the training set (one per kMessagesPerMinDf messages): 801 messages allow 2.
  auto rare = content::hash_tokens({"zqxjunique"}, 14);
  REQUIRE(rare.size() == 1);
  auto with_rare = [](std::vector<Example> ex) {
    ex.push_back({features(message("note", "zqxjunique meeting"), 14), true});
    return ex;
  };
  auto big = with_rare(toy(14, 400)), small = with_rare(toy(14));
  struct Row {
    const std::vector<Example>* ex;
    unsigned min_df;
    bool learned;
  };
  for (Row r :
       {Row{&big, 1, true}, Row{&big, 2, false}, Row{&big, 5, false}, Row{&small, 5, true}}) {
    INFO(r.ex->size() << " messages, min_df " << r.min_df);
    content::TrainOptions opt{.bits = 14, .min_df = r.min_df};
    content::Model m = content::train(*r.ex, opt);
    CHECK((m.contribution(rare[0], 1) != 0) == r.learned);
    // Words of many messages are learned whatever min_df.
    CHECK(m.contribution(content::hash_tokens({"meeting"}, 14)[0], 1) < 0);
  }
  struct Bound {
    unsigned min_df;
    size_t messages;
    unsigned want;
  };
  for (Bound b : {Bound{5, 12, 1}, Bound{5, 799, 1}, Bound{5, 800, 2}, Bound{5, 6400, 5},
                  Bound{1, 6400, 1}, Bound{0, 6400, 1}}) {
    INFO(b.min_df << " " << b.messages);
    CHECK(content::effective_min_df(b.min_df, b.messages) == b.want);
  }
  CHECK(content::TrainOptions{}.min_df == 5);
}

TEST_CASE("ham weighs more than spam: mail like both leans toward ham", "[classifier]") {
  // Messages whose words belong to both classes: the heavier ham is, the lower the margin
  // of such mail, while plain spam stays spam. A weight of 1 is the balanced loss.
  std::vector<Example> ex = toy(14);
  for (unsigned i = 0; i < 20; ++i)
    ex.push_back(
        {features(message("mixed " + std::to_string(i), "meeting agenda winner prize"), 14),
         i % 2 == 0});
  auto mixed = features(message("mixed", "meeting agenda winner prize"), 14);
  auto spam = features(message("claim", "winner prize claim verify"), 14);
  double prev = 1e9;
  for (double w : {0.25, 1.0, 4.0, 16.0}) {
    INFO("ham_weight " << w);
    content::TrainOptions opt{.bits = 14, .ham_weight = w};
    content::Model m = content::train(ex, opt);
    double margin = m.margin(mixed);
    CHECK(margin < prev);
    prev = margin;
    CHECK(m.probability(spam) > 0.8);
  }
  CHECK(content::TrainOptions{}.ham_weight == 4);
}

TEST_CASE("training is deterministic: the same input gives the same bytes", "[classifier]") {
  auto ex = toy(12);
  for (Method method : {Method::Logistic, Method::NaiveBayes}) {
    content::TrainOptions opt{.method = method, .bits = 12};
    CHECK(content::train(ex, opt).serialize() == content::train(ex, opt).serialize());
  }
  content::TrainOptions other{.bits = 12, .seed = 13};
  CHECK(content::train(ex, {.bits = 12}).serialize() != content::train(ex, other).serialize());
}

TEST_CASE("a model survives the round trip through its file", "[classifier]") {
  test::TempDir d;
  content::Model m = content::train(toy(12), {.bits = 12});
  std::string path = d.str() + "/m.model";
  auto w = m.save(path);
  REQUIRE(w);
  auto back = content::Model::load(path);
  REQUIRE(back);
  CHECK(back->serialize() == m.serialize());
  auto f = features(message("claim", "winner prize"), 12);
  CHECK(back->probability(f) == m.probability(f));
  CHECK_FALSE(std::filesystem::exists(path + ".tmp"));
}

TEST_CASE("a corrupt or hostile model file is a clear error, never a crash", "[classifier]") {
  const std::string good = content::train(toy(10, 10), {.bits = 10}).serialize();
  auto with = [&](size_t pos, char c) {
    std::string s = good;
    s[pos] = c;
    return s;
  };
  struct Row {
    std::string name, bytes, error;
  };
  std::string nan_bias = good;
  // bias is the third double after magic and three u32: offset 8 + 12 + 16.
  const uint64_t nan_bits = 0x7ff8000000000000ull;
  for (int i = 0; i < 8; ++i) nan_bias[36 + i] = static_cast<char>((nan_bits >> (8 * i)) & 0xff);
  const std::vector<Row> rows = {
      {"empty", "", "too short"},
      {"text", std::string(100, 'x'), "bad magic"},
      {"version", with(8, 9), "version 9"},
      {"method", with(12, 7), "unknown classifier method 7"},
      {"bits", with(16, 40), "outside"},
      {"truncated", good.substr(0, good.size() - 10), "truncated"},
      {"padded", good + "x", "truncated or padded"},
      {"flipped weight", with(good.size() - 20, static_cast<char>(good[good.size() - 20] ^ 1)),
       "checksum"},
      {"nan bias", nan_bias, "finite"},
  };
  for (const auto& r : rows) {
    INFO(r.name);
    auto m = content::Model::parse(r.bytes);
    REQUIRE_FALSE(m);
    CHECK_THAT(m.error(), Catch::Contains(r.error));
  }
  CHECK(content::Model::parse(good));
  // Any single flipped byte is refused (the checksum or an earlier check), never a crash.
  for (size_t pos = 0; pos < good.size(); pos += 61) {
    INFO(pos);
    CHECK_FALSE(content::Model::parse(with(pos, static_cast<char>(good[pos] ^ 0x5a))));
  }
  auto missing = content::Model::load("/nonexistent/postern.model");
  REQUIRE_FALSE(missing);
  CHECK_THAT(missing.error(), Catch::Contains("cannot open"));
}

TEST_CASE("learning a message moves its probability toward its label", "[classifier]") {
  for (Method method : {Method::Logistic, Method::NaiveBayes}) {
    INFO(static_cast<int>(method));
    content::Model m = content::train(toy(14), {.method = method, .bits = 14});
    // Ham-looking words the user says are spam, then the reverse.
    auto f = features(message("notes", "meeting agenda review lunch invoice"), 14);
    double before = m.margin(f);
    m.learn(f, true);
    double after = m.margin(f);
    CHECK(after > before);
    // Logistic learns until the message is past 0.9; Bayes adds its counts once.
    if (method == Method::Logistic) CHECK(m.probability(f) >= 0.9);
    m.learn(f, false);
    CHECK(m.margin(f) < after);
    CHECK(m.learned() == 2);
  }
}

TEST_CASE("the score rises with the probability and is tag-worthy only when confident",
          "[classifier]") {
  content::ClassifierPolicy p;
  struct Row {
    double prob, spam, ham;
  };
  const std::vector<Row> rows = {
      {0.999, 6.0, 0}, {0.99, 6.0, 0}, {0.925, 5.0, 0},  {0.795, 3.0, 0}, {0.6, 0, 0},
      {0.5, 0, 0},     {0.2, 0, 0},    {0.105, 0, -1.0}, {0.01, 0, -2.0}, {0.0001, 0, -2.0},
  };
  for (const auto& r : rows) {
    INFO(r.prob);
    CHECK(content::spam_score(p, r.prob) == Approx(r.spam).margin(1e-9));
    CHECK(content::ham_score(p, r.prob) == Approx(r.ham).margin(1e-9));
  }
  CHECK(content::spam_score(p, 0.92) < 5.0);
}

TEST_CASE("the [classifier] section: keys, ranges and unknown keys", "[classifier]") {
  const std::span<const core::PolicySection> readers(&content::kClassifierSection, 1);
  auto ok = policy::parse_policy(
      "[classifier]\nmodel = \"/m/x.model\"\nspam_from = 0.7\nspam_full = 0.995\n"
      "spam_score = 7\nham_score = -1.5\nmax_tokens = 500\n",
      "p.toml", readers);
  REQUIRE(ok);
  const auto& c = ok->sections.section<content::ClassifierPolicy>("classifier");
  CHECK(c.model == "/m/x.model");
  CHECK(c.spam_from == 0.7);
  CHECK(c.spam_score == 7);
  CHECK(c.ham_score == -1.5);
  CHECK(c.max_tokens == 500);
  struct Row {
    std::string text, error;
  };
  const std::vector<Row> rows = {
      {"[classifier]\nspam_from = 1.5\n", "p.toml:2:13"},
      {"[classifier]\nspam_from = 0.995\n", "spam_from must be below spam_full"},
      {"[classifier]\nham_score = 2\n", "'ham_score'"},
      {"[classifier]\nmodle = \"x\"\n", "modle"},
  };
  for (const auto& r : rows) {
    INFO(r.text);
    auto bad = policy::parse_policy(r.text, "p.toml", readers);
    REQUIRE_FALSE(bad);
    CHECK_THAT(bad.error().front().to_string(), Catch::Contains(r.error));
  }
}

TEST_CASE("the stage adds CLASSIFIER_SPAM or CLASSIFIER_HAM with the mapped score",
          "[classifier]") {
  auto lm = std::make_shared<content::LoadedModel>();
  lm->model = content::train(toy(14), {.bits = 14});
  content::ClassifierStage stage(lm, content::ClassifierPolicy{});
  struct Row {
    std::string raw, symbol;
  };
  const std::vector<Row> rows = {
      {message("claim your prize", "winner prize claim bitcoin verify urgent"), "CLASSIFIER_SPAM"},
      {message("agenda", "meeting agenda patch review kernel notes"), "CLASSIFIER_HAM"},
  };
  for (const auto& r : rows) {
    INFO(r.symbol);
    core::ConnectionInfo conn;
    core::Transaction tx(conn, core::Direction::Inbound, core::Limits{}, nullptr, "id");
    tx.set_message(core::Message(r.raw));
    // The stages before it in the milter: the mime stage and the header checks, whose
    // findings are tokens too.
    REQUIRE(mime::MimeStage().on_message(tx).kind == core::Step::Kind::Continue);
    content::HeaderSanityStage().on_message(tx);
    size_t before = tx.findings().size();
    REQUIRE(stage.on_message(tx).kind == core::Step::Kind::Continue);
    REQUIRE(tx.findings().size() == before + 1);
    const auto& f = tx.findings().back();
    CHECK(f.symbol == r.symbol);
    double p = lm->model.probability(features(r.raw, 14));
    double want =
        r.symbol == "CLASSIFIER_SPAM" ? content::spam_score({}, p) : content::ham_score({}, p);
    CHECK(f.score == Approx(want));
    CHECK(f.score != 0);
    CHECK_THAT(f.detail, Catch::Contains(fmt::format("spam probability {:.3f}", p)));
    CHECK_THAT(f.detail, Catch::Contains("tokens \""));
  }
}

TEST_CASE("the model service loads once and is remade only when its file changes", "[classifier]") {
  test::TempDir d;
  std::string path = d.str() + "/c.model";
  REQUIRE(content::train(toy(10, 10), {.bits = 10}).save(path));
  const std::span<const core::PolicySection> readers(&content::kClassifierSection, 1);
  auto pol = policy::parse_policy("[classifier]\nmodel = \"" + path + "\"\n", "p.toml", readers);
  REQUIRE(pol);
  policy::Config cfg;
  core::ServiceEntry svc = content::classifier_service();
  std::string error;
  std::shared_ptr<void> made = svc.make(cfg, *pol, error);
  REQUIRE(error.empty());
  REQUIRE(made);
  CHECK(static_cast<const content::LoadedModel*>(made.get())->path == path);
  CHECK_FALSE(svc.changed(made.get(), cfg, cfg, *pol));
  // A learn rewrites the file (a new inode, another size or mtime): remade.
  content::Model m = content::train(toy(10, 10), {.bits = 11});
  REQUIRE(m.save(path));
  CHECK(svc.changed(made.get(), cfg, cfg, *pol));
  // Another path in policy: remade; a named model that does not load: an error.
  auto other = policy::parse_policy("[classifier]\nmodel = \"" + d.str() + "/x.model\"\n", "p.toml",
                                    readers);
  REQUIRE(other);
  CHECK(svc.changed(made.get(), cfg, cfg, *other));
  CHECK_FALSE(svc.make(cfg, *other, error));
  CHECK_THAT(error, Catch::Contains("no such file"));
  d.write("x.model", "not a model");
  error.clear();
  CHECK_FALSE(svc.make(cfg, *other, error));
  CHECK_THAT(error, Catch::Contains("bad magic") || Catch::Contains("too short"));
}
