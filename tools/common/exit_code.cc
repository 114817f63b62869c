// Maps operating errors to the shared exit codes.
#include "lx/tools/exit_code.h"

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

}  // namespace lx::tools
