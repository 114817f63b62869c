# Tests of lxreplay and lxdiff (and, with the chaos engine, of divergence
# reports): one Catch2 executable over scripted sessions recorded through a
# real engine and wal::Recorder, plus runs of the real binaries.
if(TARGET lx_lxreplay AND TARGET lxengine)
  set(lx_replay_test_sources
    "${CMAKE_CURRENT_LIST_DIR}/lxreplay_session.cc"
    "${CMAKE_CURRENT_LIST_DIR}/lxreplay_test.cc"
    "${CMAKE_CURRENT_LIST_DIR}/inspect_test.cc"
    "${CMAKE_CURRENT_LIST_DIR}/state_diff_test.cc"
    "${CMAKE_CURRENT_LIST_DIR}/autopsy_test.cc"
    "${CMAKE_CURRENT_LIST_DIR}/replies_test.cc"
    "${CMAKE_CURRENT_LIST_DIR}/snapshot_replay_test.cc")
  if(TARGET lx_lxdiff)
    list(APPEND lx_replay_test_sources "${CMAKE_CURRENT_LIST_DIR}/lxdiff_test.cc")
  endif()
  if(TARGET lxengine_chaos)
    list(APPEND lx_replay_test_sources "${CMAKE_CURRENT_LIST_DIR}/chaos_test.cc")
  endif()
  add_executable(lx_replay_tools_tests ${lx_replay_test_sources})
  target_link_libraries(lx_replay_tools_tests PRIVATE lx_lxreplay lx_catch_main lx_warnings)
  add_dependencies(lx_replay_tools_tests lxengine lxreplay)
  target_compile_definitions(lx_replay_tools_tests PRIVATE
    LX_LXREPLAY_BIN="$<TARGET_FILE:lxreplay>"
    LX_TEST_APPS="${CMAKE_CURRENT_LIST_DIR}/apps")
  if(TARGET lx_lxdiff)
    target_link_libraries(lx_replay_tools_tests PRIVATE lx_lxdiff)
    add_dependencies(lx_replay_tools_tests lxdiff)
    target_compile_definitions(lx_replay_tools_tests PRIVATE LX_LXDIFF_BIN="$<TARGET_FILE:lxdiff>")
  endif()
  if(TARGET lxengine_chaos)
    add_dependencies(lx_replay_tools_tests lxengine_chaos)
    target_compile_definitions(lx_replay_tools_tests PRIVATE
      LX_CHAOS_ENGINE="$<TARGET_FILE:lxengine_chaos>")
  endif()
  catch_discover_tests(lx_replay_tools_tests TEST_PREFIX "tools: " PROPERTIES TIMEOUT 120)
endif()

# End to end: lxrun records while real clients (sockets, wrk) talk to the
# samples; lxreplay and lxdiff check the logs.
find_package(Python3 COMPONENTS Interpreter)
if(Python3_Interpreter_FOUND AND TARGET lxrun AND TARGET lxreplay AND TARGET lxdiff
   AND TARGET lxdump AND TARGET lxengine)
  foreach(test test_echo_clients_record_and_replay test_http_under_wrk_record_and_replay
               test_http_conversation_replies_are_what_the_clients_got
               test_chat_record_and_replay test_upper_stdin_record_and_replay
               test_proxy_record_and_replay
               test_chaos_engine_names_the_spoiled_event_of_an_http_recording
               test_engine_crash_is_in_the_log_and_replay_repeats_it)
    string(REGEX REPLACE "^test_" "" short "${test}")
    add_test(NAME "e2e: replay ${short}"
             COMMAND Python3::Interpreter "${CMAKE_CURRENT_LIST_DIR}/lxreplay_e2e.py" ${test})
    set(chaos "")
    if(TARGET lxengine_chaos)
      set(chaos "$<TARGET_FILE:lxengine_chaos>")
    endif()
    set_tests_properties("e2e: replay ${short}" PROPERTIES
      ENVIRONMENT "LXRUN=$<TARGET_FILE:lxrun>;LX_SAMPLES=${PROJECT_SOURCE_DIR}/samples;LXREPLAY=$<TARGET_FILE:lxreplay>;LXDIFF=$<TARGET_FILE:lxdiff>;LXDUMP=$<TARGET_FILE:lxdump>;LX_CHAOS_ENGINE=${chaos}"
      TIMEOUT 120
      SKIP_RETURN_CODE 77
      LABELS e2e)
  endforeach()
endif()
