# The tools' shared text forms (tools/common): escaped payload previews,
# hashes, times, JSON Lines objects and TextCursor's digits, checked exactly
# and without a log.
if(TARGET lx_tools_common)
  add_executable(lx_tools_text_test "${CMAKE_CURRENT_LIST_DIR}/record_text_test.cc"
                                    "${CMAKE_CURRENT_LIST_DIR}/json_line_test.cc"
                                    "${CMAKE_CURRENT_LIST_DIR}/text_cursor_test.cc")
  target_link_libraries(lx_tools_text_test PRIVATE lx_tools_common lx_catch_main lx_warnings)
  catch_discover_tests(lx_tools_text_test TEST_PREFIX "tools: " PROPERTIES TIMEOUT 60)
endif()
