// --conversation [--chid C]: what arrived on each channel and what the app
// queued in reply, in order. The log keeps only the count a sent_outgoing
// took, so the replay regenerates the replies (ReplyCapture) while it still
// verifies every checkpoint. Also how the inspection modes show a payload.
#include <fmt/format.h>

#include "inspect_modes.h"
#include "lx/exit_code.h"
#include "lx/tools/json_line.h"
#include "replayer.h"

namespace lx::tools {
namespace {

std::span<const uint8_t> head_span(const Payload& p, size_t from = 0) {
  const auto* data = reinterpret_cast<const uint8_t*>(p.head.data());
  from = std::min(from, p.head.size());
  return {data + from, p.head.size() - from};
}

void print_message_json(int32_t chid, const Message& m, size_t shown_max, std::FILE* out) {
  JsonLine j;
  j.add_str("kind", "message").add_i64("chid", chid).add_u64("event", m.event);
  j.add_str("message", message_kind_name(m.kind));
  if (m.has_clock) {
    j.add_double("clock_seconds", m.clock_seconds).add_str("time", iso_time(m.clock_seconds));
  }
  if (m.kind == Message::Kind::kAccepted) j.add_i64("port", m.port);
  if (m.kind == Message::Kind::kReplied) j.add_u64("recorded_size_bytes", m.recorded_count);
  if (m.kind == Message::Kind::kArrived || m.kind == Message::Kind::kReplied ||
      m.kind == Message::Kind::kUnsent) {
    add_payload(j, m.payload, 0, shown_max);
    j.add_bool("regenerated", m.kind != Message::Kind::kArrived);
  }
  j.print(out);
}

}  // namespace

std::string time_text(const Message& m) {
  return m.has_clock ? iso_time(m.clock_seconds) : std::string("(no clock yet)");
}

void print_message_text(const Message& m, size_t shown_max, std::FILE* out) {
  std::string head = fmt::format("  #{:<6} {}  ", m.event, time_text(m));
  switch (m.kind) {
    case Message::Kind::kAccepted:
      fmt::print(out, "{}accepted on port {}\n", head, m.port);
      return;
    case Message::Kind::kClosed:
      fmt::print(out, "{}closed by the peer (notify_close)\n", head);
      return;
    case Message::Kind::kArrived:
      fmt::print(out, "{}arrived {}\n", head, payload_text(m.payload, 0, shown_max));
      return;
    case Message::Kind::kReplied: {
      std::string short_note;
      if (m.payload.byte_count < m.recorded_count) {
        short_note =
            fmt::format(" (the log says {} were sent: this replay queued fewer)", m.recorded_count);
      }
      fmt::print(out, "{}replied {}{}\n", head, payload_text(m.payload, 0, shown_max), short_note);
      return;
    }
    case Message::Kind::kUnsent:
      fmt::print(out, "{}unsent  {} (queued by the app, never sent)\n", head,
                 payload_text(m.payload, 0, shown_max));
      return;
  }
}

bool looks_like_text(std::string_view bytes) {
  for (char c : bytes) {
    const auto b = static_cast<uint8_t>(c);
    if ((b < 0x20 && b != '\t' && b != '\r' && b != '\n') || b == 0x7f) return false;
  }
  return true;
}

std::string payload_text(const Payload& p, size_t from, size_t shown_max) {
  std::span<const uint8_t> rest = head_span(p, from);
  std::span<const uint8_t> shown = rest.first(std::min(rest.size(), shown_max));
  const bool cut = from + shown.size() < p.byte_count;
  std::string text = looks_like_text(p.head)
                         ? fmt::format("\"{}\"", escape_bytes(shown, shown.size()))
                         : "hex " + hex_bytes(shown);
  std::string size = fmt::format("{} bytes", p.byte_count);
  if (from > 0 || cut) {
    size += fmt::format(", bytes {}..{} shown", from, from + shown.size());
    if (cut) text += "...";
    if (from > 0) text = "..." + text;
  }
  return fmt::format("{}: {}", size, text);
}

void add_payload(JsonLine& line, const Payload& p, size_t from, size_t shown_max) {
  std::span<const uint8_t> rest = head_span(p, from);
  std::span<const uint8_t> shown = rest.first(std::min(rest.size(), shown_max));
  line.add_u64("size_bytes", p.byte_count);
  if (from > 0) line.add_u64("preview_from", from);
  line.add_bytes("data", shown);
  line.add_str("data_hex", hex_bytes(shown));
  line.add_bool("data_truncated", from + shown.size() < p.byte_count);
  line.add_hash("payload_hash", p.hash);
}

size_t shown_bytes(const LxreplayOptions& options) {
  return options.max_bytes != 0 ? options.max_bytes : kShownBytesDefault;
}

int replay_for_view(Replayer& replayer, const LxreplayOptions& options,
                    std::initializer_list<ReplayObserver*> observers) {
  for (ReplayObserver* observer : observers) replayer.add_observer(observer);
  replayer.set_stop_at_divergence(false);
  replayer.set_summary_as_note(true);
  replayer.set_print_state_at_until(false);
  replayer.set_print_first_divergence_only(true);
  if (int code = replayer.start()) return code;
  int code = replayer.advance_to(options.until.value_or(UINT64_MAX));
  return code == 0 ? replayer.verdict() : code;
}

bool view_can_show(int code) { return code == kExitOk || code == kExitFinding; }

int run_conversation_mode(const LxreplayOptions& options, std::FILE* out, std::FILE* err) {
  Replayer replayer(options, out, err);
  const size_t shown = shown_bytes(options);
  ReplyCapture capture(shown);
  int code = replay_for_view(replayer, options, {&capture});
  if (!view_can_show(code)) return replayer.finish(code);
  capture.finish(replayer.engine(), replayer.applied());
  const auto& channels = capture.channels();
  if (options.chid && channels.count(*options.chid) == 0) {
    std::string known;
    for (const auto& [chid, messages] : channels) known += fmt::format(" {}", chid);
    replayer.diag().error("--chid {}: no channel {} says anything up to event {}; channels:{}",
                          *options.chid, *options.chid, replayer.applied(),
                          known.empty() ? " none" : known);
    return replayer.finish(code == kExitOk ? kExitUsage : code);
  }
  if (!options.json) {
    fmt::print(out,
               "# the conversation of {} up to event {}: per channel, what arrived and what the "
               "app queued in reply, in event order. The replies are regenerated by this replay "
               "(the log keeps only the count of bytes sent).\n",
               options.log_path, replayer.applied());
    if (replayer.divergences() > 0) {
      fmt::print(out,
                 "# the replay diverged ({} divergence(s), the first reported above): replies "
                 "after it may not be the recorded ones\n",
                 replayer.divergences());
    }
  }
  for (const auto& [chid, messages] : channels) {
    if (options.chid && chid != *options.chid) continue;
    if (options.json) {
      for (const Message& m : messages) print_message_json(chid, m, shown, out);
      continue;
    }
    uint64_t in = 0;
    uint64_t replied = 0;
    for (const Message& m : messages) {
      if (m.kind == Message::Kind::kArrived) in += m.payload.byte_count;
      if (m.kind == Message::Kind::kReplied) replied += m.payload.byte_count;
    }
    fmt::print(out, "channel {}{}: {} bytes arrived, {} bytes replied\n", chid,
               chid == 0 ? " (stdio)" : "", in, replied);
    for (const Message& m : messages) print_message_text(m, shown, out);
  }
  return replayer.finish(code);
}

}  // namespace lx::tools
