/* Forced into lvm.c alone (-include, LuaFromDebian.cmake): the instruction
 * budget's count hook without a function call per VM instruction.
 *
 * While any hook is set, Lua 5.4's interpreter calls luaG_traceexec before
 * every instruction. With only a count hook set and the count not yet
 * running out, all that call does is count down and save the pc; it was a
 * fifth of a replay's time (docs/performance.md, "The instruction budget").
 * This header gives lvm.c an inline version of exactly that case and leaves
 * every other one (the count reaching zero, a line hook from a probe or the
 * debugger, no hook) to the real function, so the hook fires at the same
 * instruction as before and nothing the app can see changes.
 *
 * It depends on Lua 5.4's internals (lua_State's hookmask, hookcount and ci,
 * CallInfo's savedpc): it refuses to build against any other Lua version,
 * and the engine's budget tests pin the instruction a budget stops at. */
#ifndef LX_LUA_COUNT_FAST_PATH_H
#define LX_LUA_COUNT_FAST_PATH_H

/* lvm.c's own first lines, so that ldebug.h can be read here and the macro
 * below defined after its declaration of luaG_traceexec. */
#define LUA_CORE
/* lprefix.h must come first, as in lvm.c. */
/* clang-format off */
#include "lprefix.h"
#include "lua.h"
#include "ldebug.h"
#include "lstate.h"
/* clang-format on */

#if LUA_VERSION_NUM != 504
#error "lua_count_fast_path.h follows Lua 5.4's luaG_traceexec: check it against this Lua"
#endif

static inline int lx_traceexec(lua_State* L, const Instruction* pc) {
  /* luaG_traceexec would decrement hookcount to a value above zero and
   * return 1 (keep trapping) without calling anything. */
  if (L->hookmask == LUA_MASKCOUNT && L->hookcount > 1) {
    --L->hookcount;
    L->ci->u.l.savedpc = pc + 1;
    return 1;
  }
  return (luaG_traceexec)(L, pc);
}

#define luaG_traceexec(L, pc) lx_traceexec((L), (pc))

#endif
