// When the engine crashes during a replay (the bug being hunted, repeated),
// lxreplay says which event it was applying and how to stop just before it,
// then lets the signal go on to whoever handled it before (the log's crash
// flush, AddressSanitizer, or the default action).
#pragma once

#include <cstdint>
#include <cstdio>
#include <string_view>

namespace lx::tools {

// Installs handlers for SIGSEGV, SIGBUS, SIGILL, SIGFPE and SIGABRT. Call
// once, on the replaying thread, after any other handler is installed (the
// previous one runs after ours). replay_command is the command that reruns
// this replay ("lxreplay LOG --engine E --app A"): the handler suggests it
// with --break-at N under gdb. It must outlive the process's run. With
// json_out, the handler also ends json_out with a summary line of result
// "crashed" (flushing what was buffered before it).
void install_crash_report(const char* replay_command, std::FILE* json_out);

// Records the event about to be applied, for the handler to name. type_name
// must point to static storage (wal::record_type_name does). Two stores.
void note_applying(uint64_t event, std::string_view type_name);

}  // namespace lx::tools
