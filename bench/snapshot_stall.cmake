# snapshot_stall: the serving thread's stall at a snapshot (fork) for heaps of
# 1 MB, 100 MB and 1 GiB, against a copy in place. Prints numbers; not a test.
if(TARGET lx_host AND TARGET lxengine)
  add_executable(snapshot_stall "${CMAKE_CURRENT_LIST_DIR}/snapshot_stall.cc")
  target_link_libraries(snapshot_stall PRIVATE lx_host fmt::fmt lx_warnings)
  add_dependencies(snapshot_stall lxengine)
endif()
