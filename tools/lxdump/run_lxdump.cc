// lxdump: reads a log and prints the selected records, or statistics about
// them. The options are checked first (usage errors before any file is
// opened); damage is reported as the reader meets it.
#include "run_lxdump.h"

#include <fmt/format.h>

#include <limits>
#include <span>
#include <vector>

#include "dump_printer.h"
#include "dump_stats.h"
#include "lx/exit_code.h"
#include "lx/timeline/log_views.h"
#include "lx/tools/diagnostics.h"
#include "lx/tools/event_range.h"
#include "lx/tools/json_line.h"
#include "lx/tools/log_open.h"

namespace lx::tools {
namespace {

constexpr const char* kTool = "lxdump";
// Records taken from the reader per call.
constexpr size_t kBatchRecords = 64;

// A record copied out of the reader (whose bytes live only until its next call).
struct OwnedRecord {
  wal::Record record;
  std::vector<uint8_t> bytes;
};

class Dump {
 public:
  Dump(const LxdumpOptions& options, std::FILE* out, std::FILE* err)
      : options_(options), out_(out), diag_(kTool, err) {}

  int run() { return finish(dump()); }

 private:
  int dump();
  int usage(std::string message) {
    error_ = std::move(message);
    diag_.error("{}; see lxdump --help", error_);
    return kExitUsage;
  }
  int read_error(const Status& status) {
    error_ = status.message();
    print_log_error(diag_, status, true);
    return exit_code_for(status);
  }
  int finish(int exit_code);

  const LxdumpOptions& options_;
  std::FILE* out_;
  Diagnostics diag_;
  std::string error_;
  uint64_t printed_ = 0;
};

int Dump::dump() {
  auto parsed = parse_event_range(options_.range);
  if (!parsed.ok()) return usage(parsed.status().message());
  EventRange range = parsed.value();
  if (options_.strict && options_.salvage)
    return usage("--strict and --salvage exclude each other");
  wal::RecordType type;
  if (!options_.type.empty() && !wal::record_type_from_name(options_.type, &type))
    return usage(
        fmt::format("unknown type '{}': use one of {}", options_.type, wal::record_type_names()));
  if (options_.path.empty()) return usage("no log file given");
  const bool views = !options_.trace_events.empty() || !options_.timeline.empty();
  if (views && (options_.json || options_.stats || options_.follow || options_.checkpoints ||
                options_.channel || !options_.type.empty() || !options_.range.empty()))
    return usage(
        "--trace-events and --timeline take the whole log: drop the range and the other output "
        "flags");

  wal::ReaderOptions reader_options;
  reader_options.recovery = options_.strict    ? wal::Recovery::kStrict
                            : options_.salvage ? wal::Recovery::kSalvage
                                               : wal::Recovery::kTolerant;
  reader_options.follow = options_.follow;
  auto opened = open_log(options_.path, reader_options, diag_);
  if (!opened.ok()) return read_error(opened.status());
  wal::LogReader& reader = *opened.value();
  if (views) {
    std::string summary;
    Status s = timeline::write_log_views(reader, log_display_name(options_.path), options_.path,
                                         {options_.trace_events, options_.timeline}, &summary);
    if (!s.ok()) return read_error(s);
    for (size_t at = 0, nl; (nl = summary.find('\n', at)) != std::string::npos; at = nl + 1)
      diag_.line(summary.substr(at, nl - at));
    return kExitOk;
  }
  const wal::LogIndex* index = reader.index();
  if (range.end && index != nullptr) {
    range.first = range.last = index->event_count;
    range.end = false;
  }
  if (index != nullptr && !range.end && range.first > index->event_count) {
    diag_.warning("{}: the log's last event is {}; range '{}' selects no event",
                  log_display_name(options_.path), index->event_count, options_.range);
  }
  if (range.first > 1 && reader.can_seek() && !options_.stats) {
    // Start from the frame that holds the first event; without an index (or
    // past its end) the reader reads from the start, as it would anyway.
    if (index == nullptr || range.first <= index->event_count)
      (void)reader.seek_to_event(range.first);
  }
  DumpStats stats;
  DumpStats* counting = options_.stats ? &stats : nullptr;
  DumpPrinter printer(options_, range, out_, counting);
  printer.print_header(reader.header(), log_display_name(options_.path), reader.segment_count());
  diag_.start_progress(index != nullptr ? index->event_count : 0);
  std::vector<OwnedRecord> last_group;  // "end" without an index: the last event's records
  uint64_t last_event = 0;
  // The reader hands out the records of a decoded block many at a time
  // (next_records): no call into it per record.
  std::vector<wal::Record> batch(kBatchRecords);
  for (bool reading = true; reading;) {
    auto got = reader.next_records(batch.data(), batch.size());
    if (!got.ok()) {
      printer.finish();
      printed_ = printer.printed();
      return read_error(got.status());
    }
    if (got.value() == 0) break;
    const std::span<const wal::Record> records(batch.data(), got.value());
    if (!range.end && !diag_.progress_on() &&
        (options_.stats || range.last == std::numeric_limits<uint64_t>::max())) {
      // Every record goes to the printer (no event is past the range); only
      // the last event number is wanted.
      for (size_t i = records.size(); i-- > 0;) {
        if (wal::is_event(records[i].type)) {
          last_event = records[i].event;
          break;
        }
      }
      printer.take_records(records.data(), records.size());
      continue;
    }
    // The records up to the first past the range go to the printer at once.
    size_t taken = 0;
    for (const wal::Record& record : records) {
      const bool event = wal::is_event(record.type);
      if (event) {
        last_event = record.event;
        diag_.progress(last_event);
      }
      if (range.end) {
        if (event) last_group.clear();
        last_group.push_back({record, {record.bytes.begin(), record.bytes.end()}});
        continue;
      }
      if (!options_.stats && event && record.event > range.last) {
        reading = false;
        break;
      }
      ++taken;
    }
    if (!range.end) printer.take_records(batch.data(), taken);
  }
  diag_.end_progress();
  if (range.end && !last_group.empty()) {
    EventRange last{last_group.front().record.event, last_group.front().record.event, false};
    DumpPrinter tail(options_, last, out_, counting);
    for (OwnedRecord& o : last_group) {
      o.record.bytes = o.bytes;
      tail.take(o.record);
    }
    tail.finish();
    printed_ = tail.printed();
  } else {
    printer.finish();
    printed_ = printer.printed();
    if (index == nullptr && !range.end && range.first > last_event && !options_.range.empty()) {
      diag_.warning("{}: the log's last event is {}; range '{}' selects no event",
                    log_display_name(options_.path), last_event, options_.range);
    }
  }
  if (options_.stats) stats.print(reader, options_.json, out_);
  return kExitOk;
}

int Dump::finish(int exit_code) {
  if (options_.json) {
    JsonLine j = summary_line(kTool, exit_code == kExitOk ? "ok" : "error", exit_code);
    j.add_u64("records_printed", printed_);
    if (!error_.empty()) j.add_str("error", error_);
    j.print(out_);
  }
  std::fflush(out_);
  return exit_code;
}

}  // namespace

int run_lxdump(const LxdumpOptions& options, std::FILE* out, std::FILE* err) {
  return run_guarded(kTool, out, err, [&] {
    Dump dump(options, out, err);
    return dump.run();
  });
}

}  // namespace lx::tools
