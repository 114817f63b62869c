// Inspection of the app's Lua state (the "Inspection" calls of engine_api.h):
// evaluating a chunk with the app's globals, the upvalues of update() and its
// modules in view, and the canonical dump of everything the app can reach.
// Both allocate on the heap and may run app code, so the caller runs them
// only where their effects are thrown away (docs/inspect.md).
#pragma once

#include <string>
#include <string_view>

#include "lx/engine_api.h"

namespace lx::engine {

class DrivenEngine;

// Evaluates chunk (an expression, else a chunk of statements) in engine's
// app state and renders its values into *out. Returns LX_OK,
// LX_ERR_ARGUMENT (the chunk does not compile; the message in *out),
// LX_ERR_APP (it raised an error; the message in *out). options is checked.
int inspect_eval(DrivenEngine& engine, std::string_view chunk, const lx_inspect_options& options,
                 std::string* out);

// Writes the canonical tree of the app's state into *out (docs/inspect.md,
// "The state tree"). Returns LX_OK, or LX_ERR_APP with the message in *out.
int inspect_dump(DrivenEngine& engine, const lx_inspect_options& options, std::string* out);

// Checks options (struct_size, format, reserved fields); LX_OK or
// LX_ERR_ARGUMENT with the reason in *why.
int check_inspect_options(const lx_inspect_options* options, std::string* why);

}  // namespace lx::engine
