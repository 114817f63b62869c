# The tools' command-line contract (issue 8's defects), end to end.
find_package(Python3 COMPONENTS Interpreter)
if(Python3_Interpreter_FOUND AND TARGET lxrun AND TARGET lxreplay AND TARGET lxdiff
   AND TARGET lxdump)
  foreach(test test_a_lone_bad_flag_is_named test_help_names_the_program_and_lists_its_exit_codes
               test_lxdump_type_accept_result_and_end
               test_lxdump_range_beyond_the_end_warns_and_shows_the_end
               test_lxdump_minus_zero_is_reported_as_typed
               test_lxdump_up_to_range_prints_the_first_events test_every_reader_takes_standard_input
               test_a_salvaged_replay_of_a_damaged_middle_never_matches
               test_break_at_after_until_or_past_the_end_is_reported
               test_json_summary_even_for_errors
               test_what_if_app_with_a_syntax_error_shows_the_lua_error
               test_error_texts_say_each_thing_once
               test_regression_crash_marker_gap_is_reported_by_both_readers
               test_a_damaged_index_is_reported_and_strict_fails
               test_a_damaged_trailer_replays_like_a_missing_one
               test_follow_ends_when_the_recorder_is_killed
               test_lxrun_record_to_standard_output_is_refused
               test_logs_of_older_formats_print_as_they_did)
    string(REGEX REPLACE "^test_" "" short "${test}")
    string(REPLACE "_" " " short "${short}")
    add_test(NAME "tools: ${short}"
             COMMAND Python3::Interpreter "${CMAKE_CURRENT_LIST_DIR}/test_tool_contract.py" ${test})
    set_tests_properties("tools: ${short}" PROPERTIES
      ENVIRONMENT "LX_SAMPLES=${PROJECT_SOURCE_DIR}/samples;LXRUN=$<TARGET_FILE:lxrun>;LXREPLAY=$<TARGET_FILE:lxreplay>;LXDIFF=$<TARGET_FILE:lxdiff>;LXDUMP=$<TARGET_FILE:lxdump>;LX_TEST_DATA=${PROJECT_SOURCE_DIR}/tests/data"
      TIMEOUT 120 SKIP_RETURN_CODE 77)
  endforeach()
endif()

# Every --json line of every tool against docs/json.md.
if(Python3_Interpreter_FOUND AND TARGET lxreplay AND TARGET lxdiff AND TARGET lxdump)
  foreach(tool lxdump lxreplay lxdiff)
    add_test(NAME "tools: ${tool} --json lines follow docs/json.md"
             COMMAND Python3::Interpreter "${CMAKE_CURRENT_LIST_DIR}/test_json_schema.py"
                     test_${tool}_lines_follow_the_schema)
    set_tests_properties("tools: ${tool} --json lines follow docs/json.md" PROPERTIES
      ENVIRONMENT "LXRUN=$<TARGET_FILE:lxrun>;LXREPLAY=$<TARGET_FILE:lxreplay>;LXDIFF=$<TARGET_FILE:lxdiff>;LXDUMP=$<TARGET_FILE:lxdump>;LX_TEST_DATA=${PROJECT_SOURCE_DIR}/tests/data;LX_DOCS=${PROJECT_SOURCE_DIR}/docs;LX_SAMPLES=${PROJECT_SOURCE_DIR}/samples"
      TIMEOUT 120)
  endforeach()
endif()

# The shared diagnostics of the tools, on a pseudo-terminal.
if(TARGET lx_tools_common)
  add_executable(tools_diagnostics_test "${CMAKE_CURRENT_LIST_DIR}/diagnostics_test.cc")
  target_link_libraries(tools_diagnostics_test PRIVATE lx_tools_common lx_catch_main util
                        lx_warnings)
  catch_discover_tests(tools_diagnostics_test TEST_PREFIX "tools: ")
endif()

# lxreplay --repl on a pseudo-terminal and from a pipe.
if(Python3_Interpreter_FOUND AND TARGET lxrun AND TARGET lxreplay AND TARGET lxdump)
  foreach(test test_repl_moves_forward_and_back_and_sees_the_same_state
               test_repl_line_editing_history_and_ctrl_c test_repl_from_a_pipe_answers_each_line
               test_repl_usage_errors)
    string(REGEX REPLACE "^test_" "" short "${test}")
    string(REPLACE "_" " " short "${short}")
    add_test(NAME "tools: ${short}"
             COMMAND Python3::Interpreter "${CMAKE_CURRENT_LIST_DIR}/test_repl.py" ${test})
    set_tests_properties("tools: ${short}" PROPERTIES
      ENVIRONMENT "LX_SAMPLES=${PROJECT_SOURCE_DIR}/samples;LXRUN=$<TARGET_FILE:lxrun>;LXREPLAY=$<TARGET_FILE:lxreplay>;LXDUMP=$<TARGET_FILE:lxdump>"
      TIMEOUT 120)
  endforeach()
endif()
