// When the engine crashes during a replay (the bug being hunted, repeated),
// lxreplay says which event it was applying and how to stop just before it,
// then lets the signal go on to whoever handled it before (the log's crash
// flush, AddressSanitizer, or the default action).
#pragma once

#include <cstdint>
#include <string_view>

namespace lx::tools {

// Installs handlers for SIGSEGV, SIGBUS, SIGILL, SIGFPE and SIGABRT. Call
// once, on the replaying thread, after any other handler is installed (the
// previous one runs after ours). log_path must outlive the process's run.
void install_crash_report(const char* log_path);

// Records the event about to be applied, for the handler to name. type_name
// must point to static storage (wal::record_type_name does). Two stores.
void note_applying(uint64_t event, std::string_view type_name);

}  // namespace lx::tools
