// lxreplay's inspection modes (docs/inspect.md): --eval and --dump-state at
// an event, --probe over a range, the --repl, the --conversation and a
// what-if app's --responses. Each is built on the one replay loop
// (Replayer::advance_to / seek), its observers and the forked Inspector,
// so every checkpoint is still verified while they look.
#pragma once

#include <cstdio>
#include <initializer_list>
#include <string>
#include <vector>

#include "inspector.h"
#include "lx/tools/json_line.h"
#include "lxreplay_options.h"
#include "reply_capture.h"

namespace lx::tools {

// Each returns the exit code (docs/inspect.md, "Exit codes").
int run_eval_mode(const LxreplayOptions& options, std::FILE* out, std::FILE* err);
int run_probe_mode(const LxreplayOptions& options, std::FILE* out, std::FILE* err);
// --repl: reads commands from in (with line editing and history when it is
// a terminal) and answers on out.
int run_repl_mode(const LxreplayOptions& options, std::FILE* in, std::FILE* out, std::FILE* err);
int run_conversation_mode(const LxreplayOptions& options, std::FILE* out, std::FILE* err);
int run_responses_mode(const LxreplayOptions& options, std::FILE* out, std::FILE* err);
int run_timeline_mode(const LxreplayOptions& options, std::FILE* out, std::FILE* err);

class Replayer;
class ReplayObserver;

// Replays as the views of the whole session do (--conversation,
// --responses, --timeline): observers added in order, on past a divergence
// (the first reported as usual, the rest counted unless --keep-going), the
// summary as a note on stderr, no engine state at --until; to --until or the end. @return the
// verdict (0, or 1 after a divergence) or the exit code that stopped it; pass it to finish().
int replay_for_view(Replayer& replayer, const LxreplayOptions& options,
                    std::initializer_list<ReplayObserver*> observers);
// The verdict of replay_for_view lets the view be shown (0 or 1).
bool view_can_show(int code);

// ---- How the conversation views show a payload (conversation_mode.cc) ----

// Bytes of a payload shown when --max-bytes is not given.
inline constexpr size_t kShownBytesDefault = 200;
// "2026-11-23T14:05:01.250Z", or "(no clock yet)" before any set_clock.
std::string time_text(const Message& m);
// One line of a channel's conversation: "  #57     TIME  arrived 17 bytes: ..."
// (--conversation, the REPL's :conv).
void print_message_text(const Message& m, size_t shown_max, std::FILE* out);
// --max-bytes, or the default.
size_t shown_bytes(const LxreplayOptions& options);
// No control byte but tab, CR and LF: shown as escaped text, else as hex.
bool looks_like_text(std::string_view bytes);
// "78 bytes: \"GET / HTTP/1.1\\r\\n...\"" (or "hex 00ff..."): at most
// shown_max of the kept bytes from offset `from` on, with where it was cut.
std::string payload_text(const Payload& payload, size_t from, size_t shown_max);
// The same under the keys of docs/json.md: size_bytes, preview_from (when
// from > 0), data, data_hex, data_truncated, payload_hash.
void add_payload(JsonLine& line, const Payload& payload, size_t from, size_t shown_max);

// Why the inspection flags do not go together ("" when they do): checked
// before anything is opened, so a bad combination is a usage error (2).
std::string inspect_usage_error(const LxreplayOptions& options);

// The render options the flags ask for (--depth, --max-entries, --max-bytes).
lx_inspect_options render_options(const LxreplayOptions& options, bool json);

// The Inspector with the --eval-timeout.
Inspector make_inspector(const LxreplayOptions& options);

// The message for an inspection that did not give a value: "" when the
// outcome is done and results[index] is LX_OK, else the engine's error
// text or why the forked copy failed.
std::string inspection_error(const Inspector::Outcome& outcome, size_t index);

class Replayer;

// A chunk the user gave, with the flag that gave it ("--eval", "--when").
struct UserChunk {
  std::string flag;
  std::string text;
};
// Compiles every chunk, without running any, in one forked copy of the
// replay's engine, so a syntax error stops the run before the replay goes
// far. @return 0, or 2 after printing the first that does not compile.
int check_chunks(Replayer& replayer, const Inspector& inspector,
                 const std::vector<UserChunk>& chunks);

// A rendered value (the text form of an eval) that Lua would treat as false
// in an `if`: its first value nil or false (strings are quoted, so "false"
// is the boolean).
bool rendered_falsy(const std::string& text);

// The exit code for an eval that failed: 2 when the chunk does not
// compile, else 1.
int eval_failure_code(const Inspector::Outcome& outcome, size_t index);

}  // namespace lx::tools
