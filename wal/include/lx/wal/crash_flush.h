// Crash safety: handlers for the fatal signals that get every staged record
// of the active LogWriter into the file before the process dies, so the
// event that crashed the engine is in the log (DESIGN.md section 7).
#pragma once

#include "lx/status.h"

namespace lx::wal {

class LogWriter;

struct CrashFlushOptions {
  // How long the handler waits for the writer thread to compress and write
  // what is staged before it writes the records itself, uncompressed.
  int writer_wait_ms = 2000;
};

// Installs handlers for SIGSEGV, SIGBUS, SIGABRT, SIGFPE and SIGILL
// (SA_ONSTACK | SA_RESETHAND | SA_SIGINFO) and gives the calling thread an
// alternate signal stack. On a fatal signal the handler flushes `writer`
// (LogWriter::flush_for_signal) and re-raises the signal, so the process
// still dies of it and dumps core as it would have. One writer per process:
// a second call replaces the first. The writer must outlive the installation
// or be closed first (LogWriter::close detaches it). Call from the driver
// thread after LogWriter::open. @return kIo when sigaction or sigaltstack fail.
Status install_crash_flush(LogWriter& writer, const CrashFlushOptions& options = {});

// Restores the handlers that were there before and detaches the writer.
void uninstall_crash_flush();

// Gives the calling thread an alternate signal stack (64 KiB, kept for the
// thread's life) if it has none, so a stack overflow can still be handled.
// Threads other than the driver's and the writer's that may crash call it.
Status ensure_alternate_signal_stack();

}  // namespace lx::wal
