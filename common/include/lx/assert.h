// LX_ASSERT for programmer errors on the host side (driver, wal, tools): on in
// every build type, prints file, line, the expression and both operands, and
// aborts. Operating errors (bad input, I/O) are lx::Status values instead.
#pragma once

#include <cstdio>
#include <cstdlib>

namespace lx::detail {
[[noreturn]] inline void assert_failed(const char* file, int line, const char* expression) {
  std::fprintf(stderr, "lx: assertion failed at %s:%d: %s\n", file, line, expression);
  std::abort();
}
template <typename A, typename B>
[[noreturn]] void assert_compare_failed(const char* file, int line, const char* expression,
                                        const A& a, const B& b) {
  std::fprintf(stderr, "lx: assertion failed at %s:%d: %s (%lld vs %lld)\n", file, line, expression,
               static_cast<long long>(a), static_cast<long long>(b));
  std::abort();
}
}  // namespace lx::detail

#define LX_ASSERT(cond) ((cond) ? (void)0 : ::lx::detail::assert_failed(__FILE__, __LINE__, #cond))

// Compares two integers and prints both when the comparison fails.
#define LX_ASSERT_OP(a, op, b)                                                                  \
  do {                                                                                          \
    const auto& lx_a_ = (a);                                                                    \
    const auto& lx_b_ = (b);                                                                    \
    if (!(lx_a_ op lx_b_))                                                                      \
      ::lx::detail::assert_compare_failed(__FILE__, __LINE__, #a " " #op " " #b, lx_a_, lx_b_); \
  } while (0)
