// Holds Catch2's precompiled header (tests/CMakeLists.txt): the test
// executables reuse it instead of each parsing the 17,000 lines of
// catch2/catch.hpp again. Nothing else belongs here.
