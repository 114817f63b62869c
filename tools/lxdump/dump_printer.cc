// The text and JSON lines of lxdump.
#include "dump_printer.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstring>

#include "lx/assert.h"
#include "lx/host/snapshot_stream.h"
#include "lx/tools/json_line.h"
#include "lx/tools/record_text.h"
#include "lx/tools/text_cursor.h"

namespace lx::tools {
namespace {

std::string escape_text(std::string_view text) {
  return escape_bytes({reinterpret_cast<const uint8_t*>(text.data()), text.size()}, text.size());
}

// Each type's name in a slot of kNameRoom characters (the rest zeros), by
// wire value: a line copies the whole slot, a size known when compiling,
// and keeps the name's characters.
constexpr size_t kNameRoom = 24;
struct TypeNameSlots {
  char text[128][kNameRoom];
  constexpr TypeNameSlots() : text() {
    for (const wal::RecordTypeInfo& info : wal::kRecordTypes) {
      LX_ASSERT(info.name.size() <= kNameRoom);
      for (size_t i = 0; i < info.name.size(); ++i)
        text[static_cast<uint8_t>(info.type)][i] = info.name[i];
    }
  }
};
constexpr TypeNameSlots kTypeNames;

// The most characters a text line has but its payload preview and its
// newline: every field any type has, each at its longest.
constexpr size_t kTextLineFieldsMax =
    1 + kMaxDecimalChars + 1 + kNameRoom           // "#12 recv_incoming"
    + 3 + kIsoTimeCharsMax                         // " t=..."
    + 6 + kMaxDecimalChars + 4 + kMaxDecimalChars  // " port=N ch=N"
    + 4 + kMaxDecimalChars                         // " ch=N"
    + 1 + kMaxDecimalChars + 1                     // " 17B"
    + 5 + kMaxDecimalChars + 8 + kMaxDecimalChars  // " of=#N serial=N"
    + 5 + 10 + 12 + kHex64Chars                    // " last abandoned state_hash=H"
    + 2 + 1 + 3                                    // the preview's quotes and "..."
    + 8 + kMaxDecimalChars + 9 + kHex64Chars + 9 + kHex64Chars + 6 + kMaxDecimalChars + 1;

// T's entry, found when compiling (not with record_type_info, whose test of
// a pointer GCC does not take as a constant expression under the sanitizers).
template <wal::RecordType T>
constexpr wal::RecordTypeInfo kInfoOf = [] {
  for (const wal::RecordTypeInfo& info : wal::kRecordTypes)
    if (info.type == T) return info;
  return wal::RecordTypeInfo{};
}();

// The types whose text lines take_plain writes at once: the events but
// notify_accept (its line waits for the accept result's chid).
struct PrintedAsItComes {
  bool of[128];
  constexpr PrintedAsItComes() : of() {
    for (const wal::RecordTypeInfo& info : wal::kRecordTypes)
      of[static_cast<uint8_t>(info.type)] =
          info.is_event() && info.type != wal::RecordType::kNotifyAccept;
  }
};
constexpr PrintedAsItComes kPrintedAsItComes;

}  // namespace

DumpPrinter::DumpPrinter(const LxdumpOptions& options, const EventRange& range, std::FILE* out,
                         DumpStats* stats)
    : options_(options), range_(range), out_(out), stats_(stats) {
  wal::RecordType type;
  if (!options.type.empty() && wal::record_type_from_name(options.type, &type)) type_ = type;
  // selected() and emit_one() would pass every event through to its text.
  plain_ = options.type.empty() && !options.channel && !options.json && !options.follow &&
           stats == nullptr && range.first <= 1 && range.last == UINT64_MAX;
}

void DumpPrinter::print_header(const wal::LogHeader& h, const std::string& name, size_t segments) {
  if (stats_ != nullptr) return;
  if (options_.json) {
    JsonLine j;
    j.add_str("kind", "header")
        .add_str("file", name)
        .add_str("format", fmt::format("{}.{}", h.version_major, h.version_minor))
        .add_u64("engine_abi_version", h.engine_abi_version)
        .add_str("engine_build_id", h.engine_build_id)
        .add_str("seed", std::to_string(h.seed))
        .add_str("heap_base", fmt::format("0x{:x}", h.heap_base))
        .add_u64("heap_bytes", h.heap_bytes)
        .add_str("app_source_digest", hex_bytes(h.app_source_digest))
        .add_str("host_name", h.host_name)
        .add_str("start_time", iso_time(static_cast<double>(h.start_wall_time_ns) / 1e9))
        .add_u64("checkpoint_every", h.checkpoint_every)
        .add_u64("flush_ms", h.flush_ms)
        .add_str("fsync", wal::fsync_mode_name(h.fsync))
        .add_i64("zstd_level", h.zstd_level)
        .add_u64("max_log_bytes", h.max_log_bytes)
        .add_u64("frame_restart_bytes", h.frame_restart_bytes)
        .add_str("options", h.options_text);
    if (h.limits) {
      JsonLine limits;
      limits.add_u64("instruction_budget", h.limits->instruction_budget)
          .add_u64("memory_cap_bytes", h.limits->memory_cap_bytes);
      j.add_raw("limits", limits.str());
    } else {
      j.add_null("limits");
    }
    j.add_u64("first_event", h.first_event)
        .add_u64("segment", h.segment)
        .add_str("recording_id", wal::recording_id_text(h.recording_id))
        .add_u64("segments", segments);
    j.print(out_);
    return;
  }
  fmt::print(out_, "# lx log {} (format {}.{})\n", name, h.version_major, h.version_minor);
  fmt::print(out_, "# engine abi {}, build {}\n", h.engine_abi_version,
             h.engine_build_id.empty() ? "-" : escape_text(h.engine_build_id));
  fmt::print(out_, "# seed {}, heap 0x{:x} + {} bytes, app source digest {}\n", h.seed, h.heap_base,
             h.heap_bytes, h.app_source_digest.empty() ? "-" : hex_bytes(h.app_source_digest));
  fmt::print(out_, "# recorded on {} at {}\n", escape_text(h.host_name),
             iso_time(static_cast<double>(h.start_wall_time_ns) / 1e9));
  fmt::print(out_,
             "# recorder: checkpoint_every={} flush_ms={} fsync={} zstd_level={} "
             "max_log_bytes={} frame_restart_bytes={}\n",
             h.checkpoint_every, h.flush_ms, wal::fsync_mode_name(h.fsync), h.zstd_level,
             h.max_log_bytes, h.frame_restart_bytes);
  // Format 1.1 records the app's limits; a 1.0 log's header shows as it did.
  if (h.limits || h.version_major > 1 || h.version_minor >= 1)
    fmt::print(out_, "# limits: {}\n", wal::app_limits_text(h.limits));
  if (h.segment != 0) {
    fmt::print(out_, "# segment {} of recording {}, from event {}", h.segment,
               wal::recording_id_text(h.recording_id), h.first_event);
    if (segments > 1) fmt::print(out_, "; {} segments read as one log", segments);
    fmt::print(out_, "\n");
  }
  size_t at = 0;
  while (at < h.options_text.size()) {
    size_t nl = h.options_text.find('\n', at);
    if (nl == std::string::npos) nl = h.options_text.size();
    const std::string_view line(h.options_text.data() + at, nl - at);
    if (!line.empty()) fmt::print(out_, "# option {}\n", escape_text(line));
    at = nl + 1;
  }
}

[[gnu::always_inline]] inline bool DumpPrinter::selected(const wal::Record& r,
                                                         const int32_t* accepted_chid) const {
  if (type_) {
    if (r.type != *type_) return false;
  } else if (r.type == wal::RecordType::kCheckpoint) {
    if (!options_.checkpoints && stats_ == nullptr) return false;
  } else if (r.type == wal::RecordType::kAcceptResult) {
    return false;  // shown on its notify_accept's line
  }
  // The end record follows the last event: it is shown whatever the range.
  if (r.type != wal::RecordType::kEnd && !range_.contains(r.event)) return false;
  if (options_.channel) {
    if (r.type == wal::RecordType::kNotifyAccept)
      return accepted_chid != nullptr && *accepted_chid == *options_.channel;
    if (!r.info().has(wal::kFieldChid)) return false;
    return r.chid == *options_.channel;
  }
  return true;
}

void DumpPrinter::take(const wal::Record& r) { take_records(&r, 1); }

void DumpPrinter::take_records(const wal::Record* records, size_t n) {
  if (plain_) {
    for (size_t i = 0; i < n; ++i) take_plain(records[i]);
    return;
  }
  for (size_t i = 0; i < n; ++i) take_one(records[i]);
}

[[gnu::always_inline]] inline void DumpPrinter::take_plain(const wal::Record& r) {
  // Each record of these types is printed as it comes, whatever came
  // before (no accept waits, no snapshot is being assembled): the rest go
  // the whole way.
  if (pending_accept_ || !kPrintedAsItComes.of[static_cast<uint8_t>(r.type) & 0x7Fu]) {
    take_one(r);
    return;
  }
  switch (r.type) {
#define LX_DUMP_PLAIN_CASE(name, ...)                                                \
  case wal::RecordType::name:                                                        \
    if constexpr (kPrintedAsItComes.of[static_cast<uint8_t>(wal::RecordType::name)]) \
      add_text_line<wal::RecordType::name>(r, nullptr);                              \
    break;
    LX_WAL_RECORD_TYPES(LX_DUMP_PLAIN_CASE)
#undef LX_DUMP_PLAIN_CASE
  }
  ++printed_;
  if (lines_bytes_ >= kWriteBytes) write_lines();
}

[[gnu::always_inline]] inline void DumpPrinter::take_one(const wal::Record& r) {
  state_hash_.reset();
  // (add ignores every other type: the test saves a call per record.)
  const bool snapshot =
      r.type == wal::RecordType::kSnapshotTaken || r.type == wal::RecordType::kSnapshotData;
  if (snapshot && snapshots_.add(r) == wal::SnapshotAssembler::Outcome::kComplete)
    state_hash_ = host::state_hash_of_stream_end(snapshots_.take().stream);
  if (pending_accept_) {
    const wal::Record accept = *pending_accept_;
    pending_accept_.reset();
    if (r.type == wal::RecordType::kAcceptResult && r.event == accept.event) {
      if (selected(accept, &r.chid)) emit(accept, &r.chid);
      if (selected(r, nullptr)) emit(r, nullptr);
      return;
    }
    if (selected(accept, nullptr)) emit(accept, nullptr);
  }
  if (r.type == wal::RecordType::kNotifyAccept) {
    pending_accept_ = r;
    return;
  }
  if (selected(r, nullptr)) emit_one(r, nullptr);
}

void DumpPrinter::finish() {
  if (pending_accept_) {
    const wal::Record accept = *pending_accept_;
    pending_accept_.reset();
    if (selected(accept, nullptr)) emit(accept, nullptr);
  }
  write_lines();
}

void DumpPrinter::write_lines() {
  if (lines_bytes_ == 0) return;
  std::fwrite(lines_.data(), 1, lines_bytes_, out_);
  lines_bytes_ = 0;
}

void DumpPrinter::grow_lines(size_t chars) {
  lines_.grow(std::max({2 * lines_.size(), lines_bytes_ + chars, 2 * kWriteBytes}), lines_bytes_);
}

void DumpPrinter::add_line(std::string_view text) {
  std::memcpy(reserve_line(text.size() + 1), text.data(), text.size());
  lines_bytes_ += text.size();
  lines_[lines_bytes_++] = '\n';
}

void DumpPrinter::emit(const wal::Record& r, const int32_t* accepted_chid) {
  emit_one(r, accepted_chid);
}

[[gnu::always_inline]] inline void DumpPrinter::emit_one(const wal::Record& r,
                                                         const int32_t* accepted_chid) {
  if (stats_ != nullptr) {
    stats_->count(r, accepted_chid != nullptr ? std::optional(*accepted_chid) : std::nullopt);
    return;
  }
  // One buffer for the lines, written when it holds kWriteBytes (one
  // fwrite for many lines), or at once when following a log.
  if (options_.json) {
    json_text_.clear();
    append_json_line(json_text_, r, accepted_chid);
    add_line(json_text_);
  } else {
    // One case per type: each type's line is written by code with its
    // fields known when compiling (no test per field a type has not).
    switch (r.type) {
#define LX_DUMP_TEXT_CASE(name, ...)                        \
  case wal::RecordType::name:                               \
    add_text_line<wal::RecordType::name>(r, accepted_chid); \
    break;
      LX_WAL_RECORD_TYPES(LX_DUMP_TEXT_CASE)
#undef LX_DUMP_TEXT_CASE
    }
  }
  ++printed_;
  if (options_.follow) {
    write_lines();
    std::fflush(out_);
  } else if (lines_bytes_ >= kWriteBytes) {
    write_lines();
  }
}

[[gnu::always_inline]] inline char* DumpPrinter::write_event_number(char* at, uint64_t event) {
  TextCursor line(at);
  if (event < 100) {
    line.put_u64(event);
    return line.end();
  }
  if (event_text_bytes_ == 0 || event != event_last_) {
    if (event_text_bytes_ != 0 && event == event_last_ + 1 && event_low_ < 99) {
      ++event_low_;  // the next event, in the same hundred
    } else {
      const uint64_t hundreds = event / 100;
      if (event_text_bytes_ == 0 || hundreds != event_hundreds_) {
        TextCursor digits(event_text_);
        digits.put_u64(hundreds);
        event_text_bytes_ = static_cast<size_t>(digits.end() - event_text_);
        event_hundreds_ = hundreds;
      }
      event_low_ = static_cast<uint32_t>(event % 100);
    }
    event_last_ = event;
  }
  // A fixed-size copy (the stale rest lies in the line's room), then the
  // last two digits over the rest.
  std::memcpy(at, event_text_, kMaxDecimalChars);
  line.skip_to(at + event_text_bytes_);
  line.put_two_digits(event_low_);
  return line.end();
}

std::string DumpPrinter::end_line(const wal::Record& r) {
  if (r.end_reason == wal::EndReason::kCrashed)
    return fmt::format("# end: crashed (signal {}) after #{}", r.end_detail, r.event);
  if (r.end_reason == wal::EndReason::kClosed && r.end_detail > 0)
    return fmt::format("# end: closed after #{}; the recording goes on in segment {}", r.event,
                       r.end_detail);
  return fmt::format("# end: {} after #{}", wal::end_reason_name(r.end_reason), r.event);
}

template <wal::RecordType T>
[[gnu::always_inline]] inline void DumpPrinter::add_text_line(const wal::Record& r,
                                                              const int32_t* accepted_chid) {
  if constexpr (T == wal::RecordType::kEnd) {
    add_line(end_line(r));
  } else {
    // Room for the longest line the record can have, reserved once: the
    // fields then go in with plain stores.
    constexpr wal::RecordTypeInfo info = kInfoOf<T>;
    constexpr bool preview = info.has(wal::kFieldBytes) && !info.has(wal::kFieldSnapshot);
    size_t room = kTextLineFieldsMax + 1;
    if constexpr (preview) room += escaped_chars_max(std::min(r.bytes.size(), options_.max_bytes));
    char* const start = reserve_line(room);
    const size_t written = static_cast<size_t>(write_text_line<T>(start, r, accepted_chid) - start);
    LX_ASSERT(written <= room);
    lines_bytes_ += written;
  }
}

template <wal::RecordType T>
[[gnu::always_inline]] inline char* DumpPrinter::write_text_line(char* at, const wal::Record& r,
                                                                 const int32_t* accepted_chid) {
  constexpr wal::RecordTypeInfo info = kInfoOf<T>;
  // Field by field with plain stores into room reserved for the whole line:
  // this runs once per record. (A local cursor, so its position stays in a
  // register; the functions it calls return the end of what they wrote.)
  TextCursor line(at);
  line.put('#');
  line.skip_to(write_event_number(line.end(), r.event));
  line.put(' ');
  std::memcpy(line.end(), kTypeNames.text[static_cast<uint8_t>(T)], kNameRoom);
  line.skip_to(line.end() + info.name.size());
  if constexpr (info.has(wal::kFieldClock)) {
    line.put_literal(" t=");
    line.skip_to(clock_text_.write(line.end(), r.clock_seconds));
  }
  if constexpr (info.has(wal::kFieldPort)) {
    line.put_literal(" port=");
    line.put_i64(r.port);
    line.put_literal(" ch=");
    if (accepted_chid) {
      line.put_i64(*accepted_chid);
    } else {
      line.put('?');
    }
  }
  if constexpr (info.has(wal::kFieldChid)) {
    line.put_literal(" ch=");
    line.put_i64(r.chid);
  }
  if constexpr (info.has(wal::kFieldBytes) || info.has(wal::kFieldCount)) {
    line.put(' ');
    if constexpr (info.has(wal::kFieldCount)) {  // size_bytes()
      line.put_u64(r.byte_count);
    } else {
      line.put_u64(r.bytes.size());
    }
    line.put('B');
  }
  if constexpr (info.has(wal::kFieldSnapshot)) {
    line.put_literal(" of=#");
    line.put_u64(r.snapshot.event);
    line.put_literal(" serial=");
    line.put_u64(r.snapshot.serial);
    if ((r.snapshot.flags & wal::kSnapshotLast) != 0) line.put_literal(" last");
    if ((r.snapshot.flags & wal::kSnapshotAbandoned) != 0) line.put_literal(" abandoned");
    if (state_hash_) {
      line.put_literal(" state_hash=");
      line.put_hex64(*state_hash_);
    }
  } else if constexpr (info.has(wal::kFieldBytes)) {
    // (A snapshot's bytes are a compressed stream: no preview.)
    const size_t n = std::min(r.bytes.size(), options_.max_bytes);
    line.put_literal(" \"");
    line.skip_to(previews_.write(line.end(), r.bytes.data(), n));
    line.put('"');
    if (n < r.bytes.size()) line.put_literal("...");
  }
  if constexpr (info.has(wal::kFieldFigures)) {
    line.put_literal(" events=");
    line.put_u64(r.figures.event_count);
    line.put_literal(" memhash=");
    line.put_hex64(r.figures.memhash);
    line.put_literal(" outhash=");
    line.put_hex64(r.figures.outhash);
    line.put_literal(" heap=");
    line.put_u64(r.figures.heap_bytes_in_use);
    line.put('B');
  }
  line.put('\n');
  return line.end();
}

void DumpPrinter::append_json_line(std::string& line, const wal::Record& r,
                                   const int32_t* accepted_chid) {
  JsonLine& j = json_;
  j.clear();
  const wal::RecordType t = r.type;
  j.add_str("kind", t == wal::RecordType::kCheckpoint ? "checkpoint"
                    : t == wal::RecordType::kEnd      ? "end"
                    : wal::is_event(t)                ? "event"
                                                      : "record");
  add_record(j, r, options_.max_bytes);
  if (state_hash_) j.add_hash("state_hash", *state_hash_);
  if (t == wal::RecordType::kNotifyAccept) {
    if (accepted_chid) {
      j.add_i64("chid", *accepted_chid);
    } else {
      j.add_null("chid");
    }
  }
  j.append_to(line);
}

}  // namespace lx::tools
