// LX_ENGINE_ASSERT: the engine's programmer-error check. The engine may not
// print, so a failed check leaves its message in a static buffer that a
// debugger can read (lx::engine::g_assert_message) and traps.
#pragma once

namespace lx::engine {

// The message of the assertion that failed, NUL-terminated; empty until one fails.
extern char g_assert_message[512];

// Records "file:line: expression" (and detail when not null) and traps.
[[noreturn]] void assert_failed(const char* file, int line, const char* expression,
                                const char* detail) noexcept;

}  // namespace lx::engine

#define LX_ENGINE_ASSERT(cond) \
  ((cond) ? (void)0 : ::lx::engine::assert_failed(__FILE__, __LINE__, #cond, nullptr))

#define LX_ENGINE_ASSERT_MSG(cond, detail) \
  ((cond) ? (void)0 : ::lx::engine::assert_failed(__FILE__, __LINE__, #cond, (detail)))
