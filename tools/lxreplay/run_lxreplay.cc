// run_lxreplay: hands the work to a Replayer (which checks the options CLI11
// cannot); nothing escapes as an exception (that would be exit 70).
#include "run_lxreplay.h"

#include <fmt/format.h>

#include "lx/exit_code.h"
#include "replayer.h"

namespace lx::tools {

int run_lxreplay(const LxreplayOptions& options, std::FILE* out, std::FILE* err) {
  return run_guarded("lxreplay", out, err, [&] {
    Replayer replayer(options, out, err);
    return replayer.run();
  });
}

}  // namespace lx::tools
