# Builds Lua 5.4 from the Debian source package that scripts/setup unpacks into
# .cache/lua, as a static position-independent library compiled as C++ (so Lua
# errors unwind C++ frames as exceptions) with a fixed hash seed and no sort
# pivot randomisation. Nothing of Lua is committed to this repository.

include(CheckCXXCompilerFlag)
# Zero-filled locals for the engine and Lua, so no stack garbage reaches the
# heap region (see lx_lua below and engine/CMakeLists.txt). Clang before 16
# takes the flag only with an acknowledgement flag beside it (the fuzz preset
# builds with Debian's clang 14).
set(LX_ZERO_INIT_LOCALS -ftrivial-auto-var-init=zero)
if(CMAKE_CXX_COMPILER_ID STREQUAL "Clang" AND CMAKE_CXX_COMPILER_VERSION VERSION_LESS 16)
  set(CMAKE_REQUIRED_FLAGS -enable-trivial-auto-var-init-zero-knowing-it-will-be-removed-from-clang)
  list(APPEND LX_ZERO_INIT_LOCALS ${CMAKE_REQUIRED_FLAGS})
endif()
check_cxx_compiler_flag(-ftrivial-auto-var-init=zero LX_HAVE_ZERO_INIT_LOCALS)
unset(CMAKE_REQUIRED_FLAGS)
if(NOT LX_HAVE_ZERO_INIT_LOCALS)
  message(FATAL_ERROR "the engine needs a compiler with -ftrivial-auto-var-init=zero "
                      "(GCC 12 or later, Clang 14 or later): see docs/snapshots.md")
endif()

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
# lauxlib.c's buffer placeholder must not be a C stack address (lua_determinism.h).
set_property(SOURCE "${LX_LUA_SOURCE_DIR}/lauxlib.c" APPEND PROPERTY COMPILE_DEFINITIONS
             LX_LUA_LAUXLIB)
# lvm.c counts the instruction budget inline (lua_count_fast_path.h).
set_property(SOURCE "${LX_LUA_SOURCE_DIR}/lvm.c" APPEND PROPERTY COMPILE_OPTIONS
             -include "${PROJECT_SOURCE_DIR}/cmake/lua_count_fast_path.h")

add_library(lx_lua STATIC ${LX_LUA_SOURCES})
target_include_directories(lx_lua SYSTEM PUBLIC "${LX_LUA_SOURCE_DIR}")
# -ftrivial-auto-var-init=zero: Lua copies whole TValues from C locals whose
# value half it never set (nilK and boolF in lcode.c set only the type tag of
# the constant they store in a function's constant array), so without it the
# heap region would hold whatever the C stack held there: an address that
# moves with ASLR, in every snapshot and state hash (docs/snapshots.md).
target_compile_options(lx_lua PRIVATE
  -w -include "${PROJECT_SOURCE_DIR}/cmake/lua_determinism.h" ${LX_ZERO_INIT_LOCALS})
set_target_properties(lx_lua PROPERTIES
  POSITION_INDEPENDENT_CODE ON
  CXX_VISIBILITY_PRESET hidden
  VISIBILITY_INLINES_HIDDEN ON)
