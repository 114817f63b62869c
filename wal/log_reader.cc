// Which LogReader a path, a descriptor or a source gets: a directory is a
// chain of segments, anything else one file (log_reader.h).
#include "lx/wal/log_reader.h"

#include <unistd.h>

#include "file_log_reader.h"
#include "lx/assert.h"
#include "lx/wal/segments.h"
#include "segment_chain.h"

namespace lx::wal {
namespace {

Result<std::unique_ptr<LogReader>> as_log_reader(Result<std::unique_ptr<FileLogReader>> opened) {
  if (!opened.ok()) return opened.status();
  return std::unique_ptr<LogReader>(std::move(opened).value());
}

}  // namespace

Result<size_t> LogReader::next_records(Record* out, size_t capacity) {
  LX_ASSERT(capacity > 0);
  Result<bool> more = next(out);
  if (!more.ok()) return more.status();
  return size_t{more.value() ? 1u : 0u};
}

Result<std::unique_ptr<LogReader>> LogReader::open(const std::string& path,
                                                   const ReaderOptions& options) {
  if (is_directory(path)) return SegmentChain::open(path, options);
  return as_log_reader(FileLogReader::open_path(path, options));
}

Result<std::unique_ptr<LogReader>> LogReader::open_fd(int fd, const ReaderOptions& options) {
  const off_t at = ::lseek(fd, 0, SEEK_CUR);
  const uint64_t start = at > 0 ? static_cast<uint64_t>(at) : 0;
  return as_log_reader(FileLogReader::open_source_at(fd_source(fd), start, options));
}

Result<std::unique_ptr<LogReader>> LogReader::open_source(std::unique_ptr<ByteSource> source,
                                                          const ReaderOptions& options) {
  return as_log_reader(FileLogReader::open_source_at(std::move(source), 0, options));
}

}  // namespace lx::wal
