# wal_bench: append cost, writer throughput, ratio against the zstd CLI, and
# streaming flushes against one frame per flush. Prints numbers; not a test.
if(TARGET lx_wal)
  add_executable(wal_bench "${CMAKE_CURRENT_LIST_DIR}/wal_bench.cc")
  target_link_libraries(wal_bench PRIVATE lx_wal PkgConfig::ZSTD fmt::fmt lx_warnings)
endif()
