// Reserving the engine heap: fresh zero pages, a taken range fails cleanly,
// moves transfer ownership.
#include "lx/host/heap_region.h"

#include <catch2/catch.hpp>
#include <cstring>

using lx::host::HeapRegion;

namespace {
// Away from the default base so a test never collides with an engine test.
constexpr uint64_t kTestBase = 0x300000000000ull;
constexpr uint64_t kTestBytes = 64ull << 20;
}  // namespace

TEST_CASE("a region is mapped at its base, zero and writable", "[host][heap]") {
  auto region = HeapRegion::reserve(kTestBase, kTestBytes);
  REQUIRE(region.ok());
  auto* bytes = static_cast<uint8_t*>(region.value().base());
  CHECK(reinterpret_cast<uint64_t>(bytes) == kTestBase);
  CHECK(region.value().bytes() == kTestBytes);
  CHECK(region.value().fresh());
  CHECK(bytes[0] == 0);
  CHECK(bytes[kTestBytes - 1] == 0);
  bytes[12345] = 7;
  CHECK(bytes[12345] == 7);
}

TEST_CASE("reserving the same base twice fails with a message saying what to do", "[host][heap]") {
  auto first = HeapRegion::reserve(kTestBase, kTestBytes);
  REQUIRE(first.ok());
  auto second = HeapRegion::reserve(kTestBase, kTestBytes);
  REQUIRE_FALSE(second.ok());
  CHECK(second.status().message().find("already mapped") != std::string::npos);
  CHECK(second.status().message().find("--heap-base") != std::string::npos);
}

TEST_CASE("a region is unmapped on destruction and moves keep one owner", "[host][heap]") {
  {
    auto region = HeapRegion::reserve(kTestBase, kTestBytes);
    REQUIRE(region.ok());
    HeapRegion moved = std::move(region.value());
    CHECK(region.value().base() == nullptr);
    CHECK(reinterpret_cast<uint64_t>(moved.base()) == kTestBase);
  }
  // The range is free again, and its pages are fresh zero pages.
  auto again = HeapRegion::reserve(kTestBase, kTestBytes);
  REQUIRE(again.ok());
  CHECK(static_cast<uint8_t*>(again.value().base())[12345] == 0);
}

TEST_CASE("a misaligned base or size is refused", "[host][heap]") {
  CHECK_FALSE(HeapRegion::reserve(kTestBase + 1, kTestBytes).ok());
  CHECK_FALSE(HeapRegion::reserve(kTestBase, 0).ok());
  CHECK_FALSE(HeapRegion::reserve(0, kTestBytes).ok());
}
