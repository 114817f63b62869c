// CivilTime: proleptic Gregorian calendar in UTC, as integer arithmetic.
#include "civil_time.h"

#include <charconv>
#include <cstring>

namespace lx::engine {
namespace {

constexpr const char* kWeekdayNames[7] = {"Sunday",   "Monday", "Tuesday", "Wednesday",
                                          "Thursday", "Friday", "Saturday"};
constexpr const char* kMonthNames[12] = {"January",   "February", "March",    "April",
                                         "May",       "June",     "July",     "August",
                                         "September", "October",  "November", "December"};

int64_t floor_div(int64_t a, int64_t b) {
  int64_t q = a / b;
  return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}

int64_t floor_mod(int64_t a, int64_t b) { return a - floor_div(a, b) * b; }

bool is_leap(int64_t year) { return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0; }

// Appends value zero-padded (or space-padded) to width digits.
std::size_t put_number(char* out, int64_t value, int width, char pad = '0') {
  char digits[24];
  auto result = std::to_chars(digits, digits + sizeof(digits), value);
  auto length = static_cast<std::size_t>(result.ptr - digits);
  std::size_t used = 0;
  bool negative = value < 0;
  if (negative) {
    out[used++] = '-';
    std::memmove(digits, digits + 1, --length);
  }
  for (auto i = static_cast<int>(length); i < width; ++i) out[used++] = pad;
  std::memcpy(out + used, digits, length);
  return used + length;
}

std::size_t put_text(char* out, const char* text, std::size_t max_bytes = 64) {
  std::size_t length = std::strlen(text);
  if (length > max_bytes) length = max_bytes;
  std::memcpy(out, text, length);
  return length;
}

// ISO 8601 week-numbering: week 1 holds the year's first Thursday.
int iso_weeks_in_year(int64_t year) {
  auto jan1 = static_cast<int>(floor_mod(CivilTime::days_from_civil(year, 1, 1) + 4, 7));
  return (jan1 == 4 || (jan1 == 3 && is_leap(year))) ? 53 : 52;
}

void iso_week(const CivilTime& t, int64_t* iso_year, int* week) {
  int monday_based = (t.weekday + 6) % 7 + 1;  // Monday = 1 ... Sunday = 7
  int w = (t.year_day + 1 - monday_based + 10) / 7;
  *iso_year = t.year;
  if (w < 1) {
    *iso_year = t.year - 1;
    w = iso_weeks_in_year(*iso_year);
  } else if (w > iso_weeks_in_year(t.year)) {
    *iso_year = t.year + 1;
    w = 1;
  }
  *week = w;
}

}  // namespace

int64_t CivilTime::days_from_civil(int64_t year, int month, int day) {
  // Shift the year to start in March, so the leap day is the last of it.
  int64_t y = month <= 2 ? year - 1 : year;
  int64_t era = floor_div(y, 400);
  int64_t year_of_era = y - era * 400;                            // [0, 399]
  int64_t shifted_month = month > 2 ? month - 3 : month + 9;      // March = 0
  int64_t day_of_year = (153 * shifted_month + 2) / 5 + day - 1;  // [0, 365]
  int64_t day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
  return era * 146097 + day_of_era - 719468;
}

CivilTime CivilTime::from_unix(int64_t seconds) {
  CivilTime t;
  int64_t days = floor_div(seconds, 86400);
  int64_t in_day = seconds - days * 86400;
  t.hour = static_cast<int>(in_day / 3600);
  t.minute = static_cast<int>(in_day % 3600 / 60);
  t.second = static_cast<int>(in_day % 60);
  t.weekday = static_cast<int>(floor_mod(days + 4, 7));  // 1970-01-01 was a Thursday
  int64_t z = days + 719468;
  int64_t era = floor_div(z, 146097);
  int64_t day_of_era = z - era * 146097;
  int64_t year_of_era =
      (day_of_era - day_of_era / 1460 + day_of_era / 36524 - day_of_era / 146096) / 365;
  int64_t day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
  int64_t shifted_month = (5 * day_of_year + 2) / 153;
  t.day = static_cast<int>(day_of_year - (153 * shifted_month + 2) / 5 + 1);
  t.month = static_cast<int>(shifted_month < 10 ? shifted_month + 3 : shifted_month - 9);
  t.year = year_of_era + era * 400 + (t.month <= 2 ? 1 : 0);
  t.year_day = static_cast<int>(days - days_from_civil(t.year, 1, 1));
  return t;
}

int64_t CivilTime::to_unix(int64_t year, int64_t month, int64_t day, int64_t hour, int64_t minute,
                           int64_t second) {
  int64_t month0 = month - 1;
  year += floor_div(month0, 12);
  month0 = floor_mod(month0, 12);
  int64_t days = days_from_civil(year, static_cast<int>(month0 + 1), 1) + (day - 1);
  return days * 86400 + hour * 3600 + minute * 60 + second;
}

std::optional<std::size_t> CivilTime::format_conversion(char conversion, char* out) const {
  std::size_t n = 0;
  auto nested = [&](const char* pattern) {
    for (const char* p = pattern; *p != '\0'; ++p) {
      if (*p == '%') {
        n += *format_conversion(*++p, out + n);
      } else {
        out[n++] = *p;
      }
    }
  };
  int hour12 = hour % 12 == 0 ? 12 : hour % 12;
  switch (conversion) {
    case 'a':
      n = put_text(out, kWeekdayNames[weekday], 3);
      break;
    case 'A':
      n = put_text(out, kWeekdayNames[weekday]);
      break;
    case 'b':
    case 'h':
      n = put_text(out, kMonthNames[month - 1], 3);
      break;
    case 'B':
      n = put_text(out, kMonthNames[month - 1]);
      break;
    case 'c':
      nested("%a %b %e %H:%M:%S %Y");
      break;
    case 'C':
      n = put_number(out, floor_div(year, 100), 2);
      break;
    case 'd':
      n = put_number(out, day, 2);
      break;
    case 'D':
      nested("%m/%d/%y");
      break;
    case 'e':
      n = put_number(out, day, 2, ' ');
      break;
    case 'F':
      nested("%Y-%m-%d");
      break;
    case 'g':
    case 'G':
    case 'V': {
      int64_t iso_year;
      int week;
      iso_week(*this, &iso_year, &week);
      if (conversion == 'V') {
        n = put_number(out, week, 2);
      } else if (conversion == 'G') {
        n = put_number(out, iso_year, 1);
      } else {
        n = put_number(out, floor_mod(iso_year, 100), 2);
      }
      break;
    }
    case 'H':
      n = put_number(out, hour, 2);
      break;
    case 'I':
      n = put_number(out, hour12, 2);
      break;
    case 'j':
      n = put_number(out, year_day + 1, 3);
      break;
    case 'm':
      n = put_number(out, month, 2);
      break;
    case 'M':
      n = put_number(out, minute, 2);
      break;
    case 'n':
      n = put_text(out, "\n");
      break;
    case 'p':
      n = put_text(out, hour < 12 ? "AM" : "PM");
      break;
    case 'r':
      nested("%I:%M:%S %p");
      break;
    case 'R':
      nested("%H:%M");
      break;
    case 'S':
      n = put_number(out, second, 2);
      break;
    case 't':
      n = put_text(out, "\t");
      break;
    case 'T':
      nested("%H:%M:%S");
      break;
    case 'u':
      n = put_number(out, weekday == 0 ? 7 : weekday, 1);
      break;
    case 'U':
      n = put_number(out, (year_day + 7 - weekday) / 7, 2);
      break;
    case 'w':
      n = put_number(out, weekday, 1);
      break;
    case 'W':
      n = put_number(out, (year_day + 7 - (weekday + 6) % 7) / 7, 2);
      break;
    case 'x':
      nested("%m/%d/%y");
      break;
    case 'X':
      nested("%H:%M:%S");
      break;
    case 'y':
      n = put_number(out, floor_mod(year, 100), 2);
      break;
    case 'Y':
      n = put_number(out, year, 1);
      break;
    case 'z':
      n = put_text(out, "+0000");
      break;
    case 'Z':
      n = put_text(out, "UTC");
      break;
    case '%':
      n = put_text(out, "%");
      break;
    default:
      return std::nullopt;
  }
  return n;
}

}  // namespace lx::engine
