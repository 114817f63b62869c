// The one Catch2 main of lx_host_tests.
#define CATCH_CONFIG_MAIN
#include <catch2/catch.hpp>
