// DumpPrinter: lxdump's output for one log: the header, then one line per
// selected record (text or JSON Lines), in log order. The text form is
// documented in docs/recording.md ("Reading a log with lxdump"), the JSON
// form in docs/json.md.
#pragma once

#include <cstdio>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "dump_stats.h"
#include "lx/raw_buffer.h"
#include "lx/tools/event_range.h"
#include "lx/tools/json_line.h"
#include "lx/tools/preview_memo.h"
#include "lx/tools/record_text.h"
#include "lx/tools/text_cursor.h"
#include "lx/wal/format.h"
#include "lx/wal/log_header.h"
#include "lx/wal/log_snapshots.h"
#include "lxdump_options.h"

namespace lx::tools {

class DumpPrinter {
 public:
  // options and out must outlive the printer. With stats, selected records
  // are counted there instead of printed (--stats).
  DumpPrinter(const LxdumpOptions& options, const EventRange& range, std::FILE* out,
              DumpStats* stats = nullptr);
  // Writes the lines not written yet (finish() does, unless a throw skipped it).
  ~DumpPrinter() { write_lines(); }
  DumpPrinter(const DumpPrinter&) = delete;
  DumpPrinter& operator=(const DumpPrinter&) = delete;

  // segments: how many segment files the log was read from (1 for a file).
  void print_header(const wal::LogHeader& header, const std::string& name, size_t segments);
  // Takes every record in log order; prints the selected ones. A
  // notify_accept waits for its accept_result, whose chid its line shows.
  void take(const wal::Record& record);
  // take() for each of records[0..n), in order (a batch from the reader).
  void take_records(const wal::Record* records, size_t n);
  // Prints a notify_accept still waiting (the log ended after it) and writes
  // every line still buffered to out.
  void finish();
  // Lines printed so far.
  uint64_t printed() const { return printed_; }

 private:
  // accepted_chid: for a notify_accept, the chid its accept_result gave, or
  // nullptr when none is known (a pointer, not an optional: GCC builds a
  // nullopt argument with a byte store that a wider load then waits on, once
  // per record).
  bool selected(const wal::Record& record, const int32_t* accepted_chid) const;
  // take()'s work for one record, inlined into take_records' loop.
  void take_one(const wal::Record& record);
  // take_one() when plain_: an event's text line at once, without the tests
  // of the options; any other record through take_one().
  void take_plain(const wal::Record& record);
  // Prints a selected record (emit_one: inlined where take_one prints the
  // record it was given; emit: for the rest).
  void emit(const wal::Record& record, const int32_t* accepted_chid);
  void emit_one(const wal::Record& record, const int32_t* accepted_chid);
  void write_lines();
  // Room for chars more characters after the lines gathered: @return where
  // they go (lines_bytes_ says how many were used).
  char* reserve_line(size_t chars) {
    if (lines_.size() - lines_bytes_ < chars) grow_lines(chars);
    return lines_.data() + lines_bytes_;
  }
  void grow_lines(size_t chars);
  // text and a newline, after the lines gathered.
  void add_line(std::string_view text);
  // The end record's text line, without its newline.
  static std::string end_line(const wal::Record& record);
  // The text line of a record of type T, with its newline, after the lines
  // gathered.
  template <wal::RecordType T>
  [[gnu::always_inline]] void add_text_line(const wal::Record& record,
                                            const int32_t* accepted_chid);
  // The text line of a record of type T but end, with its newline, at `at`,
  // which has room for kTextLineFieldsMax, the newline and the escaped
  // payload preview. @return the end of the line.
  template <wal::RecordType T>
  char* write_text_line(char* at, const wal::Record& record, const int32_t* accepted_chid);
  // The event number in decimal at `at` (room for kMaxDecimalChars).
  // @return the end of its digits.
  char* write_event_number(char* at, uint64_t event);
  void append_json_line(std::string& line, const wal::Record& record, const int32_t* accepted_chid);

  const LxdumpOptions& options_;
  const EventRange range_;
  std::FILE* out_;
  DumpStats* stats_;
  std::optional<wal::RecordType> type_;  // --type
  // Text of every record in the log (no --type, --channel, range, --json,
  // --stats or --follow): take_plain.
  bool plain_ = false;
  std::optional<wal::Record> pending_accept_;
  // The snapshots' pieces, for the state hash at each one's last piece.
  wal::SnapshotAssembler snapshots_{false};
  std::optional<uint64_t> state_hash_;  // of the snapshot whose last piece is being printed
  uint64_t printed_ = 0;
  // Lines not written yet: written to out once kWriteBytes have gathered.
  static constexpr size_t kWriteBytes = 64u << 10;
  RawBuffer<char> lines_;
  size_t lines_bytes_ = 0;
  JsonLine json_;             // the line being built for --json, reused for every record
  std::string json_text_;     // its text
  IsoTimeWriter clock_text_;  // set_clock lines' times
  PreviewMemo previews_;      // payload previews' text
  // The digits of the last line's event number but its last two: the next
  // line's event is the same or one more, so these change once in a hundred
  // lines. (Not the whole number, carried through in place: the line's wide
  // copy of digits just changed byte by byte stalled on store forwarding.)
  char event_text_[24] = {};
  size_t event_text_bytes_ = 0;  // 0: none yet
  uint64_t event_hundreds_ = 0;  // the number event_text_ holds
  // The last event number of 100 or more written, and its last two digits:
  // the next one is mostly the same or one more, found without a division.
  uint64_t event_last_ = 0;
  uint32_t event_low_ = 0;
};

}  // namespace lx::tools
