# lxdump's tests: run_lxdump in-process for output formats, the lxdump
# binary as a subprocess for exit codes, flags, follow mode and fuzzed logs.
if(TARGET lxdump AND TARGET lx_wal_test_util)
  add_executable(lxdump_test "${CMAKE_CURRENT_LIST_DIR}/lxdump_test.cc")
  target_link_libraries(lxdump_test PRIVATE lx_lxdump lx_wal_test_util lx_warnings)
  target_compile_definitions(lxdump_test PRIVATE LXDUMP_PATH="$<TARGET_FILE:lxdump>")
  add_dependencies(lxdump_test lxdump)
  catch_discover_tests(lxdump_test PROPERTIES TIMEOUT 300)
endif()
