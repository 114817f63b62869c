// How every lx program's main() (lxrun, lxdump, lxreplay, lxdiff) parses its
// command line with CLI11: the usage line names the program (not the path it
// was started by), --help ends with the program's exit codes and exits 0, a
// parse error is one "<tool>: error: ..." line and exit 2, and an unknown flag
// is named even when a required argument is missing too. Header-only, so only
// the programs that include it need CLI11.
#pragma once

#include <CLI/CLI.hpp>
#include <cstdio>
#include <optional>
#include <string>

#include "lx/exit_code.h"

namespace lx {

// Names the program and adds its exit codes to the help text. Call before
// parse_command_line (main() does it through that function).
inline void describe_program(CLI::App& app, const char* tool, Program program) {
  app.name(tool);
  app.footer(exit_codes_help(program));
}

// @return nullopt when the tool should go on, else the exit code to return.
inline std::optional<int> parse_command_line(CLI::App& app, int argc, const char* const* argv,
                                             const char* tool, Program program) {
  describe_program(app, tool, program);
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    // CLI11 checks required arguments before unknown ones, so a lone bad
    // flag would be reported as a missing file: name the flag instead.
    const std::vector<std::string> unknown = app.remaining();
    std::string what = e.what();
    if (!unknown.empty() && dynamic_cast<const CLI::RequiredError*>(&e) != nullptr) {
      what = (unknown.front().rfind("-", 0) == 0 ? "unknown option " : "unexpected argument ") +
             unknown.front();
    }
    std::fprintf(stderr, "%s: error: %s; see %s --help\n", tool, what.c_str(), tool);
    return kExitUsage;
  }
  return std::nullopt;
}

}  // namespace lx
