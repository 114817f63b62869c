# Replays of the regression inputs in tests/data/regress (see its README.md).
find_package(Python3 COMPONENTS Interpreter)
if(Python3_Interpreter_FOUND AND TARGET lxreplay AND TARGET lxengine)
  foreach(test test_runaway_main_replay_ends_at_the_budget)
    string(REGEX REPLACE "^test_" "" short "${test}")
    add_test(NAME "e2e: regress ${short}"
             COMMAND Python3::Interpreter "${CMAKE_CURRENT_LIST_DIR}/regress_e2e.py" ${test})
    set_tests_properties("e2e: regress ${short}" PROPERTIES
      ENVIRONMENT "LXREPLAY=$<TARGET_FILE:lxreplay>;LX_REGRESS=${PROJECT_SOURCE_DIR}/tests/data/regress"
      TIMEOUT 120
      LABELS e2e)
  endforeach()
endif()
