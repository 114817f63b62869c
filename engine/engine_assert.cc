// The one place that turns a broken engine invariant into a trap, after
// leaving a readable message behind for the debugger.
#include "engine_assert.h"

#include <charconv>
#include <cstddef>

namespace lx::engine {

char g_assert_message[512];

namespace {

// Appends text to g_assert_message, never writing past its end.
void append_message(std::size_t& used, const char* text) noexcept {
  while (text != nullptr && *text != '\0' && used + 1 < sizeof(g_assert_message)) {
    g_assert_message[used++] = *text++;
  }
  g_assert_message[used] = '\0';
}

}  // namespace

void assert_failed(const char* file, int line, const char* expression,
                   const char* detail) noexcept {
  std::size_t used = 0;
  append_message(used, "lx engine assertion failed at ");
  append_message(used, file);
  char digits[16] = {':'};
  auto result = std::to_chars(digits + 1, digits + sizeof(digits) - 1, line);
  *result.ptr = '\0';
  append_message(used, digits);
  append_message(used, ": ");
  append_message(used, expression);
  if (detail != nullptr) {
    append_message(used, " (");
    append_message(used, detail);
    append_message(used, ")");
  }
  __builtin_trap();
}

}  // namespace lx::engine
