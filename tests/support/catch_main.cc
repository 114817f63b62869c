// The one Catch2 main shared by the test executables (Catch2 v2.13 has no
// Catch2WithMain target): compiling it once saves every test binary the cost.
#define CATCH_CONFIG_MAIN
#include <catch2/catch.hpp>
