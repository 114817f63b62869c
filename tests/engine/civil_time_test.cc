// CivilTime: UTC calendar arithmetic against dates checked by hand (and by
// GNU date), including leap days, negative times and ISO weeks.
#include "civil_time.h"

#include <catch2/catch.hpp>
#include <string>

using lx::engine::CivilTime;

namespace {

std::string format(int64_t t, const std::string& pattern) {
  CivilTime civil = CivilTime::from_unix(t);
  std::string out;
  for (std::size_t i = 0; i < pattern.size(); ++i) {
    if (pattern[i] != '%') {
      out += pattern[i];
      continue;
    }
    char piece[CivilTime::kMaxConversionBytes];
    auto length = civil.format_conversion(pattern[++i], piece);
    REQUIRE(length);
    out.append(piece, *length);
  }
  return out;
}

}  // namespace

TEST_CASE("known Unix times convert to their UTC dates", "[civil_time]") {
  CHECK(format(0, "%Y-%m-%d %H:%M:%S %a %j") == "1970-01-01 00:00:00 Thu 001");
  CHECK(format(-1, "%Y-%m-%d %H:%M:%S") == "1969-12-31 23:59:59");
  CHECK(format(951782400, "%F %A %B") == "2000-02-29 Tuesday February");
  CHECK(format(1700000000, "%c") == "Tue Nov 14 22:13:20 2023");
  CHECK(format(1700000000, "%D %r %y %e %I %p %u %w") == "11/14/23 10:13:20 PM 23 14 10 PM 2 2");
  CHECK(format(4102444800, "%Y-%m-%d") == "2100-01-01");  // 2100 is not a leap year
  CHECK(format(-2208988800, "%Y-%m-%d") == "1900-01-01");
  CHECK(format(1609632000, "%G-W%V-%u %U %W") == "2020-W53-7 01 00");  // 2021-01-03
  CHECK(format(1704067200, "%G-W%V %z %Z %%") == "2024-W01 +0000 UTC %");
  char piece[CivilTime::kMaxConversionBytes];
  CHECK_FALSE(CivilTime::from_unix(0).format_conversion('Q', piece));
}

TEST_CASE("to_unix normalizes fields and inverts from_unix", "[civil_time]") {
  CHECK(CivilTime::to_unix(1970, 1, 1, 0, 0, 0) == 0);
  CHECK(CivilTime::to_unix(2023, 13, 1, 0, 0, 0) == CivilTime::to_unix(2024, 1, 1, 0, 0, 0));
  CHECK(CivilTime::to_unix(2024, 3, 0, 0, 0, 0) == CivilTime::to_unix(2024, 2, 29, 0, 0, 0));
  CHECK(CivilTime::to_unix(2000, 1, 1, -1, 0, 0) == 946681200);
  for (int64_t t = -5000000000; t < 5000000000; t += 86399 * 37 + 11) {
    CivilTime c = CivilTime::from_unix(t);
    REQUIRE(CivilTime::to_unix(c.year, c.month, c.day, c.hour, c.minute, c.second) == t);
    REQUIRE(c.year_day == CivilTime::days_from_civil(c.year, c.month, c.day) -
                              CivilTime::days_from_civil(c.year, 1, 1));
  }
}
