// run_lxreplay: checks the options that CLI11 cannot, then hands the work to
// a Replayer; nothing escapes as an exception (that would be exit 70).
#include "run_lxreplay.h"

#include <fmt/format.h>

#include "lx/exit_code.h"
#include "replayer.h"

namespace lx::tools {

int run_lxreplay(const LxreplayOptions& options, std::FILE* out, std::FILE* err) {
  if (options.log_path.empty()) {
    fmt::print(err, "lxreplay: error: no log given; usage: lxreplay FILE.lxw [options]\n");
    return kExitUsage;
  }
  if (options.until && *options.until == 0) {
    fmt::print(err, "lxreplay: error: --until 0: events are numbered from 1; give N >= 1\n");
    return kExitUsage;
  }
  if (options.break_at && *options.break_at == 0) {
    fmt::print(err, "lxreplay: error: --break-at 0: events are numbered from 1; give N >= 1\n");
    return kExitUsage;
  }
  return run_guarded("lxreplay", out, err, [&] {
    Replayer replayer(options, out, err);
    return replayer.run();
  });
}

}  // namespace lx::tools
