// run_lxreplay: hands the work to a Replayer (which checks the options CLI11
// cannot); nothing escapes as an exception (that would be exit 70).
#include "run_lxreplay.h"

#include <fmt/format.h>

#include "inspect_modes.h"
#include "lx/exit_code.h"
#include "lx/tools/diagnostics.h"
#include "lx/tools/json_line.h"
#include "replayer.h"

namespace lx::tools {
namespace {

// A usage error found before the replay starts: one line, and the summary
// line in --json mode.
int usage_error(const LxreplayOptions& options, const std::string& text, std::FILE* out,
                std::FILE* err) {
  Diagnostics diag("lxreplay", err);
  diag.error("{}", text);
  if (options.json) {
    JsonLine j = summary_line("lxreplay", "error", kExitUsage);
    j.add_str("error", text);
    j.print(out);
  }
  return kExitUsage;
}

}  // namespace

int run_lxreplay(const LxreplayOptions& options, std::FILE* out, std::FILE* err) {
  return run_guarded("lxreplay", out, err, [&] {
    if (options.inspecting() || options.at || options.from || options.chid) {
      std::string usage = inspect_usage_error(options);
      if (!usage.empty()) return usage_error(options, usage, out, err);
    }
    if (!options.evals.empty() || options.dump_state) return run_eval_mode(options, out, err);
    if (!options.probes.empty()) return run_probe_mode(options, out, err);
    if (options.repl) return run_repl_mode(options, stdin, out, err);
    if (options.conversation) return run_conversation_mode(options, out, err);
    if (options.responses) return run_responses_mode(options, out, err);
    if (!options.timeline_path.empty()) return run_timeline_mode(options, out, err);
    Replayer replayer(options, out, err);
    return replayer.run();
  });
}

}  // namespace lx::tools
