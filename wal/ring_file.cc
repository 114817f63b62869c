// Ring files (ring_file.h) and recovering one into its log (ring_recovery.h).
#include "ring_file.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>
#include <new>
#include <vector>

#include "crash_frame.h"
#include "fd_io.h"
#include "lx/wal/crc32c.h"
#include "lx/wal/format.h"
#include "lx/wal/ring_recovery.h"

namespace lx::wal {
namespace {

class MappedRing final : public RingMemory {
 public:
  MappedRing(void* base, size_t map_bytes, size_t capacity)
      : base_(static_cast<uint8_t*>(base)), map_bytes_(map_bytes), capacity_(capacity) {}
  ~MappedRing() override { ::munmap(base_, map_bytes_); }
  RingHeader* header() override { return reinterpret_cast<RingHeader*>(base_); }
  uint8_t* records() override { return base_ + RingHeader::kBytes; }
  size_t capacity() const override { return capacity_; }

 private:
  uint8_t* base_;
  size_t map_bytes_;
  size_t capacity_;
};

// Closes a descriptor when it goes out of scope.
struct Fd {
  int fd = -1;
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
};

}  // namespace

bool log_identity(const FileOps* ops, int fd, const uint8_t* header_frame, size_t bytes,
                  uint32_t* identity) {
  struct stat st {};
  if (file_fstat(ops, fd, &st) != 0) return false;
  uint8_t file_id[16];
  put_u64(file_id, static_cast<uint64_t>(st.st_dev));
  put_u64(file_id + 8, static_cast<uint64_t>(st.st_ino));
  *identity = crc32c_extend(crc32c(header_frame, bytes), file_id, sizeof file_id);
  return true;
}

namespace {
// Maps every page of the ring writable now rather than at the producer's
// first store into it: otherwise, during the ring's first lap, the driver
// thread takes a page fault (a microsecond or more) every 4 KiB of records.
// The pages are the file's allocated zeros; storing a page's first byte
// back changes nothing. One call where the kernel has MADV_POPULATE_WRITE
// (Linux 5.14).
void map_writable_now(void* base, size_t bytes) {
#ifdef MADV_POPULATE_WRITE
  if (::madvise(base, bytes, MADV_POPULATE_WRITE) == 0) return;
#endif
  const size_t page = static_cast<size_t>(::sysconf(_SC_PAGESIZE));
  auto* p = static_cast<volatile uint8_t*>(base);
  for (size_t at = 0; at < bytes; at += page) p[at] = p[at];
}
}  // namespace

std::string ring_file_path(const std::string& log_path) { return log_path + ".ring"; }

Result<std::unique_ptr<RingMemory>> create_ring_file(const FileOps* ops, const std::string& path,
                                                     size_t capacity_bytes, uint32_t identity) {
  Fd f;
  f.fd = file_open(ops, path.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (f.fd < 0) return Status::io("cannot create the staging file " + path, errno);
  const size_t map_bytes = RingHeader::kBytes + capacity_bytes;
  // Allocated, not sparse: a store into a mapped page the file system cannot
  // back (a full disk) would be SIGBUS, not an error.
  if (const int e = file_posix_fallocate(ops, f.fd, 0, static_cast<off_t>(map_bytes)); e != 0) {
    ::unlink(path.c_str());
    return Status::io("cannot allocate the staging file " + path, e);
  }
  void* base = ::mmap(nullptr, map_bytes, PROT_READ | PROT_WRITE, MAP_SHARED, f.fd, 0);
  if (base == MAP_FAILED) return Status::io("cannot map the staging file " + path, errno);
  map_writable_now(base, map_bytes);
  auto* header = new (base) RingHeader{};
  std::memcpy(header->magic, RingHeader::kMagic, sizeof header->magic);
  header->version = RingHeader::kVersion;
  header->header_bytes = RingHeader::kBytes;
  header->capacity = capacity_bytes;
  header->log_identity = identity;
  return std::unique_ptr<RingMemory>(new MappedRing(base, map_bytes, capacity_bytes));
}

Result<RingRecovery> recover_ring_file(const std::string& log_path) {
  RingRecovery result;
  const std::string ring_path = ring_file_path(log_path);
  Fd ring;
  ring.fd = ::open(ring_path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (ring.fd < 0) return result;  // no ring file: nothing to recover
  result.ring_found = true;
  Fd log;
  log.fd = ::open(log_path.c_str(), O_RDWR | O_APPEND | O_CLOEXEC | O_NOFOLLOW);
  if (log.fd < 0) {
    return Status::io("cannot open " + log_path + " to recover the records staged in " + ring_path,
                      errno);
  }
  // A writer still holds the log: the ring is its live staging buffer.
  if (::flock(log.fd, LOCK_EX | LOCK_NB) != 0) {
    result.ring_found = false;
    return result;
  }
  // The writer is gone: after the records below (if any), give back the
  // space it had reserved past the end of the log.
  struct ReleaseBlocks {
    int fd;
    ~ReleaseBlocks() { release_blocks_past_end(nullptr, fd); }
  } release{log.fd};
  struct stat st {};
  if (::fstat(ring.fd, &st) != 0 || static_cast<uint64_t>(st.st_size) < RingHeader::kBytes) {
    ::unlink(ring_path.c_str());
    result.note = ring_path + " was too short to hold a staging ring; removed it";
    return result;
  }
  const size_t map_bytes = static_cast<size_t>(st.st_size);
  void* base = ::mmap(nullptr, map_bytes, PROT_READ, MAP_SHARED, ring.fd, 0);
  if (base == MAP_FAILED) return Status::io("cannot map " + ring_path, errno);
  struct Unmap {
    void* p;
    size_t n;
    ~Unmap() {
      if (p != nullptr) ::munmap(p, n);
    }
  } unmap{base, map_bytes};
  const auto* header = static_cast<const RingHeader*>(base);
  const uint64_t capacity = header->capacity;
  if (std::memcmp(header->magic, RingHeader::kMagic, sizeof header->magic) != 0 ||
      header->header_bytes != RingHeader::kBytes || capacity < (64u << 10) ||
      capacity > map_bytes - RingHeader::kBytes) {
    ::unlink(ring_path.c_str());
    result.note = ring_path + " is not a staging ring; removed it";
    return result;
  }
  if (RecordCrc rule; !ring_record_crc(header->version, &rule)) {
    // A newer lx's ring: its records are its to recover.
    return Status::corruption(ring_path + " is a staging ring of version " +
                              std::to_string(header->version) +
                              ", newer than this lx reads; recover it with the lx that wrote it");
  }
  // Which log it belongs to: the CRC of the log's header frame.
  uint8_t frame_head[8];
  if (!pread_fully(log.fd, 0, frame_head, sizeof frame_head) ||
      get_u32(frame_head) != kHeaderFrameMagic || get_u32(frame_head + 4) > kMaxHeaderPayloadBytes)
    return result;  // not an lx log: the reader will say so; leave the ring alone
  std::vector<uint8_t> frame(8 + get_u32(frame_head + 4));
  if (!pread_fully(log.fd, 0, frame.data(), frame.size())) return result;
  uint32_t identity = 0;
  if (!log_identity(nullptr, log.fd, frame.data(), frame.size(), &identity)) {
    // Not knowing is not a mismatch: keep the ring for a later open.
    return Status::io(
        "cannot examine " + log_path + " to recover the records staged in " + ring_path, errno);
  }
  if (identity != header->log_identity) {
    ::unlink(ring_path.c_str());
    result.note = ring_path + " belongs to an earlier log of that name; removed it";
    return result;
  }
  const uint64_t head = header->head.load();
  const uint64_t tail = header->tail.load();
  if (header->settled.load() != 0 || head <= tail || head - tail > capacity) {
    ::unlink(ring_path.c_str());
    return result;
  }
  // The staged records, in ring order, written as the crash flush writes
  // them (crash_frame.h): a marker, a frame of raw blocks, and an end record
  // "crashed" with detail 0 (the writer died without its crash flush).
  StagingRing staged(std::unique_ptr<RingMemory>(new MappedRing(base, map_bytes, capacity)));
  unmap.p = nullptr;  // the ring owns the mapping now
  staged.walk(tail, head, [&](const RawRecord& raw, const uint8_t*) {
    ++result.records;
    result.record_bytes += raw.record_bytes;
  });
  if (result.records > 0) {
    if (!write_crash_frame(nullptr, log.fd, staged, 0, 0) || ::fdatasync(log.fd) != 0) {
      return Status::io("cannot append the records staged in " + ring_path + " to " + log_path,
                        errno);
    }
    result.note = "recovered " + std::to_string(result.records) + " staged records from " +
                  ring_path + " into the log: its recorder died without its crash flush";
  }
  ::unlink(ring_path.c_str());
  return result;
}

}  // namespace lx::wal
