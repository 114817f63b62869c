# Logs of earlier format versions still dump the same and replay.
if(TARGET lxdump AND TARGET lxreplay AND TARGET lxengine)
  add_test(NAME "tools: logs of earlier versions still dump the same and replay"
           COMMAND bash "${CMAKE_CURRENT_LIST_DIR}/format_compat.sh" "$<TARGET_FILE:lxdump>"
                   "$<TARGET_FILE:lxreplay>" "${PROJECT_SOURCE_DIR}/tests/data")
endif()
