// lxrun with faults injected under its log writer, built for the end-to-end
// I/O fault tests only (test_io_faults.py): LX_TEST_IO_FAULTS=KIND:N:EFFECT
// (tests/wal/file_faults.h) fails the N-th call of that kind. The production
// lxrun does not link this file, so no environment variable can make it fault.
#include <cstdio>
#include <cstdlib>

#include "file_faults.h"
#include "lx/wal/file_ops.h"

namespace {

// Before main(): lxrun opens its log long after, through LogWriter::open,
// which takes this table when its WriterOptions name none.
struct InstallFaults {
  InstallFaults() {
    const char* text = std::getenv("LX_TEST_IO_FAULTS");
    if (text == nullptr || *text == '\0') return;
    const auto fault = lx::wal::test::parse_file_fault(text);
    if (!fault) {
      std::fprintf(stderr,
                   "lxrun: error: LX_TEST_IO_FAULTS=%s: not a fault; use KIND:N:EFFECT, e.g. "
                   "write:5:EIO (tests/wal/file_faults.h)\n",
                   text);
      std::exit(2);
    }
    static lx::wal::test::FileFaults faults(*fault);
    lx::wal::set_file_ops_for_test(faults.ops());
  }
} install_faults;

}  // namespace
