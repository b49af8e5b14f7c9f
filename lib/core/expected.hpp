// expected: std::expected where the compiler has it, else a minimal stand-in.
//
// Contract: postern code writes postern::expected<T, E> and
// postern::unexpected(e). With g++ 12 (C++23) these are std::expected and
// std::unexpected. clang 14, which the libFuzzer builds use, cannot compile
// libstdc++'s <expected> (it lacks C++20 concepts level 202002), so there a
// small class with the same subset of the interface is used: has_value,
// operator bool, *, ->, value(), value_or(), error(), == with a value; expected<void, E> too.
#pragma once

#include <version>

#if defined(__cpp_lib_expected) && __cpp_lib_expected >= 202202L
#include <expected>
namespace postern {
using std::expected;
using std::unexpected;
}  // namespace postern
#else
#include <optional>
#include <stdexcept>
#include <utility>
#include <variant>

namespace postern {

template <typename E>
class unexpected {
 public:
  explicit unexpected(E e) : e_(std::move(e)) {}
  const E& error() const& { return e_; }
  E& error() & { return e_; }

 private:
  E e_;
};
template <typename E>
unexpected(E) -> unexpected<E>;

template <typename T, typename E>
class expected {
 public:
  expected(T v)
      : v_(std::in_place_index<0>, std::move(v)) {}  // NOLINT: implicit like std::expected
  template <typename G>
  expected(unexpected<G> u) : v_(std::in_place_index<1>, E(std::move(u.error()))) {}  // NOLINT

  bool has_value() const { return v_.index() == 0; }
  explicit operator bool() const { return has_value(); }
  T& operator*() & { return std::get<0>(v_); }
  const T& operator*() const& { return std::get<0>(v_); }
  T* operator->() { return &std::get<0>(v_); }
  const T* operator->() const { return &std::get<0>(v_); }
  T& value() & {
    if (!has_value()) throw std::logic_error("expected has no value");
    return std::get<0>(v_);
  }
  const T& value() const& {
    if (!has_value()) throw std::logic_error("expected has no value");
    return std::get<0>(v_);
  }
  template <typename U>
  T value_or(U&& other) const& {
    return has_value() ? std::get<0>(v_) : static_cast<T>(std::forward<U>(other));
  }
  const E& error() const& { return std::get<1>(v_); }
  E& error() & { return std::get<1>(v_); }
  // As std::expected: equal to a value when it holds one that is equal (!= by rewriting).
  friend bool operator==(const expected& x, const T& v) { return x.has_value() && *x == v; }

 private:
  std::variant<T, E> v_;
};

// expected<void, E>: success carries nothing (default-constructed), as std's.
template <typename E>
class expected<void, E> {
 public:
  expected() = default;
  template <typename G>
  expected(unexpected<G> u) : e_(E(std::move(u.error()))) {}  // NOLINT

  bool has_value() const { return !e_.has_value(); }
  explicit operator bool() const { return has_value(); }
  void operator*() const {}
  void value() const {
    if (!has_value()) throw std::logic_error("expected has no value");
  }
  const E& error() const& { return *e_; }
  E& error() & { return *e_; }

 private:
  std::optional<E> e_;
};

}  // namespace postern
#endif
