# budget_bench: what the instruction budget (a Lua count hook) costs per
# update(), against an engine without one. Prints numbers; not a test.
if(TARGET lx_host AND TARGET lxengine)
  add_executable(budget_bench "${CMAKE_CURRENT_LIST_DIR}/budget_bench.cc")
  target_link_libraries(budget_bench PRIVATE lx_host fmt::fmt lx_warnings)
  add_dependencies(budget_bench lxengine)
endif()
