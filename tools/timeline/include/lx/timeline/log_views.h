// From a log to its views in one call: reads the records a LogReader has left
// into a SessionModel (no replay, so replies are byte counts) and writes the
// trace and/or the timeline page. lxdump's --trace-events and --timeline.
#pragma once

#include <cstdio>
#include <functional>
#include <string>

#include "lx/status.h"
#include "lx/timeline/session_model.h"
#include "lx/timeline/timeline_html.h"
#include "lx/wal/log_reader.h"

namespace lx::timeline {

// Reads every record left in reader. @return the reader's error (kCorrupt in
// strict mode on damage, kIo on a read error); a tolerated damage just ends it.
Result<SessionModel> model_from_log(wal::LogReader& reader, std::string title,
                                    std::string log_path);

// Runs write(FILE*) into path ("-": stdout), the file created with mode
// 0600 (it holds the session's bytes) and replaced if it exists. @return
// kIo naming the file on failure, with what to do.
Status write_view_file(const std::string& path, const std::function<Status(std::FILE*)>& write);

struct LogViewPaths {
  std::string trace_events;  // Chrome Trace Event JSON; "" for none, "-" for stdout
  std::string timeline;      // HTML page; "" for none, "-" for stdout
};

// Builds the model from reader and writes each requested view. Files are
// created with mode 0600 (they hold the session's bytes) and replaced if
// they exist. *summary gets one line per file written, e.g. "wrote t.json:
// 12 tracks, 340 spans, 25 instants". @return kIo naming the file that
// could not be written, or the reader's error.
Status write_log_views(wal::LogReader& reader, const std::string& title,
                       const std::string& log_path, const LogViewPaths& paths,
                       std::string* summary);

// Writes page to path ("-": stdout), created with mode 0600 and replaced
// if it exists. @return kIo naming the file when it cannot be written.
Status write_page_file(const std::string& path, const TimelinePage& page, PageCounts* counts);

}  // namespace lx::timeline
