// Loads liblxengine.so at run time and checks that its C ABI is the one this
// host was built against, so lxrun and lxreplay can pick an engine with
// --engine and refuse a mismatched one with a clear message.
#pragma once

#include <memory>
#include <string>

#include "lx/engine_api.h"
#include "lx/status.h"

namespace lx::host {

// An open engine library. The function table it hands out stays valid for the
// lifetime of this object; every Engine made from it must be destroyed first.
class EngineLibrary {
 public:
  // Opens the shared library at path (a path without a '/' is taken relative
  // to the current directory, never searched for), looks up
  // LX_ENGINE_API_SYMBOL and checks abi_version and struct_size. Errors are
  // ErrorKind::kIo (cannot open, no symbol) or kEngine (ABI mismatch), each
  // with a message naming the path and what to do.
  static Result<std::unique_ptr<EngineLibrary>> open(const std::string& path);

  // liblxengine.so in the directory of the running executable: the engine
  // built beside the binaries.
  static std::string default_path();

  ~EngineLibrary();
  EngineLibrary(const EngineLibrary&) = delete;
  EngineLibrary& operator=(const EngineLibrary&) = delete;

  const lx_engine_wrapper& api() const { return *api_; }
  const std::string& path() const { return path_; }

 private:
  EngineLibrary() = default;

  void* handle_ = nullptr;  // from dlopen; closed by the destructor
  const lx_engine_wrapper* api_ = nullptr;
  std::string path_;
};

}  // namespace lx::host
