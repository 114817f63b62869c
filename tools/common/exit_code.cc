// Maps operating errors to the shared exit codes.
#include "lx/tools/exit_code.h"

#include <exception>

namespace lx::tools {

int exit_code_for(const Status& status) {
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
      break;
  }
  return kExitInternal;
}

int run_guarded(const char* tool, std::FILE* out, std::FILE* err,
                const std::function<int()>& body) {
  try {
    return body();
  } catch (const std::exception& e) {
    std::fprintf(err, "%s: error: internal: %s; please report this with the log\n", tool, e.what());
  } catch (...) {
    std::fprintf(err, "%s: error: internal: unknown exception; please report this\n", tool);
  }
  std::fflush(out);
  return kExitInternal;
}

}  // namespace lx::tools
