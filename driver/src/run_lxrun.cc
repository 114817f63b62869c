// Setting up everything lxrun drives, in an order that reports usage errors
// before touching the engine, and a busy port before running any app code.
#include "run_lxrun.h"

#include <signal.h>
#include <uv.h>

#include <memory>

#include "driver.h"
#include "host_port.h"
#include "lx/host/engine.h"
#include "lx/host/engine_library.h"
#include "lx/host/heap_region.h"
#include "lx/host/source_blob.h"
#include "recording.h"

namespace lx::driver {
namespace {

int fail(std::FILE* err, int code, const std::string& message) {
  std::fprintf(err, "lxrun: error: %s\n", message.c_str());
  return code;
}

}  // namespace

int run_lxrun(const LxrunOptions& options, std::FILE* err) {
  for (const std::string& text : options.listen) {
    auto address = HostPort::parse_listen(text);
    if (!address.ok()) {
      return fail(err, kExitUsage, "--listen: " + address.status().message() + "; use [HOST:]PORT");
    }
  }
  if (options.max_connections == 0) {
    return fail(err, kExitUsage, "--max-connections must be at least 1");
  }
  if (options.memory_mb > (uint64_t{1} << 24)) {
    return fail(err, kExitUsage, "--memory-mb: at most 16777216 (16 TiB); 0 for no cap");
  }
  if (Status record = Recording::check(options.record); !record.ok()) {
    return fail(err, kExitUsage, record.message());
  }
  constexpr uint64_t kPageBytes = 4096;
  if (options.heap_base == 0 || options.heap_base % kPageBytes != 0) {
    return fail(err, kExitUsage, "--heap-base must be a non-zero multiple of 4096");
  }
  auto blob = host::read_app_dir(options.app_dir, options.app_args, app_symlinks(options));
  if (!blob.ok()) return fail(err, exit_code_for(blob.status()), blob.status().message());

  std::string engine_path =
      options.engine_path.empty() ? host::EngineLibrary::default_path() : options.engine_path;
  auto library = host::EngineLibrary::open(engine_path);
  if (!library.ok()) return fail(err, kExitIo, library.status().message());
  auto region = host::HeapRegion::reserve(options.heap_base);
  if (!region.ok()) return fail(err, kExitIo, region.status().message());
  auto engine =
      host::Engine::create(*library.value(), region.value(), options.seed, engine_limits(options));
  if (!engine.ok()) return fail(err, kExitFailed, engine.status().message());

  // Writes to a vanished peer must fail with EPIPE, not kill the process;
  // reading a terminal from the background must fail, not stop it.
  ::signal(SIGPIPE, SIG_IGN);
  ::signal(SIGTTIN, SIG_IGN);

  uv_loop_t loop;
  LX_ASSERT(uv_loop_init(&loop) == 0);
  int code = kExitOk;
  std::unique_ptr<Recording> recording;
  {
    Driver driver(&loop, options, *engine.value(), err);
    // Listen first: a busy port ends the run before a log exists, and the
    // log's header names the ports that were bound.
    Status started = driver.listen();
    if (started.ok() && !options.record.path.empty()) {
      // With --record, every event goes through the Recorder, which logs it
      // and then hands it to the engine; without, straight to the engine.
      auto opened = Recording::open(options, driver.listen_addresses(), *library.value(),
                                    *engine.value(), region.value(), blob.value(), err);
      if (opened.ok()) {
        recording = std::move(opened).value();
        driver.set_sink(recording->sink());
        driver.set_watcher(recording.get());
      } else {
        const Status& status = opened.status();
        driver.abandon();
        driver.run();
        uv_loop_close(&loop);
        return fail(err, exit_code_for(status),
                    status.kind() == ErrorKind::kIo ? status.message() + "; choose a writable path"
                                                    : status.message());
      }
    }
    if (started.ok()) started = driver.start(blob.value());
    code = driver.run();
    // A busy port or an app that fails at start: the server could not start.
    if (!started.ok()) code = fail(err, kExitFailed, started.message());
  }
  int rc = uv_loop_close(&loop);
  LX_ASSERT_OP(rc, ==, 0);
  if (recording) {
    // The final checkpoint reads the engine: close the log before it goes.
    const int log_code = recording->finish();
    if (code == kExitOk) code = log_code;
    recording.reset();
  }
  engine.value().reset();  // before the region and the library go
  return code;
}

}  // namespace lx::driver
