// The one symbol liblxengine.so exports. It lives outside lx_engine_core so
// that -Wl,--exclude-libs,ALL (which hides every symbol of the static core)
// leaves it visible.
#include "engine_api.h"
#include "lx/engine_api.h"

extern "C" const lx_engine_wrapper* lx_engine_api(void) { return lx::engine::api_table(); }
