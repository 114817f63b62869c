// The one Catch2 main of the replay tools' tests (lxreplay, lxdiff, chaos).
#define CATCH_CONFIG_MAIN
#include <catch2/catch.hpp>
