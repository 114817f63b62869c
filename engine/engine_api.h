// The engine's C ABI table, reachable inside the engine (and from unit tests
// that link lx_engine_core) without the exported symbol.
#pragma once

#include "lx/engine_api.h"

namespace lx::engine {

// The static table lx_engine_api() returns.
const lx_engine_wrapper* api_table() noexcept;

// The build id: "<variant>-<digest>" (generated at build time).
const char* build_id() noexcept;

}  // namespace lx::engine
