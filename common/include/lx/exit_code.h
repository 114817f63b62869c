// The exit codes of every lx program (STYLE.md, "Errors"), defined once: the
// values, what each means for each program (its --help text is built from
// this), the mapping from an operating error to a code, and the guard that
// turns an escaped exception (a bug) into exit 70.
#pragma once

#include <cstdio>
#include <functional>
#include <string>
#include <string_view>

#include "lx/status.h"

namespace lx {

// X(enumerator, value, generic meaning)
#define LX_EXIT_CODES(X)                                                         \
  X(kExitOk, 0, "success")                                                       \
  X(kExitFinding, 1, "a finding (a divergence, a difference)")                   \
  X(kExitUsage, 2, "usage error (a bad flag or argument)")                       \
  X(kExitUnreadable, 3, "a log that cannot be read (missing, foreign, damaged)") \
  X(kExitIo, 4, "another I/O error")                                             \
  X(kExitInternal, 70, "internal error (a bug: please report it)")

enum ExitCode : int {
#define LX_EXIT_ENUMERATOR(name, value, meaning) name = value,
  LX_EXIT_CODES(LX_EXIT_ENUMERATOR)
#undef LX_EXIT_ENUMERATOR
  // lxrun's name for 1: the server could not start.
  kExitFailed = kExitFinding,
};

// The programs, for the per-program wording of their exit codes.
enum class Program { kLxrun, kLxreplay, kLxdump, kLxdiff };

// What `code` means for `program` ("all checkpoints matched", ...).
std::string_view exit_code_meaning(Program program, ExitCode code);
// "Exit codes:" and a line "  N   <meaning>" per code the program uses, for --help.
std::string exit_codes_help(Program program);

// kUsage -> 2, kCorrupt -> 3, kIo -> 4, kEngine and kApp -> 1 (the engine or
// the app failed: a finding for the tools, a failed start for lxrun).
// status must have failed.
ExitCode exit_code_for(const Status& status);

// Runs a program's body and returns its exit code; an exception that escapes
// it (a bug) becomes one "<tool>: error: internal: ..." line on err and 70.
int run_guarded(std::string_view tool, std::FILE* out, std::FILE* err,
                const std::function<int()>& body);

}  // namespace lx
