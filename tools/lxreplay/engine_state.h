// What `lxreplay --until N` prints when it stops: the engine's state after
// event N, read through queries only (they change nothing, DESIGN.md 9).
#pragma once

#include <cstdio>

#include "lx/host/engine.h"

namespace lx::tools {

// Channels (chid, port, target, closed, deleted, outgoing, incoming and
// outgoing bytes), heap bytes in use, memhash, outhash, event count, and the
// stop and rescan flags, as text or as one JSON line of type "state".
void print_engine_state(const host::Engine& engine, bool json, std::FILE* out);

}  // namespace lx::tools
