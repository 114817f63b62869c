// Loading and checking liblxengine.so (see engine_library.h).
#include "lx/host/engine_library.h"

#include <dlfcn.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace lx::host {

Result<std::unique_ptr<EngineLibrary>> EngineLibrary::open(const std::string& path) {
  // dlopen searches the library path for a bare name; an engine is always a
  // file the user named, so make it relative to the current directory.
  std::string file = path.find('/') == std::string::npos ? "./" + path : path;
  struct stat st;
  if (::stat(file.c_str(), &st) != 0) {
    return Status::error(ErrorKind::kIo,
                         fmt::format("cannot load engine {}: {}; build it (target lxengine) or "
                                     "pass --engine PATH",
                                     path, std::strerror(errno)));
  }
  std::unique_ptr<EngineLibrary> library(new EngineLibrary());
  library->path_ = path;
  // RTLD_LOCAL keeps the engine's symbols (Lua's among them) out of the
  // global namespace; RTLD_NOW reports a missing symbol here, not mid-run.
  library->handle_ = ::dlopen(file.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (library->handle_ == nullptr) {
    const char* error = ::dlerror();
    std::string why = error != nullptr ? error : "unknown dlopen error";
    return Status::error(ErrorKind::kIo, fmt::format("cannot load engine {}: {}; pass --engine "
                                                     "with a liblxengine.so built for this host",
                                                     path, why));
  }
  void* symbol = ::dlsym(library->handle_, LX_ENGINE_API_SYMBOL);
  if (symbol == nullptr) {
    return Status::error(ErrorKind::kIo,
                         fmt::format("cannot load engine {}: it does not export {}; is it an "
                                     "lx engine?",
                                     path, LX_ENGINE_API_SYMBOL));
  }
  auto* get_api = reinterpret_cast<const lx_engine_wrapper* (*)()>(symbol);
  const lx_engine_wrapper* api = get_api();
  if (api == nullptr) {
    return Status::error(ErrorKind::kEngine,
                         fmt::format("engine {} returned no function table", path));
  }
  if (api->abi_version != LX_ENGINE_ABI_VERSION) {
    return Status::error(ErrorKind::kEngine,
                         fmt::format("engine {} has ABI version {}, this program needs {}; use "
                                     "the liblxengine.so built with this program",
                                     path, api->abi_version, LX_ENGINE_ABI_VERSION));
  }
  if (api->struct_size < sizeof(lx_engine_wrapper)) {
    return Status::error(ErrorKind::kEngine,
                         fmt::format("engine {} has a function table of {} bytes, this program "
                                     "needs {}; use the liblxengine.so built with this program",
                                     path, api->struct_size, sizeof(lx_engine_wrapper)));
  }
  library->api_ = api;
  return library;
}

std::string EngineLibrary::default_path() {
  char buffer[4096];
  ssize_t size = ::readlink("/proc/self/exe", buffer, sizeof(buffer));
  std::string exe;
  if (size > 0 && static_cast<size_t>(size) < sizeof(buffer)) exe.assign(buffer, size);
  size_t slash = exe.rfind('/');
  std::string dir = slash == std::string::npos ? "." : exe.substr(0, slash);
  return dir + "/liblxengine.so";
}

EngineLibrary::~EngineLibrary() {
  if (handle_ != nullptr) ::dlclose(handle_);
}

}  // namespace lx::host
