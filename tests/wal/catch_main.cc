// The one Catch2 main for the wal test executables (Debian's Catch2 v2.13
// ships no Catch2WithMain target).
#define CATCH_CONFIG_MAIN
#include <catch2/catch.hpp>
