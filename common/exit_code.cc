// The exit-code table's text for each program, and the error-to-code mapping.
#include "lx/exit_code.h"

#include <exception>

namespace lx {
namespace {

constexpr std::string_view kNotUsed = "not used";

struct ProgramMeaning {
  Program program;
  ExitCode code;
  std::string_view meaning;
};

// Where a program gives a code a more precise meaning than the generic one.
constexpr ProgramMeaning kProgramMeanings[] = {
    {Program::kLxrun, kExitOk, "the server stopped cleanly"},
    {Program::kLxrun, kExitFinding,
     "the server could not start (port in use, the app or the engine failed)"},
    {Program::kLxrun, kExitIo,
     "the engine, the heap region or the log was unavailable, or the log "
     "had an I/O error"},
    {Program::kLxreplay, kExitOk, "every checkpoint matched"},
    {Program::kLxreplay, kExitFinding, "a divergence"},
    {Program::kLxreplay, kExitUnreadable,
     "a log that cannot be read, or events skipped over damage"},
    {Program::kLxdump, kExitOk, "the log was printed"},
    {Program::kLxrun, kExitUnreadable, kNotUsed},
    {Program::kLxdump, kExitFinding, kNotUsed},
    {Program::kLxdump, kExitUnreadable, "a log that cannot be read (with --strict: any damage)"},
    {Program::kLxdiff, kExitOk, "the logs are the same"},
    {Program::kLxdiff, kExitFinding, "the logs differ"},
};

struct GenericMeaning {
  ExitCode code;
  std::string_view meaning;
};
constexpr GenericMeaning kGenericMeanings[] = {
#define LX_EXIT_MEANING(name, value, meaning) {name, meaning},
    LX_EXIT_CODES(LX_EXIT_MEANING)
#undef LX_EXIT_MEANING
};

}  // namespace

std::string_view exit_code_meaning(Program program, ExitCode code) {
  for (const ProgramMeaning& m : kProgramMeanings)
    if (m.program == program && m.code == code) return m.meaning;
  for (const GenericMeaning& m : kGenericMeanings)
    if (m.code == code) return m.meaning;
  return "unknown";
}

std::string exit_codes_help(Program program) {
  std::string text = "Exit codes:";
  for (const GenericMeaning& m : kGenericMeanings) {
    const std::string_view meaning = exit_code_meaning(program, m.code);
    if (meaning == kNotUsed) continue;
    const std::string code = std::to_string(static_cast<int>(m.code));
    text += "\n  " + code + std::string(4 - code.size(), ' ') + std::string(meaning);
  }
  return text;
}

ExitCode exit_code_for(const Status& status) {
  LX_ASSERT(!status.ok());
  switch (status.kind()) {
    case ErrorKind::kUsage:
      return kExitUsage;
    case ErrorKind::kCorrupt:
      return kExitUnreadable;
    case ErrorKind::kIo:
      return kExitIo;
    case ErrorKind::kEngine:
    case ErrorKind::kApp:
      return kExitFinding;
  }
  return kExitInternal;
}

int run_guarded(std::string_view tool, std::FILE* out, std::FILE* err,
                const std::function<int()>& body) {
  const std::string name(tool);
  try {
    return body();
  } catch (const std::exception& e) {
    std::fprintf(err, "%s: error: internal: %s; please report this with the log\n", name.c_str(),
                 e.what());
  } catch (...) {
    std::fprintf(err, "%s: error: internal: unknown exception; please report this\n", name.c_str());
  }
  std::fflush(out);
  return kExitInternal;
}

}  // namespace lx
