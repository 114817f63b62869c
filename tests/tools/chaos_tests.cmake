# The chaos engine (engine/chaos): the real engine with one deliberate,
# process-dependent flaw, built only with the tests so lxreplay and lxdiff can
# be shown a real divergence. Its tests are in chaos_test.cc, built by
# lxreplay_tests.cmake.
if(TARGET lxengine AND NOT TARGET lxengine_chaos
   AND EXISTS "${PROJECT_SOURCE_DIR}/engine/chaos/CMakeLists.txt")
  add_subdirectory("${PROJECT_SOURCE_DIR}/engine/chaos" "${CMAKE_BINARY_DIR}/engine/chaos")
endif()
