// Diagnostic lines and the terminal-only progress line of the tools.
#include "lx/tools/diagnostics.h"

#include <unistd.h>

#include "lx/monotonic_clock.h"

namespace lx::tools {
Diagnostics::Diagnostics(std::string_view tool, std::FILE* err)
    : tool_(tool), err_(err), terminal_(::isatty(::fileno(err)) == 1) {}

void Diagnostics::write(std::string_view level, std::string_view text) {
  clear_line();
  fmt::print(err_, "{}: {}{}\n", tool_, level, text);
  std::fflush(err_);
}

void Diagnostics::clear_line() {
  if (!drawn_) return;
  std::fputs("\r\033[K", err_);
  drawn_ = false;
}

void Diagnostics::start_progress(uint64_t total, std::string_view unit) {
  progress_on_ = terminal_;
  progress_total_ = total;
  progress_unit_ = unit;
  progress_calls_ = 0;
  last_draw_ms_ = monotonic_ms();
}

void Diagnostics::redraw(uint64_t done) {
  const int64_t now = monotonic_ms();
  if (now - last_draw_ms_ < 200) return;
  last_draw_ms_ = now;
  if (progress_total_ > 0) {
    fmt::print(err_, "\r{}: {} {} of {} ({}%)", tool_, progress_unit_, done, progress_total_,
               done * 100 / progress_total_);
  } else {
    fmt::print(err_, "\r{}: {} {}", tool_, progress_unit_, done);
  }
  std::fflush(err_);
  drawn_ = true;
}

void Diagnostics::end_progress() {
  clear_line();
  std::fflush(err_);
  progress_on_ = false;
}

}  // namespace lx::tools
