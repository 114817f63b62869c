// TextCursor: writes text at a position in a buffer the caller has already
// made large enough, with plain stores and no bounds checks, so a line that
// runs once per record (lxdump's) costs a few instructions a field rather
// than a checked append per character.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>

namespace lx::tools {

// The most characters each put_ function below writes (the caller reserves
// the sum for the line before writing it).
inline constexpr size_t kMaxDecimalChars = 20;  // UINT64_MAX, or "-" and INT64_MIN's 19 digits
inline constexpr size_t kHex64Chars = 18;       // "0x" and 16 digits

inline constexpr char kHexDigits[] = "0123456789abcdef";

namespace text_cursor_detail {

// "00" to "99": the two digits of each number below 100.
struct DigitPairs {
  char text[200];
  constexpr DigitPairs() : text() {
    for (int i = 0; i < 100; ++i) {
      text[2 * i] = static_cast<char>('0' + i / 10);
      text[2 * i + 1] = static_cast<char>('0' + i % 10);
    }
  }
};
inline constexpr DigitPairs kDigitPairs;

// 10^i for i < 20.
struct PowersOfTen {
  uint64_t value[20];
  constexpr PowersOfTen() : value() {
    uint64_t power = 1;
    for (int i = 0; i < 20; ++i, power *= 10) value[i] = power;
  }
};
inline constexpr PowersOfTen kPowersOfTen;

// How many decimal digits value has (1 for 0). Compares, not arithmetic on
// the bit length: a line's numbers mostly keep their digit count from one
// record to the next, so the branches are predicted and the digits' stores
// need not wait for a chain of bsr, multiply and table load.
constexpr int decimal_digits(uint64_t value) {
  for (int digits = 1; digits < 20; ++digits)
    if (value < kPowersOfTen.value[digits]) return digits;
  return 20;
}

}  // namespace text_cursor_detail

class TextCursor {
 public:
  // at: where the text goes; the caller guarantees room for all of it.
  explicit TextCursor(char* at) : at_(at) {}

  // One past the last character written.
  char* end() const { return at_; }
  // After text written at end() by a function that returned its end.
  void skip_to(char* end) { at_ = end; }

  void put(char c) { *at_++ = c; }
  // A string literal, copied with a size known when compiling.
  template <size_t N>
  void put_literal(const char (&text)[N]) {
    std::memcpy(at_, text, N - 1);
    at_ += N - 1;
  }
  void put(std::string_view text) {
    std::memcpy(at_, text.data(), text.size());
    at_ += text.size();
  }

  // value in decimal, as std::to_string writes it.
  void put_u64(uint64_t value) {
    if (value < 100) {  // channel ids and many sizes: no digit count, one store
      if (value < 10) {
        *at_++ = static_cast<char>('0' + value);
      } else {
        std::memcpy(at_, text_cursor_detail::kDigitPairs.text + 2 * value, 2);
        at_ += 2;
      }
      return;
    }
    if (value < 1000) {  // many sizes (a reply's 127 bytes): one digit and a pair
      const uint64_t hundreds = value / 100;
      at_[0] = static_cast<char>('0' + hundreds);
      std::memcpy(at_ + 1, text_cursor_detail::kDigitPairs.text + 2 * (value - 100 * hundreds), 2);
      at_ += 3;
      return;
    }
    const int digits = text_cursor_detail::decimal_digits(value);
    at_ += digits;
    put_digits_before(at_, value);
  }
  // value (< 100) as two digits, "07" for 7.
  void put_two_digits(uint32_t value) {
    std::memcpy(at_, text_cursor_detail::kDigitPairs.text + 2 * value, 2);
    at_ += 2;
  }
  void put_i64(int64_t value) {
    uint64_t magnitude = static_cast<uint64_t>(value);
    if (value < 0) {
      *at_++ = '-';
      magnitude = 0 - magnitude;  // INT64_MIN's magnitude too
    }
    put_u64(magnitude);
  }
  // value in decimal with at least width digits (leading zeros); width <= 20.
  void put_padded(uint64_t value, int width) {
    const int digits = text_cursor_detail::decimal_digits(value);
    char* const start = at_;
    at_ += digits < width ? width : digits;
    char* p = put_digits_before(at_, value);
    while (p > start) *--p = '0';
  }
  // "0x" and 16 lower-case hex digits.
  void put_hex64(uint64_t value) {
    at_[0] = '0';
    at_[1] = 'x';
    for (int i = 17; i >= 2; --i, value >>= 4) at_[i] = kHexDigits[value & 15];
    at_ += kHex64Chars;
  }

 private:
  // value's decimal digits, two at a time from the right, ending at end.
  // @return where they begin.
  static char* put_digits_before(char* end, uint64_t value) {
    char* p = end;
    while (value >= 100) {
      p -= 2;
      std::memcpy(p, text_cursor_detail::kDigitPairs.text + 2 * (value % 100), 2);
      value /= 100;
    }
    if (value >= 10) {
      p -= 2;
      std::memcpy(p, text_cursor_detail::kDigitPairs.text + 2 * value, 2);
    } else {
      *--p = static_cast<char>('0' + value);
    }
    return p;
  }

  char* at_;
};

}  // namespace lx::tools
