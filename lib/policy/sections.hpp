// Sections: the values of the sections a lib folder reads for itself ([dns] of
// the config, [rules] of the policy, ...), kept by name and typed by the folder.
//
// Contract: the reader a folder registers (core/registration.hpp) stores its
// value with set_section; the folder's factories read it with section<T>, which
// returns a default-constructed T when no file had the section. A policy is
// layered file by file: a reader that merges copies the value read so far
// (section<T>), changes it and stores it back. T must be the type its folder
// stores (std::any_cast). Not thread-safe while loading; immutable afterwards.
#pragma once

#include <any>
#include <map>
#include <string>
#include <string_view>

namespace postern::policy {

class Sections {
 public:
  bool has_section(std::string_view name) const { return sections_.find(name) != sections_.end(); }
  template <class T>
  const T& section(std::string_view name) const {
    static const T defaults{};
    auto it = sections_.find(name);
    return it == sections_.end() ? defaults : std::any_cast<const T&>(it->second);
  }
  template <class T>
  void set_section(std::string name, T value) {
    sections_[std::move(name)] = std::move(value);
  }

 private:
  std::map<std::string, std::any, std::less<>> sections_;
};

}  // namespace postern::policy
