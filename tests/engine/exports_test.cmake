# Checks that liblxengine.so exports exactly one symbol, lx_engine_api.
# Run with -DLIBRARY=<path to liblxengine.so> -DNM=<nm>.
execute_process(COMMAND "${NM}" -D --defined-only "${LIBRARY}"
                OUTPUT_VARIABLE symbols RESULT_VARIABLE result)
if(NOT result EQUAL 0)
  message(FATAL_ERROR "nm failed on ${LIBRARY}")
endif()
string(REGEX MATCHALL "[^\n]+" lines "${symbols}")
set(names "")
foreach(line IN LISTS lines)
  string(REGEX REPLACE "^.* " "" name "${line}")
  list(APPEND names "${name}")
endforeach()
if(NOT names STREQUAL "lx_engine_api")
  message(FATAL_ERROR "liblxengine.so must export only lx_engine_api, it exports: ${names}")
endif()
message(STATUS "liblxengine.so exports only lx_engine_api")
