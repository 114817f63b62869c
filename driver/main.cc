// lxrun's command line: CLI11 fills LxrunOptions; run_lxrun does the work.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

#include "lx/command_line.h"
#include "lx/standard_fds.h"
#include "run_lxrun.h"

int main(int argc, char** argv) {
  // Before anything opens a file or socket (common/include/lx/standard_fds.h).
  lx::open_missing_standard_fds();
  using lx::driver::LxrunOptions;
  LxrunOptions options;
  // Everything after the first "--" belongs to the app; CLI11 sees the rest.
  int own_argc = argc;
  for (int i = 1; i < argc; ++i) {
    if (std::string_view(argv[i]) == "--") {
      own_argc = i;
      options.app_args.assign(argv + i + 1, argv + argc);
      break;
    }
  }
  CLI::App app{
      "lxrun: runs a Lua app in the lx engine, doing its network and stdio I/O with libuv.\n"
      "The words after -- reach the app as lx.args."};
  app.add_option("--app", options.app_dir, "app directory holding main.lua")->required();
  app.add_flag("--app-follow-symlinks", options.app_follow_symlinks,
               "also read *.lua symbolic links whose target is outside the app directory "
               "(refused by default: the app's files go into the log)");
  app.add_option("--listen", options.listen,
                 "listen on [HOST:]PORT (HOST defaults to 127.0.0.1, [::1]:PORT for IPv6, "
                 "port 0 picks a free one); repeatable")
      ->expected(1)
      ->allow_extra_args(false)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  app.add_option("--seed", options.seed, "engine seed for lx.random and math.random")
      ->default_val(LxrunOptions::kDefaultSeed);
  app.add_option("--tick-ms", options.tick_ms,
                 "feed the clock and run update() every MS milliseconds; 0: only on I/O and "
                 "when a wake time the app asked for (lx.after, lx.wake_at) is due")
      ->default_val(LxrunOptions::kDefaultTickMs);
  app.add_option("--max-connections", options.max_connections,
                 "accepted connections held at once; beyond it new ones are closed at once, "
                 "with one warning when shedding starts and one when it ends")
      ->default_val(LxrunOptions::kDefaultMaxConnections);
  app.add_option("--instruction-budget", options.instruction_budget,
                 "Lua instructions main.lua, update() or on_reload() may run before they are "
                 "stopped with an error; 0: unlimited (then a runaway update() also blocks "
                 "SIGINT)")
      ->default_val(LxrunOptions::kDefaultInstructionBudget);
  app.add_option("--memory-mb", options.memory_mb,
                 "MiB the app may hold (Lua objects, queued output) before allocations fail "
                 "with 'not enough memory'; 0: no cap but the heap region")
      ->default_val(LxrunOptions::kDefaultMemoryMb);
  app.add_option("--engine", options.engine_path,
                 "engine library (default: liblxengine.so beside lxrun)");
  app.add_option("--heap-base", options.heap_base,
                 "address of the engine heap region (default 0x200000000000)");
  // Recording (DESIGN.md section 5, docs/recording.md).
  lx::driver::RecordOptions& record = options.record;
  std::string on_log_error;
  app.add_option("--record", record.path,
                 "record every event into FILE.lxw (created with mode 0600), or into a "
                 "directory of segments with DIR/");
  std::vector<CLI::Option*> record_flags = {
      app.add_option("--flush-ms", record.flush_ms,
                     "longest time a recorded event waits before it is written, in ms")
          ->default_val(lx::driver::RecordOptions::kDefaultFlushMs),
      app.add_option("--fsync", record.fsync,
                     "when written records reach the disk: never, interval (about once a "
                     "second) or always (every flush)")
          ->default_val("never"),
      app.add_option("--checkpoint-every", record.checkpoint_every,
                     "a checkpoint of the engine's hashes after every N events (0: at the end)")
          ->default_val(lx::driver::RecordOptions::kDefaultCheckpointEvery),
      app.add_option("--snapshot-every", record.snapshot_every,
                     "a snapshot of the engine's state in the log after every N events, so a "
                     "replay can start near any event (0: not by events)")
          ->default_val(lx::driver::RecordOptions::kDefaultSnapshotEvery),
      app.add_option("--snapshot-s", record.snapshot_s,
                     "a snapshot at least every S seconds while events come (0: not by time); "
                     "--snapshot-every 0 --snapshot-s 0 takes none")
          ->default_val(lx::driver::RecordOptions::kDefaultSnapshotSeconds),
      app.add_option("--zstd-level", record.zstd_level,
                     "zstd compression level, 1 (fast) to 19 (small); 0 stores the records "
                     "uncompressed (still a valid zstd stream)")
          ->default_val(lx::driver::RecordOptions::kDefaultZstdLevel),
      app.add_option("--max-log-bytes", record.max_log_bytes,
                     "end the log (truncated) before it grows past N bytes (suffixes K, M, G); "
                     "the server runs on unrecorded; 0: no limit")
          ->transform(CLI::AsSizeValue(false))
          ->default_val(0),
      app.add_option("--segment-bytes", record.segment_bytes,
                     "with --record DIR/: start a new segment once the current one holds N "
                     "bytes (suffixes K, M, G)")
          ->transform(CLI::AsSizeValue(false))
          ->default_val(lx::driver::RecordOptions::kDefaultSegmentBytes),
      app.add_option("--segment-s", record.segment_s,
                     "with --record DIR/: start a new segment every S seconds while events come "
                     "(0: not by time); SIGHUP starts one at once")
          ->default_val(0),
      app.add_option("--keep-segments", record.keep_segments,
                     "with --record DIR/: after each new segment delete the oldest beyond K "
                     "(0: keep all)")
          ->default_val(0),
      app.add_flag("--force", record.force,
                   "overwrite an existing log file (with DIR/: delete its segments)"),
      app.add_option("--on-log-error", on_log_error,
                     "when the log cannot be written: continue (serve on unrecorded, exit 4 at "
                     "the end) or stop (stop the server, exit 4)")
          ->check(CLI::IsMember({"continue", "stop"}))
          ->default_val("continue"),
  };
  if (auto code = lx::parse_command_line(app, own_argc, argv, "lxrun", lx::Program::kLxrun))
    return *code;
  record.on_log_error =
      on_log_error == "stop" ? lx::driver::OnLogError::kStop : lx::driver::OnLogError::kContinue;
  for (const CLI::Option* flag : record_flags) {
    if (flag->count() > 0) record.flags_given.push_back(flag->get_name());
  }
  return lx::driver::run_lxrun(options, stderr);
}
