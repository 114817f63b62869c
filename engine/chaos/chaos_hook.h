// The chaos engine's deliberate flaws (built only with LX_CHAOS, for tests of
// lxreplay, lxdiff and crash recording): a heap allocation whose size comes
// from a stack address, made at a known event so reports can be checked
// exactly; a value changed in place from a stack address, which no figure
// sees (only a snapshot's state hash); and a real segmentation fault that an
// app can ask for.
#pragma once

#include <cstdint>
#include <string_view>

struct lua_State;

namespace lx::engine {

class Heap;

// The invoke_event_update (counted from 1 per engine) at which the chaos
// engine misbehaves. docs/replay.md names it; tests rely on it.
inline constexpr uint64_t kChaosUpdateNumber = 100;

// Called at the start of every invoke_event_update with its number. At
// kChaosUpdateNumber it allocates, and keeps for the engine's life, a block
// of 16 bytes to 1 MiB chosen from the address of a local variable.
void chaos_before_update(Heap& heap, uint64_t update_number) noexcept;

// The lx.log line that makes the chaos engine crash.
inline constexpr std::string_view kChaosCrashLine = "chaos: segfault";

// Called with every lx.log line. On kChaosCrashLine it writes through a bad
// pointer: a real SIGSEGV inside an event, as an engine bug would cause, so
// tests can check that the event is in the log and that replay repeats the
// crash at the same event.
void chaos_on_log(std::string_view line) noexcept;

// The lx.log line that makes the chaos engine change a value in place.
inline constexpr std::string_view kChaosScribbleLine = "chaos: scribble";
// The global it changes: an app that wants the flaw sets it to a number
// first, so the table slot exists and the change allocates nothing.
inline constexpr const char* kChaosScribbleGlobal = "chaos_scribble";

// Called with every lx.log line and the app's state. On kChaosScribbleLine,
// when the global kChaosScribbleGlobal holds a number, it stores there a
// number made of a stack address: the heap's bytes change, memhash and
// outhash do not, and another process stores another number.
void chaos_on_log_in(lua_State* L, std::string_view line) noexcept;

}  // namespace lx::engine
