// lx::Status and lx::Result<T>: how host-side code (driver, wal, tools)
// returns operating errors (bad input, I/O, corruption) that the caller must
// handle. Programmer errors are LX_ASSERTs instead.
#pragma once

#include <cstring>
#include <string>
#include <utility>
#include <variant>

#include "lx/assert.h"

namespace lx {

// What kind of failure; exit_code_for() (lx/exit_code.h) maps them to exit codes.
enum class ErrorKind {
  kUsage,    // a bad flag or argument (exit 2)
  kCorrupt,  // a log that cannot be read: missing, foreign, damaged (exit 3)
  kIo,       // any other I/O failure (exit 4)
  kEngine,   // the engine refused an event or could not start
  kApp,      // the Lua app failed (syntax error, runtime error)
};

class [[nodiscard]] Status {
 public:
  Status() = default;  // success
  static Status error(ErrorKind kind, std::string message) {
    Status s;
    s.failed_ = true;
    s.kind_ = kind;
    s.message_ = std::move(message);
    return s;
  }
  // One factory per kind; the message is one line, "<what>: <why>".
  static Status usage(std::string message) { return error(ErrorKind::kUsage, std::move(message)); }
  static Status corruption(std::string message) {
    return error(ErrorKind::kCorrupt, std::move(message));
  }
  static Status io(std::string message) { return error(ErrorKind::kIo, std::move(message)); }
  // "<what>: <strerror(errno_value)>".
  static Status io(const std::string& what, int errno_value) {
    return error(ErrorKind::kIo, what + ": " + std::strerror(errno_value));
  }
  static Status engine(std::string message) {
    return error(ErrorKind::kEngine, std::move(message));
  }
  static Status app(std::string message) { return error(ErrorKind::kApp, std::move(message)); }
  // The same failure with context in front: "<context>: <message>".
  Status with_context(const std::string& context) const {
    return ok() ? *this : error(kind_, context + ": " + message_);
  }

  bool ok() const { return !failed_; }
  ErrorKind kind() const {
    LX_ASSERT(failed_);
    return kind_;
  }
  // One line: "<what>: <why>" without a trailing newline.
  const std::string& message() const { return message_; }

 private:
  bool failed_ = false;
  ErrorKind kind_ = ErrorKind::kIo;
  std::string message_;
};

inline Status ok_status() { return Status(); }

// A value or a failed Status. Reading value() of a failed result asserts.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : state_(std::move(value)) {}        // NOLINT: implicit on purpose
  Result(Status status) : state_(std::move(status)) {  // NOLINT
    LX_ASSERT(!std::get<Status>(state_).ok());
  }
  bool ok() const { return std::holds_alternative<T>(state_); }
  T& value() & {
    LX_ASSERT(ok());
    return std::get<T>(state_);
  }
  T&& value() && {
    LX_ASSERT(ok());
    return std::get<T>(std::move(state_));
  }
  const T& value() const& {
    LX_ASSERT(ok());
    return std::get<T>(state_);
  }
  const Status& status() const {
    LX_ASSERT(!ok());
    return std::get<Status>(state_);
  }

 private:
  std::variant<T, Status> state_;
};

}  // namespace lx
