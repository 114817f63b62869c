// run_script_session: plays one fixed scripted session (clock, source,
// accepts, input, closes, updates) against a fresh engine and writes a
// transcript: every event's code and hashes, every output run per channel,
// every log line. Two processes running the same app must print the same
// transcript byte for byte.
#pragma once

#include <cstdint>
#include <map>
#include <ostream>
#include <string>
#include <vector>

#include "region.h"

namespace lx::test {

struct SessionOptions {
  uintptr_t base = kDefaultRegionBase;
  uint64_t heap_bytes = uint64_t{16} << 30;  // the driver's 16 GiB, MAP_NORESERVE
  uint64_t seed = 7;
};

// Throws std::runtime_error when the engine cannot be created.
void run_script_session(const std::map<std::string, std::string>& files,
                        const std::vector<std::string>& args, const SessionOptions& options,
                        std::ostream& out);

}  // namespace lx::test
