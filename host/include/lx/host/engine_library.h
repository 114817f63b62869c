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
  // LX_ENGINE_API_SYMBOL, checks abi_version and struct_size, and checks that
  // the library landed at the address it was linked at (check_placement).
  // Errors are ErrorKind::kIo (cannot open, no symbol) or kEngine (ABI
  // mismatch, loaded elsewhere), each with a message naming the path and
  // what to do.
  static Result<std::unique_ptr<EngineLibrary>> open(const std::string& path);

  // Checks that the loaded object holding symbol (an engine's
  // lx_engine_api) was linked at a fixed address and sits at it: Lua keeps
  // pointers to the engine's code and data inside the heap region, so
  // snapshots, and the order of tables keyed by C functions, hold only then.
  // Returns that address, or ErrorKind::kEngine naming path ("cannot use
  // engine PATH: it was loaded at X instead of Y where it was linked; ...").
  // For hosts that link the engine instead of opening it (tests).
  static Result<uint64_t> check_placement(const void* symbol, const std::string& path);

  // liblxengine.so in the directory of the running executable: the engine
  // built beside the binaries.
  static std::string default_path();

  ~EngineLibrary();
  EngineLibrary(const EngineLibrary&) = delete;
  EngineLibrary& operator=(const EngineLibrary&) = delete;

  const lx_engine_wrapper& api() const { return *api_; }
  const std::string& path() const { return path_; }
  // The address the library was linked at and is loaded at.
  uint64_t load_address() const { return load_address_; }

 private:
  EngineLibrary() = default;

  void* handle_ = nullptr;  // from dlopen; closed by the destructor
  const lx_engine_wrapper* api_ = nullptr;
  std::string path_;
  uint64_t load_address_ = 0;
};

}  // namespace lx::host
