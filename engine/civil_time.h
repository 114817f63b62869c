// CivilTime: UTC calendar arithmetic and strftime-style formatting for the
// sandbox's os.time / os.date, written without the C library's time
// functions (they read time zones, locales and files).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>

namespace lx::engine {

struct CivilTime {
  int64_t year = 1970;
  int month = 1;     // 1-12
  int day = 1;       // 1-31
  int hour = 0;      // 0-23
  int minute = 0;    // 0-59
  int second = 0;    // 0-59
  int weekday = 4;   // 0-6, Sunday = 0
  int year_day = 0;  // 0-365, 1 January = 0

  // Largest |seconds| accepted: about 2.8 billion years either side of 1970.
  static constexpr int64_t kMaxAbsSeconds = int64_t{1} << 56;

  // Days since 1970-01-01 of a proleptic Gregorian date (month 1-12).
  static int64_t days_from_civil(int64_t year, int month, int day);
  // The UTC calendar fields of a Unix time; |seconds| <= kMaxAbsSeconds.
  static CivilTime from_unix(int64_t seconds);
  // The Unix time of UTC fields, normalizing out-of-range values the way
  // mktime does (month 13 is January of the next year, day 0 the last day of
  // the previous month, ...). Each field must lie within +-2^31.
  static int64_t to_unix(int64_t year, int64_t month, int64_t day, int64_t hour, int64_t minute,
                         int64_t second);

  // Writes the expansion of one strftime conversion (the letter after '%',
  // e.g. 'Y') into out and returns its length, or nullopt for a conversion
  // this implementation does not know. out must hold at least kMaxConversionBytes.
  // Composite conversions (c, D, F, r, R, T, x, X) expand fully.
  static constexpr std::size_t kMaxConversionBytes = 64;
  std::optional<std::size_t> format_conversion(char conversion, char* out) const;
};

}  // namespace lx::engine
