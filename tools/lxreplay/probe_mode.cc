// --probe EXPR [--when COND] [--from N] [--until M]: print statements for the
// past. After every event in the range one forked copy of the engine
// evaluates each probe's condition and, where it holds, its expression; the
// replay itself goes on untouched and verifies every checkpoint.
#include <fmt/format.h>

#include "event_memo.h"
#include "inspect_modes.h"
#include "lx/exit_code.h"
#include "lx/tools/json_line.h"
#include "replayer.h"

namespace lx::tools {
namespace {

// What the child answers for a probe besides an eval's own status (LX_*
// codes are 0 or negative): the condition did not hold, or raised an error
// (its message in the text).
constexpr int kNotHit = 1;
constexpr int kConditionFailed = 2;

class ProbeObserver : public ReplayObserver {
 public:
  ProbeObserver(const LxreplayOptions& options, Replayer& replayer, EventMemo& memo, std::FILE* out)
      : options_(options),
        replayer_(replayer),
        memo_(memo),
        out_(out),
        inspector_(make_inspector(options)),
        condition_errors_(options.probes.size()),
        first_condition_error_(options.probes.size()) {}

  void after_event(const wal::Record& event, int32_t result, host::Engine& engine) override {
    (void)result;
    if (options_.from && event.event < *options_.from) return;
    lx_inspect_options render = render_options(options_, options_.json);
    lx_inspect_options test = inspect_options(false);
    const lx_inspect_event* ev = memo_.event();
    render.event = ev;
    test.event = ev;
    const auto& probes = options_.probes;
    Inspector::Outcome outcome = inspector_.run(engine, [&](host::Engine& copy) {
      std::vector<host::Engine::Inspection> answers;
      for (const LxreplayOptions::Probe& probe : probes) {
        if (!probe.condition.empty()) {
          host::Engine::Inspection holds = copy.eval(probe.condition, test);
          if (holds.status != LX_OK) {
            answers.push_back({kConditionFailed, std::move(holds.text)});
            continue;
          }
          if (rendered_falsy(holds.text)) {
            answers.push_back({kNotHit, ""});
            continue;
          }
        }
        answers.push_back(copy.eval(probe.expression, render));
      }
      return answers;
    });
    ++events_probed_;
    if (!options_.quiet) {
      for (const std::string& line : outcome.log_lines) replayer_.diag().line("probe: " + line);
    }
    for (size_t i = 0; i < probes.size(); ++i) report(i, outcome);
  }

  // Says, once per probe, that its condition raised errors.
  void summarize() {
    for (size_t i = 0; i < options_.probes.size(); ++i) {
      if (condition_errors_[i] == 0) continue;
      replayer_.diag().warning(
          "--when '{}' raised an error after {} event(s), which counted as not holding; the "
          "first, after event {}",
          options_.probes[i].condition, condition_errors_[i], first_condition_error_[i]);
    }
  }

  uint64_t hits() const { return hits_; }
  uint64_t events_probed() const { return events_probed_; }
  uint64_t forks() const { return inspector_.forks(); }

 private:
  void report(size_t i, const Inspector::Outcome& outcome) {
    const LxreplayOptions::Probe& probe = options_.probes[i];
    int status = outcome.done() ? outcome.results[i].status : LX_OK;
    if (status == kNotHit) return;
    if (status == kConditionFailed) {
      if (condition_errors_[i]++ == 0) {
        first_condition_error_[i] = memo_.brief().event;
        replayer_.diag().warning("--when '{}' after event {}: {}", probe.condition,
                                 memo_.brief().event, outcome.results[i].text);
      }
      return;
    }
    std::string error = inspection_error(outcome, i);
    ++hits_;
    const EventBrief& brief = memo_.brief();
    if (options_.json) {
      JsonLine j;
      j.add_str("kind", "probe");
      add_brief(j, brief);
      j.add_str("expression", probe.expression);
      if (error.empty()) {
        j.add_raw("values", outcome.results[i].text);
      } else {
        j.add_str("eval_error", error);
      }
      j.print(out_);
      return;
    }
    std::string value = error.empty() ? outcome.results[i].text : "error: " + error;
    if (options_.probes.size() > 1) value = probe.expression + " = " + value;
    fmt::print(out_, "{}: {}\n", event_label(brief), value);
  }

  const LxreplayOptions& options_;
  Replayer& replayer_;
  EventMemo& memo_;
  std::FILE* out_;
  Inspector inspector_;
  std::vector<uint64_t> condition_errors_;
  std::vector<uint64_t> first_condition_error_;
  uint64_t hits_ = 0;
  uint64_t events_probed_ = 0;
};

}  // namespace

int run_probe_mode(const LxreplayOptions& options, std::FILE* out, std::FILE* err) {
  Replayer replayer(options, out, err);
  EventMemo memo;
  ProbeObserver probes(options, replayer, memo, out);
  replayer.add_observer(&memo);
  replayer.add_observer(&probes);
  replayer.set_stop_at_divergence(false);
  replayer.set_summary_as_note(true);
  replayer.set_print_state_at_until(false);
  if (int code = replayer.start()) return replayer.finish(code);
  std::vector<UserChunk> chunks;
  for (const LxreplayOptions::Probe& probe : options.probes) {
    chunks.push_back({"--probe", probe.expression});
    if (!probe.condition.empty()) chunks.push_back({"--when", probe.condition});
  }
  if (int code = check_chunks(replayer, make_inspector(options), chunks))
    return replayer.finish(code);
  int code = replayer.advance_to(options.until.value_or(UINT64_MAX));
  if (code == 0) code = replayer.verdict();
  probes.summarize();
  if (!options.json) {
    replayer.diag().note("{} probe hit(s) over {} event(s), each looked at in a forked copy",
                         probes.hits(), probes.events_probed());
  }
  return replayer.finish(code);
}

}  // namespace lx::tools
