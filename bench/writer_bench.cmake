# writer_bench: the whole log writer's MB/s against bare ZSTD_compressStream2
# level 1 on the same record bytes in the same process. Not a test.
if(TARGET lx_wal)
  add_executable(writer_bench "${CMAKE_CURRENT_LIST_DIR}/writer_bench.cc")
  target_link_libraries(writer_bench PRIVATE lx_wal PkgConfig::ZSTD fmt::fmt lx_warnings)
endif()
