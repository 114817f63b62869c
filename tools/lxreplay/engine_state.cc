// The engine state summary of lxreplay --until.
#include "engine_state.h"

#include <fmt/format.h>

#include "lx/tools/figures_text.h"
#include "lx/tools/json_line.h"
#include "lx/tools/record_text.h"

namespace lx::tools {
namespace {

const char* yes_no(bool b) { return b ? "yes" : "no"; }

}  // namespace

void print_engine_state(const host::Engine& engine, bool json, std::FILE* out) {
  std::vector<int32_t> chids = engine.channels();
  if (json) {
    std::string channels = "[";
    for (int32_t chid : chids) {
      std::optional<lx_channel_info> info = engine.info(chid);
      if (!info) continue;
      JsonLine c;
      c.add_i64("chid", chid)
          .add_i64("port", info->port)
          .add_str("target", engine.target(chid))
          .add_bool("closed", info->closed != 0)
          .add_bool("deleted", info->deleted != 0)
          .add_bool("outgoing", info->outgoing != 0)
          .add_u64("incoming_bytes", info->incoming_bytes)
          .add_u64("outgoing_bytes", info->outgoing_bytes);
      if (channels.size() > 1) channels += ",";
      channels += c.str();
    }
    channels += "]";
    JsonLine j;
    j.add_str("kind", "engine_state");
    add_figures(j, engine.figures());
    j.add_bool("stop_requested", engine.stop_requested())
        .add_bool("rescan_requested", engine.rescan_requested())
        .add_raw("channels", channels);
    j.print(out);
    return;
  }
  fmt::print(out, "lxreplay: state after event {}\n", engine.event_count());
  const EngineFigures figures = engine.figures();
  for (const FigureInfo& figure : kEngineFigures)
    fmt::print(out, "  {:<18} {}\n", figure.name, figure_text(figure, figures));
  fmt::print(out, "  stop_requested     {}\n", yes_no(engine.stop_requested()));
  fmt::print(out, "  rescan_requested   {}\n", yes_no(engine.rescan_requested()));
  fmt::print(out, "  channels           {}\n", chids.size());
  fmt::print(out, "    {:>6}  {:>6}  {:<6}  {:<7}  {:<8}  {:>14}  {:>14}  {}\n", "chid", "port",
             "closed", "deleted", "outgoing", "incoming_bytes", "outgoing_bytes", "target");
  for (int32_t chid : chids) {
    std::optional<lx_channel_info> info = engine.info(chid);
    if (!info) continue;
    fmt::print(out, "    {:>6}  {:>6}  {:<6}  {:<7}  {:<8}  {:>14}  {:>14}  {}\n", chid, info->port,
               yes_no(info->closed != 0), yes_no(info->deleted != 0), yes_no(info->outgoing != 0),
               info->incoming_bytes, info->outgoing_bytes, engine.target(chid));
  }
}

}  // namespace lx::tools
