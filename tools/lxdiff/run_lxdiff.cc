// run_lxdiff: checks the arguments, runs a LogDiffer, and keeps exceptions
// from escaping (exit 70).
#include "run_lxdiff.h"

#include <fmt/format.h>

#include "log_differ.h"
#include "lx/exit_code.h"
#include "state_views.h"

namespace lx::tools {

int run_lxdiff(const LxdiffOptions& options, std::FILE* out, std::FILE* err) {
  if (options.a_path.empty() || options.b_path.empty()) {
    fmt::print(err, "lxdiff: error: two logs are needed; usage: lxdiff A.lxw B.lxw [options]\n");
    return kExitUsage;
  }
  return run_guarded("lxdiff", out, err, [&] {
    LogDiffer differ(options, out, err);
    if (options.state || !options.html.empty()) {
      differ.set_after_compare(
          [&](const LogDivergence& d) { return run_state_views(options, d, out, err); });
    }
    return differ.run();
  });
}

}  // namespace lx::tools
