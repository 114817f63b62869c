// Terminal-only progress line for lxreplay and lxdiff.
#include "lx/tools/progress.h"

#include <unistd.h>

#include <chrono>

namespace lx::tools {
namespace {

int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

}  // namespace

Progress::Progress(std::FILE* err, std::string_view tool, uint64_t total)
    : err_(err), tool_(tool), total_(total), enabled_(isatty(fileno(err)) == 1) {
  last_draw_ms_ = now_ms();
}

void Progress::redraw(uint64_t done) {
  int64_t now = now_ms();
  if (now - last_draw_ms_ < 200) return;
  last_draw_ms_ = now;
  if (total_ > 0) {
    std::fprintf(err_, "\r%s: event %llu of %llu (%llu%%)", tool_.c_str(),
                 static_cast<unsigned long long>(done), static_cast<unsigned long long>(total_),
                 static_cast<unsigned long long>(done * 100 / total_));
  } else {
    std::fprintf(err_, "\r%s: event %llu", tool_.c_str(), static_cast<unsigned long long>(done));
  }
  std::fflush(err_);
  drawn_ = true;
}

void Progress::finish() {
  if (drawn_) {
    std::fprintf(err_, "\r\033[K");
    std::fflush(err_);
  }
  drawn_ = false;
  enabled_ = false;
}

}  // namespace lx::tools
