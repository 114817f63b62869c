// lxdump's views of a log: the model from the records, then the trace and
// the page, each into a file created 0600.
#include "lx/timeline/log_views.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <functional>

#include "lx/timeline/timeline_html.h"
#include "lx/timeline/trace_events.h"

namespace lx::timeline {

Status write_view_file(const std::string& path, const std::function<Status(std::FILE*)>& write) {
  if (path == "-") return write(stdout);
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0)
    return Status::error(ErrorKind::kIo, fmt::format("cannot create {}: {}; check the path", path,
                                                     std::strerror(errno)));
  std::FILE* f = ::fdopen(fd, "w");
  if (f == nullptr) {
    ::close(fd);
    return Status::error(ErrorKind::kIo,
                         fmt::format("cannot write {}: {}", path, std::strerror(errno)));
  }
  Status s = write(f);
  const bool closed = std::fclose(f) == 0;
  if (!s.ok())
    return Status::error(ErrorKind::kIo,
                         fmt::format("{}: {}; check the free space", path, s.message()));
  if (!closed)
    return Status::error(ErrorKind::kIo, fmt::format("cannot write {}: {}; check the free space",
                                                     path, std::strerror(errno)));
  return ok_status();
}

Result<SessionModel> model_from_log(wal::LogReader& reader, std::string title,
                                    std::string log_path) {
  SessionBuilder builder(std::move(title), std::move(log_path));
  builder.set_header(reader.header());
  wal::Record record;
  for (;;) {
    auto more = reader.next(&record);
    if (!more.ok()) return more.status();
    if (!more.value()) break;
    builder.add(record);
  }
  return std::move(builder).finish();
}

Status write_log_views(wal::LogReader& reader, const std::string& title,
                       const std::string& log_path, const LogViewPaths& paths,
                       std::string* summary) {
  auto model = model_from_log(reader, title, log_path);
  if (!model.ok()) return model.status();
  const SessionModel& m = model.value();
  std::string lines;
  // Writes one view if its path is set and adds its summary line.
  auto view = [&](const std::string& path, const std::function<Status(std::FILE*)>& write,
                  const std::function<std::string()>& what) {
    if (path.empty()) return ok_status();
    Status s = write_view_file(path, write);
    if (s.ok()) lines += fmt::format("wrote {}: {}\n", path, what());
    return s;
  };
  TraceCounts trace;
  Status s = view(
      paths.trace_events, [&](std::FILE* f) { return write_trace_events(m, f, &trace); },
      [&] {
        return fmt::format(
            "{} tracks, {} spans, {} instants (open it in Perfetto's UI or "
            "chrome://tracing)",
            trace.tracks, trace.spans, trace.instants);
      });
  if (!s.ok()) return s;
  PageCounts page;
  s = view(
      paths.timeline, [&](std::FILE* f) { return write_timeline_html(m, f, &page); },
      [&] {
        return fmt::format(
            "{} lanes, {} exchanges, {} marks, {} bytes (replies as byte counts: "
            "lxdump does not replay)",
            page.lanes, page.exchanges, page.marks, page.page_bytes);
      });
  if (!s.ok()) return s;
  if (summary != nullptr) *summary = std::move(lines);
  return ok_status();
}

Status write_page_file(const std::string& path, const TimelinePage& page, PageCounts* counts) {
  return write_view_file(path, [&](std::FILE* f) { return write_timeline_html(page, f, counts); });
}

}  // namespace lx::timeline
