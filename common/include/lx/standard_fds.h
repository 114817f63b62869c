// Opens /dev/null on any of file descriptors 0, 1 and 2 that a program was
// started without (`lxrun <&-`), before anything else opens a file. Otherwise
// the next socket or log file would take that number: libuv refuses to close
// a socket numbered 0..2 (it aborts), and a log opened as fd 1 would receive
// whatever the program prints.
#pragma once

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>

namespace lx {

// Call first thing in main(). Returns false if /dev/null cannot be opened.
inline bool open_missing_standard_fds() {
  for (int fd = 0; fd <= 2; ++fd) {
    if (fcntl(fd, F_GETFD) != -1 || errno != EBADF) continue;
    // open() returns the lowest free number: this one, as 0..fd-1 are open.
    int opened = open("/dev/null", fd == 0 ? O_RDONLY : O_WRONLY);
    if (opened < 0) return false;
    if (opened != fd) {
      close(opened);
      return false;
    }
  }
  return true;
}

}  // namespace lx
