// The chaos engine's deliberate nondeterminism (built only with LX_CHAOS, for
// tests of lxreplay and lxdiff): a heap allocation whose size comes from a
// stack address, made at a known event so reports can be checked exactly.
#pragma once

#include <cstdint>

namespace lx::engine {

class Heap;

// The invoke_event_update (counted from 1 per engine) at which the chaos
// engine misbehaves. docs/replay.md names it; tests rely on it.
inline constexpr uint64_t kChaosUpdateNumber = 100;

// Called at the start of every invoke_event_update with its number. At
// kChaosUpdateNumber it allocates, and keeps for the engine's life, a block
// of 16 bytes to 1 MiB chosen from the address of a local variable.
void chaos_before_update(Heap& heap, uint64_t update_number) noexcept;

}  // namespace lx::engine
