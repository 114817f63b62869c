// --at N --eval EXPR and --at N --dump-state: replay to the state right after
// event N (every checkpoint on the way verified), then look at it in a
// forked copy. Also the helpers every inspection mode shares.
#include <fmt/format.h>

#include <string_view>

#include "event_memo.h"
#include "inspect_modes.h"
#include "lx/exit_code.h"
#include "lx/tools/json_line.h"
#include "replayer.h"

namespace lx::tools {
namespace {

// The state tree's "PATH\tVALUE" lines, one at a time.
template <typename Fn>
void for_each_state_line(std::string_view text, Fn&& fn) {
  while (!text.empty()) {
    size_t end = text.find('\n');
    std::string_view line = text.substr(0, end);
    size_t tab = line.find('\t');
    if (tab != std::string_view::npos) fn(line.substr(0, tab), line.substr(tab + 1));
    if (end == std::string_view::npos) break;
    text.remove_prefix(end + 1);
  }
}

void print_eval(const LxreplayOptions& options, Replayer& replayer, const std::string& chunk,
                const Inspector::Outcome& outcome, std::FILE* out) {
  std::string error = inspection_error(outcome, 0);
  if (options.json) {
    JsonLine j;
    j.add_str("kind", "eval").add_u64("event", replayer.applied()).add_str("expression", chunk);
    if (error.empty()) {
      j.add_raw("values", outcome.results[0].text);
    } else {
      j.add_str("eval_error", error);
    }
    j.print(out);
    return;
  }
  if (!error.empty()) {
    replayer.diag().error("--eval '{}' after event {}: {}", chunk, replayer.applied(), error);
    return;
  }
  if (options.evals.size() > 1) {
    fmt::print(out, "{} = {}\n", chunk, outcome.results[0].text);
  } else {
    fmt::print(out, "{}\n", outcome.results[0].text);
  }
}

void print_state(const LxreplayOptions& options, Replayer& replayer,
                 const Inspector::Outcome& outcome, std::FILE* out) {
  std::string error = inspection_error(outcome, 0);
  if (!error.empty()) {
    replayer.diag().error("--dump-state after event {}: {}", replayer.applied(), error);
    return;
  }
  const std::string& text = outcome.results[0].text;
  if (options.json) {
    // Each line is {"path":...,"value":...}: the line kind and event go in front.
    std::string prefix =
        fmt::format("{{\"kind\":\"state_value\",\"event\":{},", replayer.applied());
    std::string_view rest = text;
    while (!rest.empty()) {
      size_t end = rest.find('\n');
      std::string_view line = rest.substr(0, end);
      if (line.size() > 1) fmt::print(out, "{}{}\n", prefix, line.substr(1));
      if (end == std::string_view::npos) break;
      rest.remove_prefix(end + 1);
    }
    return;
  }
  fmt::print(out,
             "# the app's Lua state after event {} of {}: its globals, its locals (the upvalues "
             "update() reaches) and its loaded modules; each path works in --eval\n",
             replayer.applied(), options.log_path);
  for_each_state_line(text, [&](std::string_view path, std::string_view value) {
    fmt::print(out, "{} = {}\n", path, value);
  });
}

}  // namespace

lx_inspect_options render_options(const LxreplayOptions& options, bool json) {
  lx_inspect_options o = inspect_options(json);
  o.depth = options.depth;
  o.max_entries = options.max_entries;
  o.max_string_bytes = options.max_bytes;
  return o;
}

Inspector make_inspector(const LxreplayOptions& options) {
  return Inspector(options.eval_timeout_s * 1000u);
}

std::string inspection_error(const Inspector::Outcome& outcome, size_t index) {
  if (!outcome.done()) return outcome.why;
  if (index >= outcome.results.size()) return "the inspection gave no answer";
  const host::Engine::Inspection& r = outcome.results[index];
  if (r.status == LX_OK) return "";
  return r.text.empty() ? fmt::format("status {}", r.status) : r.text;
}

int check_chunks(Replayer& replayer, const Inspector& inspector,
                 const std::vector<UserChunk>& chunks) {
  if (chunks.empty()) return 0;
  lx_inspect_options compile = inspect_options(false);
  compile.flags = LX_INSPECT_COMPILE_ONLY;
  Inspector::Outcome outcome = inspector.run(replayer.engine(), [&](host::Engine& copy) {
    std::vector<host::Engine::Inspection> answers;
    for (const UserChunk& chunk : chunks) answers.push_back(copy.eval(chunk.text, compile));
    return answers;
  });
  for (size_t i = 0; i < chunks.size(); ++i) {
    std::string error = inspection_error(outcome, i);
    if (error.empty()) continue;
    if (!outcome.done()) {
      replayer.diag().error("cannot check {} '{}': {}", chunks[i].flag, chunks[i].text, error);
      return kExitIo;
    }
    replayer.diag().error(
        "{} '{}' does not compile: {}; give a Lua expression or a chunk with "
        "return",
        chunks[i].flag, chunks[i].text, error);
    return kExitUsage;
  }
  return 0;
}

bool rendered_falsy(const std::string& text) {
  for (std::string_view no : {"nil", "false", "(no value)"}) {
    if (text == no || (text.size() > no.size() && text.compare(0, no.size(), no) == 0 &&
                       text.compare(no.size(), 2, ", ") == 0))
      return true;
  }
  return false;
}

int eval_failure_code(const Inspector::Outcome& outcome, size_t index) {
  if (outcome.done() && index < outcome.results.size() &&
      outcome.results[index].status == LX_ERR_ARGUMENT)
    return kExitUsage;
  return kExitFinding;
}

std::string inspect_usage_error(const LxreplayOptions& options) {
  int modes = (!options.evals.empty() || options.dump_state ? 1 : 0) +
              (!options.probes.empty() ? 1 : 0) + (options.repl ? 1 : 0) +
              (options.conversation ? 1 : 0) + (options.responses ? 1 : 0) +
              (!options.timeline_path.empty() ? 1 : 0);
  if (modes > 1) {
    return "--eval/--dump-state, --probe, --repl, --conversation, --responses and --timeline are "
           "separate modes; give one";
  }
  if (modes == 0) {
    if (options.at) return "--at N needs --eval EXPR, --dump-state or --repl";
    if (options.chid) return "--chid C needs --conversation";
    return "";
  }
  if (!options.record_to.empty()) return "--record-to goes with a plain replay, not an inspection";
  if (options.repl && options.log_path == "-")
    return "--repl reads its commands from standard input; give the log as a file";
  if (options.repl && options.json)
    return "--repl answers in text; --json goes with --eval, --dump-state and --probe";
  if (options.break_at) return "--break-at goes with a plain replay, not an inspection";
  if (options.at && (!options.probes.empty() || options.conversation || options.responses ||
                     !options.timeline_path.empty()))
    return "--at N goes with --eval, --dump-state or --repl";
  if (options.from && options.probes.empty()) return "--from N goes with --probe";
  if (options.from && options.until && *options.from > *options.until) {
    return fmt::format("--from {} comes after --until {}; give --from N <= --until M",
                       *options.from, *options.until);
  }
  if (options.until && (!options.evals.empty() || options.dump_state || options.repl))
    return "--until goes with --probe, --conversation, --responses and --timeline; give --at N to "
           "stop at event N";
  if (options.chid && !options.conversation) return "--chid C goes with --conversation";
  if (options.timeline_path == "-") {
    return "--timeline -: the replay's reports go to standard output too; give a file name "
           "(OUT.html)";
  }
  if (options.responses && options.app_dir.empty())
    return "--responses compares the recorded app with a what-if one: give --app DIR";
  for (const LxreplayOptions::Probe& probe : options.probes) {
    if (probe.expression.empty()) return "--probe needs an expression";
  }
  for (const std::string& chunk : options.evals) {
    if (chunk.empty()) return "--eval needs an expression";
  }
  if (options.eval_timeout_s == 0) return "--eval-timeout 0: give a number of seconds >= 1";
  if (options.snapshot_every == 0) return "--snapshot-every 0: give a number of events >= 1";
  return "";
}

int run_eval_mode(const LxreplayOptions& options, std::FILE* out, std::FILE* err) {
  Replayer replayer(options, out, err);
  EventMemo memo;
  replayer.add_observer(&memo);
  replayer.set_stop_at_divergence(false);
  replayer.set_summary_as_note(true);
  if (int code = replayer.start()) return replayer.finish(code);
  Inspector inspector = make_inspector(options);
  std::vector<UserChunk> chunks;
  for (const std::string& chunk : options.evals) chunks.push_back({"--eval", chunk});
  if (int code = check_chunks(replayer, inspector, chunks)) return replayer.finish(code);
  uint64_t target = options.at.value_or(UINT64_MAX);
  if (int code = replayer.advance_to(target)) return replayer.finish(code);
  if (options.at && replayer.applied() < *options.at) {
    replayer.diag().error("--at {}: the log ends after event {}; give N <= {}", *options.at,
                          replayer.applied(), replayer.applied());
    return replayer.finish(kExitUsage);
  }
  int code = replayer.verdict();
  bool failed = false;
  for (const std::string& chunk : options.evals) {
    lx_inspect_options o = render_options(options, options.json);
    o.event = memo.event();
    Inspector::Outcome outcome = inspector.eval(replayer.engine(), chunk, o);
    if (!options.quiet) {
      for (const std::string& line : outcome.log_lines) replayer.diag().line("eval: " + line);
    }
    print_eval(options, replayer, chunk, outcome, out);
    if (!inspection_error(outcome, 0).empty() && code == kExitOk) {
      code = eval_failure_code(outcome, 0);
      failed = true;
    }
  }
  if (options.dump_state) {
    Inspector::Outcome outcome =
        inspector.dump(replayer.engine(), render_options(options, options.json));
    print_state(options, replayer, outcome, out);
    if (!inspection_error(outcome, 0).empty() && code == kExitOk) {
      code = kExitFinding;
      failed = true;
    }
  }
  return replayer.finish(code, failed ? "inspect_failed" : "");
}

}  // namespace lx::tools
