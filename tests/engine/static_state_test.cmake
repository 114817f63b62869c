# Checks that liblxengine.so keeps no mutable state outside the heap region:
# every symbol in its writable, non-relro sections (.data, .bss, and thread
# locals) must be one of the few below, each of which is not engine state.
# (Read-only-after-relocation tables, such as Lua's luaL_Reg arrays, live in
# .data.rel.ro and do not count.) Run with -DLIBRARY=<path> -DOBJDUMP=<objdump>.
execute_process(COMMAND "${OBJDUMP}" -t -C "${LIBRARY}"
                OUTPUT_VARIABLE table RESULT_VARIABLE result)
if(NOT result EQUAL 0)
  message(FATAL_ERROR "objdump failed on ${LIBRARY}")
endif()
# name (a regular expression) -> why it is not state
set(allowed
  "^completed\\.0$"                        # crt: set once by the library's destructor
  "^__TMC_END__$" "^__dso_handle$"         # crt: markers, never written
  "^DW\\.ref\\."                           # exception-handling references, written by the loader
  "^guard variable for lx::engine::api_table\\(\\)::table$"  # the C ABI table: built once, then constant
  "^lx::engine::api_table\\(\\)::table$"
  "^lx::engine::g_assert_message$"         # written only when an assertion traps the process
  "^__asan" "^___asan" "^__odr_asan"       # AddressSanitizer's bookkeeping (asan preset)
)
string(REGEX MATCHALL "[^\n]+" lines "${table}")
set(found "")
set(bad "")
foreach(line IN LISTS lines)
  # "<address> <flags> <section>\t<size> <name>"
  if(NOT line MATCHES "^[0-9a-f]+ ....... (\\.data|\\.bss|\\.tdata|\\.tbss)\t([0-9a-f]+) +(.*)$")
    continue()
  endif()
  set(name "${CMAKE_MATCH_3}")
  if(name MATCHES "^\\.")  # the section's own symbol
    continue()
  endif()
  list(APPEND found "${name}")
  set(ok FALSE)
  foreach(pattern IN LISTS allowed)
    if(name MATCHES "${pattern}")
      set(ok TRUE)
    endif()
  endforeach()
  if(NOT ok)
    list(APPEND bad "${name}")
  endif()
endforeach()
list(LENGTH found count)
if(count LESS 3)
  message(FATAL_ERROR "found only ${count} symbols in .data/.bss of ${LIBRARY}: is objdump's output as expected?")
endif()
if(bad)
  string(REPLACE ";" "\n  " text "${bad}")
  message(FATAL_ERROR "liblxengine.so has mutable statics outside the heap region, which a "
                      "snapshot would not carry (docs/snapshots.md); move them into DrivenEngine "
                      "or make them const:\n  ${text}")
endif()
message(STATUS "liblxengine.so: ${count} symbols in .data/.bss, none of them engine state")
