// Diagnostics: every line a tool writes to stderr goes through one object,
// so the progress line (a terminal only) is cleared before a warning rather
// than run into it ("event 253952lxreplay: warning"), and every line starts
// with the tool's name (DESIGN.md section 5).
#pragma once

#include <fmt/format.h>

#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>

namespace lx::tools {

class Diagnostics {
 public:
  // err must outlive the object. Progress is shown only when err is a terminal.
  Diagnostics(std::string_view tool, std::FILE* err);
  ~Diagnostics() { end_progress(); }
  Diagnostics(const Diagnostics&) = delete;
  Diagnostics& operator=(const Diagnostics&) = delete;

  std::string_view tool() const { return tool_; }
  std::FILE* stream() const { return err_; }

  // "<tool>: error: ...", "<tool>: warning: ...", "<tool>: note: ...", or
  // "<tool>: <text>" (line) on a line of its own.
  template <typename... Args>
  void error(fmt::format_string<Args...> format, Args&&... args) {
    write("error: ", fmt::format(format, std::forward<Args>(args)...));
  }
  template <typename... Args>
  void warning(fmt::format_string<Args...> format, Args&&... args) {
    write("warning: ", fmt::format(format, std::forward<Args>(args)...));
  }
  template <typename... Args>
  void note(fmt::format_string<Args...> format, Args&&... args) {
    write("note: ", fmt::format(format, std::forward<Args>(args)...));
  }
  void line(std::string_view text) { write("", text); }

  // ---- Progress of long work ("\r<tool>: event N of M") ----
  // total 0: unknown. Cheap enough to call per event: looks at the clock
  // once per 4096 calls and redraws at most five times a second.
  void start_progress(uint64_t total, std::string_view unit = "event");
  void progress(uint64_t done) {
    if (!progress_on_ || (++progress_calls_ & 4095u) != 0) return;
    redraw(done);
  }
  // False while progress() would do nothing (no terminal, not started): a
  // caller may then skip its calls.
  bool progress_on() const { return progress_on_; }
  // Clears the line; later progress calls draw nothing until started again.
  void end_progress();
  bool terminal() const { return terminal_; }

 private:
  void write(std::string_view level, std::string_view text);
  void clear_line();
  void redraw(uint64_t done);

  std::string tool_;
  std::FILE* err_;
  bool terminal_;
  bool progress_on_ = false;
  bool drawn_ = false;
  uint64_t progress_total_ = 0;
  std::string progress_unit_;
  uint64_t progress_calls_ = 0;
  int64_t last_draw_ms_ = 0;
};

}  // namespace lx::tools
