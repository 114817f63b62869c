// What LogWriter needs from the crash handler's globals: detaching itself
// when it closes, and an alternate signal stack for its own thread.
#pragma once

#include <signal.h>

namespace lx::wal {

class LogWriter;

// Forgets `writer` if the crash handler points at it. Safe without install.
void crash_flush_detach(LogWriter* writer);

// An alternate signal stack for the current thread for this object's life.
class ThreadAltStack {
 public:
  ThreadAltStack();
  ~ThreadAltStack();
  ThreadAltStack(const ThreadAltStack&) = delete;
  ThreadAltStack& operator=(const ThreadAltStack&) = delete;

 private:
  void* memory_ = nullptr;
};

}  // namespace lx::wal
