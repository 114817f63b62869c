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

namespace lx::driver {
namespace {

int fail(std::FILE* err, int code, const std::string& message) {
  std::fprintf(err, "lxrun: error: %s\n", message.c_str());
  return code;
}

int exit_code_for(const Status& status) {
  return status.kind() == ErrorKind::kUsage ? kExitUsage
         : status.kind() == ErrorKind::kIo  ? kExitIo
                                            : kExitFailed;
}

}  // namespace

int run_lxrun(const LxrunOptions& options, std::FILE* err) {
  for (const std::string& text : options.listen) {
    auto address = HostPort::parse_listen(text);
    if (!address.ok()) {
      return fail(err, kExitUsage,
                  "--listen: " + address.status().message() + "; use [HOST:]PORT");
    }
  }
  if (options.tick_ms == 0) return fail(err, kExitUsage, "--tick-ms must be at least 1");
  auto blob = host::read_app_dir(options.app_dir, options.app_args);
  if (!blob.ok()) return fail(err, exit_code_for(blob.status()), blob.status().message());

  std::string engine_path =
      options.engine_path.empty() ? host::EngineLibrary::default_path() : options.engine_path;
  auto library = host::EngineLibrary::open(engine_path);
  if (!library.ok()) return fail(err, kExitIo, library.status().message());
  auto region = host::HeapRegion::reserve(options.heap_base);
  if (!region.ok()) return fail(err, kExitIo, region.status().message());
  auto engine = host::Engine::create(*library.value(), region.value(), options.seed);
  if (!engine.ok()) return fail(err, kExitFailed, engine.status().message());

  // Writes to a vanished peer must fail with EPIPE, not kill the process;
  // reading a terminal from the background must fail, not stop it.
  ::signal(SIGPIPE, SIG_IGN);
  ::signal(SIGTTIN, SIG_IGN);

  uv_loop_t loop;
  LX_ASSERT(uv_loop_init(&loop) == 0);
  int code = kExitOk;
  {
    // Events go straight to the engine; a wal Recorder will stand here.
    host::EventSink& sink = *engine.value();
    Driver driver(&loop, options, *engine.value(), sink, err);
    Status started = driver.start(blob.value());
    code = driver.run();
    // A busy port or an app that fails at start: the server could not start.
    if (!started.ok()) code = fail(err, kExitFailed, started.message());
  }
  int rc = uv_loop_close(&loop);
  LX_ASSERT_OP(rc, ==, 0);
  engine.value().reset();  // before the region and the library go
  return code;
}

}  // namespace lx::driver
