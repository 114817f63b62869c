# append_bench: the recording thread's cost per event (median, p99, p99.9 ns)
# against spdlog's async logger on the same bytes. Needs libspdlog-dev, which
# bench/run installs; without it the target is left out. Not a test.
find_package(spdlog QUIET)
if(TARGET lx_wal AND spdlog_FOUND)
  add_executable(append_bench "${CMAKE_CURRENT_LIST_DIR}/append_bench.cc")
  target_link_libraries(append_bench PRIVATE lx_wal spdlog::spdlog PkgConfig::ZSTD fmt::fmt lx_warnings)
endif()
