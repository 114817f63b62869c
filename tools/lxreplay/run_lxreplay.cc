// run_lxreplay: checks the options that CLI11 cannot, then hands the work to
// a Replayer; nothing escapes as an exception (that would be exit 70).
#include "run_lxreplay.h"

#include <fmt/format.h>

#include <exception>

#include "lx/tools/exit_code.h"
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
  try {
    Replayer replayer(options, out, err);
    return replayer.run();
  } catch (const std::exception& e) {
    fmt::print(err, "lxreplay: error: internal: {}; please report this with the log\n", e.what());
  } catch (...) {
    fmt::print(err, "lxreplay: error: internal: unknown exception; please report this\n");
  }
  std::fflush(out);
  return kExitInternal;
}

}  // namespace lx::tools
