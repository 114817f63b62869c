// Loading and checking liblxengine.so (see engine_library.h).
#include "lx/host/engine_library.h"

#include <dlfcn.h>
#include <fmt/format.h>
#include <link.h>
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
  auto placed = check_placement(symbol, path);
  if (!placed.ok()) return placed.status();
  library->load_address_ = placed.value();
  library->api_ = api;
  return library;
}

namespace {

// What dl_iterate_phdr finds for the object holding an address.
struct Placement {
  uintptr_t address = 0;  // in: an address inside the object
  bool found = false;
  uintptr_t load_bias = 0;    // dlpi_addr: where it is minus where it was linked
  uintptr_t linked_base = 0;  // the lowest PT_LOAD address in the file
};

int find_placement(struct dl_phdr_info* info, size_t, void* data) {
  auto* placement = static_cast<Placement*>(data);
  bool inside = false;
  uintptr_t lowest = UINTPTR_MAX;
  for (int i = 0; i < info->dlpi_phnum; ++i) {
    const ElfW(Phdr)& segment = info->dlpi_phdr[i];
    if (segment.p_type != PT_LOAD) continue;
    uintptr_t start = info->dlpi_addr + segment.p_vaddr;
    if (placement->address >= start && placement->address < start + segment.p_memsz) inside = true;
    if (segment.p_vaddr < lowest) lowest = segment.p_vaddr;
  }
  if (!inside) return 0;
  placement->found = true;
  placement->load_bias = info->dlpi_addr;
  placement->linked_base = lowest & ~uintptr_t{0xfff};
  return 1;
}

}  // namespace

Result<uint64_t> EngineLibrary::check_placement(const void* symbol, const std::string& path) {
  Placement placement;
  placement.address = reinterpret_cast<uintptr_t>(symbol);
  ::dl_iterate_phdr(find_placement, &placement);
  if (!placement.found) {
    return Status::error(ErrorKind::kEngine,
                         fmt::format("cannot use engine {}: no loaded object holds its {} at {:#x}",
                                     path, LX_ENGINE_API_SYMBOL, placement.address));
  }
  if (placement.linked_base == 0) {
    return Status::error(
        ErrorKind::kEngine,
        fmt::format("cannot use engine {}: it is not linked at a fixed address (it loaded at "
                    "{:#x}); build it with lx_add_engine_variant(... LINK_ADDRESS ...), as "
                    "liblxengine.so is",
                    path, placement.load_bias));
  }
  if (placement.load_bias != 0) {
    return Status::error(
        ErrorKind::kEngine,
        fmt::format("cannot use engine {}: it was loaded at {:#x} instead of {:#x} where it was "
                    "linked; something else occupies that range in this process (another "
                    "engine build linked at the same address, or a mapping in the way); load it "
                    "in a process where the range is free",
                    path, placement.linked_base + placement.load_bias, placement.linked_base));
  }
  return static_cast<uint64_t>(placement.linked_base);
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
