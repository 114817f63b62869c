// Field-by-field comparison of two log headers for lxdiff.
#include "header_diff.h"

#include <fmt/format.h>

#include "lx/tools/record_text.h"

namespace lx::tools {
namespace {

std::string hex_bytes(const std::vector<uint8_t>& bytes) {
  if (bytes.empty()) return "(none)";
  std::string out;
  for (uint8_t b : bytes) out += fmt::format("{:02x}", b);
  return out;
}

}  // namespace

std::vector<HeaderFieldDiff> diff_headers(const wal::LogHeader& a, const wal::LogHeader& b) {
  std::vector<HeaderFieldDiff> diffs;
  auto field = [&](const char* name, std::string va, std::string vb, bool counted) {
    if (va != vb) diffs.push_back({name, std::move(va), std::move(vb), counted});
  };
  field("engine_abi_version", std::to_string(a.engine_abi_version),
        std::to_string(b.engine_abi_version), true);
  field("engine_build_id", a.engine_build_id, b.engine_build_id, true);
  field("seed", std::to_string(a.seed), std::to_string(b.seed), true);
  field("heap_base", hex64(a.heap_base), hex64(b.heap_base), true);
  field("heap_bytes", std::to_string(a.heap_bytes), std::to_string(b.heap_bytes), true);
  field("app_source_digest", hex_bytes(a.app_source_digest), hex_bytes(b.app_source_digest), true);
  // How the file is encoded, not what happened: a 1.3 log and its replay
  // recorded as 3.0 hold the same session.
  field("format_version_major", std::to_string(a.version_major), std::to_string(b.version_major),
        false);
  field("format_version_minor", std::to_string(a.version_minor), std::to_string(b.version_minor),
        false);
  field("host_name", a.host_name, b.host_name, false);
  field("start_wall_time_ns", std::to_string(a.start_wall_time_ns),
        std::to_string(b.start_wall_time_ns), false);
  field("checkpoint_every", std::to_string(a.checkpoint_every), std::to_string(b.checkpoint_every),
        false);
  field("flush_ms", std::to_string(a.flush_ms), std::to_string(b.flush_ms), false);
  field("zstd_level", std::to_string(a.zstd_level), std::to_string(b.zstd_level), false);
  field("fsync", std::string(wal::fsync_mode_name(a.fsync)),
        std::string(wal::fsync_mode_name(b.fsync)), false);
  field("max_log_bytes", std::to_string(a.max_log_bytes), std::to_string(b.max_log_bytes), false);
  field("frame_restart_bytes", std::to_string(a.frame_restart_bytes),
        std::to_string(b.frame_restart_bytes), false);
  field("options_text", a.options_text, b.options_text, false);
  field("limits", wal::app_limits_text(a.limits), wal::app_limits_text(b.limits), false);
  return diffs;
}

}  // namespace lx::tools
