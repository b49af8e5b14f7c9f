// Training inputs and cross-validation (see training.hpp).
#include "content/training.hpp"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>

namespace postern::content {

std::vector<std::string> message_files(const std::string& dir) {
  namespace fs = std::filesystem;
  std::vector<std::string> out;
  std::error_code ec;
  for (fs::recursive_directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    std::string name = it->path().filename().string();
    if (!name.empty() && name.front() == '.') {
      if (it->is_directory(ec)) it.disable_recursion_pending();
      continue;
    }
    if (it->is_regular_file(ec)) out.push_back(it->path().string());
  }
  std::sort(out.begin(), out.end());
  return out;
}

void read_examples(const std::vector<std::string>& files, bool spam, unsigned bits,
                   std::vector<Example>& out, std::vector<std::string>& skipped) {
  for (const auto& f : files) {
    std::error_code ec;
    auto size = std::filesystem::file_size(f, ec);
    std::ifstream in(f, std::ios::binary);
    if (ec || size > kMaxTrainMessage || !in) {
      skipped.push_back(f);
      continue;
    }
    std::string raw((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    out.push_back(Example{hash_tokens(tokenize_message(raw), bits), spam});
  }
}

std::vector<double> cross_validate(const std::vector<Example>& ex, unsigned k,
                                   const TrainOptions& opt) {
  std::vector<double> p(ex.size(), 0.5);
  if (k < 2) return p;
  for (unsigned fold = 0; fold < k; ++fold) {
    std::vector<Example> train_set;
    train_set.reserve(ex.size());
    for (size_t i = 0; i < ex.size(); ++i)
      if (i % k != fold) train_set.push_back(ex[i]);
    Model m = train(train_set, opt);
    for (size_t i = fold; i < ex.size(); i += k) p[i] = m.probability(ex[i].features);
  }
  return p;
}

}  // namespace postern::content
