/* Forced into every Lua translation unit (-include) so that the interpreter
 * never reads a clock or an address for its hash seed or sort pivots: the
 * engine's state must be a pure function of the events fed to it. */
#ifndef LX_LUA_DETERMINISM_H
#define LX_LUA_DETERMINISM_H
/* String-hash seed: a constant instead of time(NULL) mixed with addresses. */
#define luai_makeseed(L) ((unsigned int)0x6c785eedu)
/* table.sort pivot randomisation: off, instead of clock() ^ time(). */
#define l_randomizePivot() 0u
/* luaL_buffinit (lauxlib.c) pushes the address of its luaL_Buffer, which is on
 * the C stack, as a placeholder on the Lua stack. The value stays behind in
 * the dead stack slot, and in every copy of a grown stack, inside the heap
 * region: the region's bytes (snapshots, the state hash) would then hold an
 * address that moves with ASLR. Nothing reads the placeholder's value (only a
 * lua_assert, which is off), so lauxlib.c pushes one that never moves: the
 * address of luaL_buffinit itself, in the fixed-address engine library.
 * LuaFromDebian.cmake defines LX_LUA_LAUXLIB for lauxlib.c only. */
#if defined(LX_LUA_LAUXLIB)
#define lua_pushlightuserdata(L, p) (lua_pushlightuserdata)((L), (void*)&luaL_buffinit)
#endif
#endif
