# heap_bench: the engine's deterministic heap against glibc malloc behind the
# same lua_Alloc, on one allocation-heavy Lua script. Links lx_engine_core
# for its Heap; the engine itself is unchanged. Not a test.
if(TARGET lx_engine_core AND TARGET lx_lua)
  add_executable(heap_bench "${CMAKE_CURRENT_LIST_DIR}/heap_bench.cc")
  target_link_libraries(heap_bench PRIVATE lx_engine_core lx_lua lx_common PkgConfig::ZSTD fmt::fmt
                        lx_warnings)
endif()
