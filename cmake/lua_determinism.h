/* Forced into every Lua translation unit (-include) so that the interpreter
 * never reads a clock or an address for its hash seed or sort pivots: the
 * engine's state must be a pure function of the events fed to it. */
#ifndef LX_LUA_DETERMINISM_H
#define LX_LUA_DETERMINISM_H
/* String-hash seed: a constant instead of time(NULL) mixed with addresses. */
#define luai_makeseed(L) ((unsigned int)0x6c785eedu)
/* table.sort pivot randomisation: off, instead of clock() ^ time(). */
#define l_randomizePivot() 0u
#endif
