// How every lx program's main() (lxrun, lxdump, lxreplay, lxdiff) parses its
// command line with CLI11: --help prints and exits 0; a parse error is one
// "<tool>: error: ..." line and exit 2 (STYLE.md maps CLI11's errors to
// usage). Header-only, so only the programs that include it need CLI11.
#pragma once

#include <CLI/CLI.hpp>
#include <cstdio>
#include <optional>

namespace lx {

// The exit code of a usage error, the same for every lx program.
inline constexpr int kExitCodeUsage = 2;

// @return nullopt when the tool should go on, else the exit code to return.
inline std::optional<int> parse_command_line(CLI::App& app, int argc, const char* const* argv,
                                             const char* tool) {
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::fprintf(stderr, "%s: error: %s; see %s --help\n", tool, e.what(), tool);
    return kExitCodeUsage;
  }
  return std::nullopt;
}

}  // namespace lx
