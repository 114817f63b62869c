# What the build does to take less time: precompiled headers for the host
# side, and no optimization for the files that only declare a command line.
#
# Parsing the standard headers and fmt
# was most of the time a host-side file took to compile (2 Dec: 8.2 of 9.2 s
# for wal/staging_ring.cc, 10.2 of 15.1 s for driver/src/segment_directory.cc
# with -fsyntax-only against a full -O2 -g compile), and most files include
# the same few. They are parsed once per build here, and every library and
# program of the host-side folders (not engine/, whose purity check reads
# its includes, nor Lua, nor the clang fuzz build) reuses the result.
#
# GCC takes a precompiled header only where the flags that shape it agree:
# position-independent code and the macros the headers test (fmt::fmt's
# FMT_SHARED). So there is one holder for each code model, every user gets
# fmt's definitions, and CMake's -Winvalid-pch (an error under -Werror) says
# so loudly if a user ever disagrees.

# The headers: those more than a few host-side files include, and fmt.
set(LX_HOST_PCH_HEADERS
  <algorithm> <cstdint> <cstdio> <cstring> <functional> <map> <memory> <optional>
  <string> <string_view> <utility> <vector> <fmt/format.h>)

# Gives `target` fmt's compile definitions, which the precompiled fmt was
# built with, whether or not it links fmt.
function(lx_pch_definitions target)
  target_compile_definitions(${target} PRIVATE
    $<TARGET_PROPERTY:fmt::fmt,INTERFACE_COMPILE_DEFINITIONS>)
endfunction()

# An object library `name` that only holds a precompiled header of `headers`
# (the rest of the arguments), with the project's warnings.
function(lx_pch_holder name)
  add_library(${name} OBJECT "${PROJECT_SOURCE_DIR}/cmake/pch_holder.cc")
  target_link_libraries(${name} PRIVATE lx_warnings)
  lx_pch_definitions(${name})
  target_precompile_headers(${name} PRIVATE ${ARGN})
endfunction()

# Calls `callback(target)` for every C++ library and program defined in
# `directory` and below it.
function(lx_for_each_compiled_target directory callback)
  get_property(targets DIRECTORY "${directory}" PROPERTY BUILDSYSTEM_TARGETS)
  foreach(target IN LISTS targets)
    get_target_property(type ${target} TYPE)
    if(type MATCHES "^(STATIC_LIBRARY|OBJECT_LIBRARY|SHARED_LIBRARY|EXECUTABLE)$")
      cmake_language(CALL ${callback} ${target})
    endif()
  endforeach()
  get_property(subdirectories DIRECTORY "${directory}" PROPERTY SUBDIRECTORIES)
  foreach(subdirectory IN LISTS subdirectories)
    lx_for_each_compiled_target("${subdirectory}" ${callback})
  endforeach()
endfunction()

function(lx_use_host_pch target)
  get_target_property(disabled ${target} DISABLE_PRECOMPILE_HEADERS)
  if(disabled)
    return()
  endif()
  get_target_property(pic ${target} POSITION_INDEPENDENT_CODE)
  lx_pch_definitions(${target})
  if(pic)
    target_precompile_headers(${target} REUSE_FROM lx_host_pch_pic)
  else()
    target_precompile_headers(${target} REUSE_FROM lx_host_pch)
  endif()
endfunction()

# Every compiled target of the host-side folders `parts` reuses the holder
# of its code model.
function(lx_host_pch)
  lx_pch_holder(lx_host_pch ${LX_HOST_PCH_HEADERS})
  lx_pch_holder(lx_host_pch_pic ${LX_HOST_PCH_HEADERS})
  set_target_properties(lx_host_pch_pic PROPERTIES POSITION_INDEPENDENT_CODE ON)
  foreach(part IN LISTS ARGN)
    if(EXISTS "${PROJECT_SOURCE_DIR}/${part}/CMakeLists.txt")
      lx_for_each_compiled_target("${PROJECT_SOURCE_DIR}/${part}" lx_use_host_pch)
    endif()
  endforeach()
endfunction()

# `target` holds a program's CLI11 command line and nothing else (a main.cc
# that fills an options struct and calls the program's run function). It is
# compiled without optimization: CLI11's templates took 26 of the 33 s that
# tools/lxdump/main.cc took at -O2 (14 s at -O0, 2 Dec), and a command line
# is parsed once. It parses its own headers (the precompiled ones are -O2).
function(lx_command_line target)
  target_link_libraries(${target} PRIVATE CLI11::CLI11)
  target_compile_options(${target} PRIVATE -O0)
  set_target_properties(${target} PROPERTIES DISABLE_PRECOMPILE_HEADERS ON)
endfunction()
