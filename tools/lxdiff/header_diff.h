// Compares two log headers field by field. Fields that decide what a replay
// does (seed, heap, engine, app digest) count as differences; fields that
// change with every run (host, time, recorder options) are only noted.
#pragma once

#include <string>
#include <vector>

#include "lx/wal/log_header.h"

namespace lx::tools {

struct HeaderFieldDiff {
  std::string field;
  std::string a;
  std::string b;
  bool counted = false;  // true: the logs differ; false: informational
};

std::vector<HeaderFieldDiff> diff_headers(const wal::LogHeader& a, const wal::LogHeader& b);

}  // namespace lx::tools
