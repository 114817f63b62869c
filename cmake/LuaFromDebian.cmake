# Builds Lua 5.4 from the Debian source package that scripts/setup unpacks into
# .cache/lua, as a static position-independent library compiled as C++ (so Lua
# errors unwind C++ frames as exceptions) with a fixed hash seed and no sort
# pivot randomisation. Nothing of Lua is committed to this repository.

set(LX_LUA_SOURCE_DIR "${PROJECT_SOURCE_DIR}/.cache/lua/src"
    CACHE PATH "Unpacked Lua 5.4 src/ directory (filled by scripts/setup)")

if(NOT EXISTS "${LX_LUA_SOURCE_DIR}/lapi.c")
  message(FATAL_ERROR
    "Lua 5.4 source not found in ${LX_LUA_SOURCE_DIR}; run scripts/setup first "
    "(it fetches Debian's lua5.4 source package into .cache/lua)")
endif()

# The core and the libraries the sandbox opens. Left out on purpose: lua.c and
# luac.c (programs), linit.c, liolib.c, loslib.c, loadlib.c and ldblib.c (I/O,
# clocks, the environment and dynamic loading have no place in the engine).
set(LX_LUA_FILES
  lapi lcode lctype ldebug ldo ldump lfunc lgc llex lmem lobject lopcodes
  lparser lstate lstring ltable ltm lundump lvm lzio
  lauxlib lbaselib lcorolib lmathlib lstrlib ltablib lutf8lib)
set(LX_LUA_SOURCES "")
foreach(name IN LISTS LX_LUA_FILES)
  list(APPEND LX_LUA_SOURCES "${LX_LUA_SOURCE_DIR}/${name}.c")
endforeach()
set_source_files_properties(${LX_LUA_SOURCES} PROPERTIES LANGUAGE CXX)

add_library(lx_lua STATIC ${LX_LUA_SOURCES})
target_include_directories(lx_lua SYSTEM PUBLIC "${LX_LUA_SOURCE_DIR}")
target_compile_options(lx_lua PRIVATE
  -w -include "${PROJECT_SOURCE_DIR}/cmake/lua_determinism.h")
set_target_properties(lx_lua PROPERTIES
  POSITION_INDEPENDENT_CODE ON
  CXX_VISIBILITY_PRESET hidden
  VISIBILITY_INLINES_HIDDEN ON)
