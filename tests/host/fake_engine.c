/* Fake engine libraries for the loader tests: one with a foreign ABI version,
 * one with a function table too small, one without the lx_engine_api symbol. */
#include "lx/engine_api.h"

#if defined(FAKE_NO_SYMBOL)
__attribute__((visibility("default"))) int not_an_engine(void) { return 42; }
#else
static lx_engine_wrapper table;

const lx_engine_wrapper* lx_engine_api(void) {
#if defined(FAKE_WRONG_ABI)
  table.abi_version = LX_ENGINE_ABI_VERSION + 1;
  table.struct_size = sizeof(lx_engine_wrapper);
#else
  table.abi_version = LX_ENGINE_ABI_VERSION;
  table.struct_size = 8;
#endif
  table.build_id = "fake";
  return &table;
}
#endif
