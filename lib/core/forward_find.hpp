// ForwardFind: the next occurrence of a needle, remembered between searches.
//
// Contract: `from(pos)` returns what `text.find(needle, pos)` returns (or
// `text.find_first_of(needle, pos)` for a character set), but a search is not
// repeated while the remembered occurrence still lies at or after `pos`: a scanner
// that asks with growing positions scans the text once per needle, however many
// times it asks (a plain find() from each position is quadratic when the needle
// is far away or absent). Asking for an earlier position is allowed and exact; it
// only searches the stretch before the remembered one. `text` must outlive it.
#pragma once

#include <algorithm>
#include <string_view>

namespace postern::core {

class ForwardFind {
 public:
  enum class Mode { Substring, AnyOf };
  ForwardFind(std::string_view text, std::string_view needle, Mode mode = Mode::Substring)
      : text_(text), needle_(needle), mode_(mode) {}

  size_t from(size_t pos) {
    if (searched_ && pos >= searched_from_ && pos <= at_) return at_;  // npos: none left
    if (searched_ && pos < searched_from_) {
      // only the stretch before the remembered search can hold an earlier occurrence
      size_t window = searched_from_ + (mode_ == Mode::Substring ? needle_.size() - 1 : 0);
      size_t hit = find(text_.substr(0, std::min(window, text_.size())), pos);
      searched_from_ = pos;
      if (hit != std::string_view::npos) at_ = hit;
      return at_;
    }
    searched_ = true;
    searched_from_ = pos;
    at_ = find(text_, pos);
    return at_;
  }

 private:
  size_t find(std::string_view t, size_t pos) const {
    return mode_ == Mode::Substring ? t.find(needle_, pos) : t.find_first_of(needle_, pos);
  }

  std::string_view text_, needle_;
  Mode mode_;
  bool searched_ = false;
  size_t searched_from_ = 0;
  size_t at_ = std::string_view::npos;
};

}  // namespace postern::core
