// lxrun's command line: CLI11 fills LxrunOptions; run_lxrun does the work.
#include <CLI/CLI.hpp>

#include <cstdio>
#include <string_view>

#include "run_lxrun.h"

int main(int argc, char** argv) {
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
  app.add_option("--listen", options.listen,
                 "listen on [HOST:]PORT (HOST defaults to 127.0.0.1, [::1]:PORT for IPv6, "
                 "port 0 picks a free one); repeatable")
      ->expected(1)
      ->allow_extra_args(false)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  app.add_option("--seed", options.seed, "engine seed for lx.random and math.random")
      ->default_val(LxrunOptions::kDefaultSeed);
  app.add_option("--tick-ms", options.tick_ms, "how often the clock is fed, in milliseconds")
      ->default_val(LxrunOptions::kDefaultTickMs);
  app.add_option("--engine", options.engine_path,
                 "engine library (default: liblxengine.so beside lxrun)");
  app.add_option("--heap-base", options.heap_base,
                 "address of the engine heap region (default 0x200000000000)");
  try {
    app.parse(own_argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::fprintf(stderr, "lxrun: error: %s; see lxrun --help\n", e.what());
    return lx::driver::kExitUsage;
  }
  return lx::driver::run_lxrun(options, stderr);
}
