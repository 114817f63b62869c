// Progress of long work on stderr, only when stderr is a terminal (never in
// pipes or CI logs, DESIGN.md section 5): "\r<tool>: event N of M".
#pragma once

#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>

namespace lx::tools {

class Progress {
 public:
  // total 0: unknown. Enabled only when err is a terminal.
  Progress(std::FILE* err, std::string_view tool, uint64_t total);
  ~Progress() { finish(); }
  Progress(const Progress&) = delete;
  Progress& operator=(const Progress&) = delete;

  // Cheap enough to call per event: looks at the clock once per 4096 calls
  // and redraws at most five times a second.
  void update(uint64_t done) {
    if (!enabled_ || (++calls_ & 4095u) != 0) return;
    redraw(done);
  }
  // Clears the line; later updates draw nothing.
  void finish();
  bool enabled() const { return enabled_; }

 private:
  void redraw(uint64_t done);

  std::FILE* err_;
  std::string tool_;
  uint64_t total_;
  bool enabled_;
  bool drawn_ = false;
  uint64_t calls_ = 0;
  int64_t last_draw_ms_ = 0;
};

}  // namespace lx::tools
