// The state comparison and the two-session page of lxdiff (docs/inspect-diff.md,
// docs/timeline.md).
#include "state_views.h"

#include <fmt/format.h>

#include <algorithm>

#include "autopsy.h"
#include "lx/exit_code.h"
#include "lx/timeline/log_views.h"
#include "lx/tools/diagnostics.h"
#include "lx/tools/json_line.h"
#include "lx/tools/log_open.h"

namespace lx::tools {
namespace {

constexpr const char* kTool = "lxdiff";
// How long one forked dump_state may take.
constexpr uint32_t kDumpTimeoutMs = 60'000;

AutopsySide side(const LxdiffOptions& options, const std::string& path, const char* name) {
  AutopsySide s;
  s.options.log_path = path;
  s.options.engine_path = options.engine_path;
  s.name = name;
  return s;
}

// The page: A above B, the marks, the paths. @return the exit code.
int write_page(const LxdiffOptions& options, const LogDivergence& d,
               const std::optional<AutopsyFindings>& findings, std::FILE* out, std::FILE* err,
               Diagnostics& diag) {
  std::vector<timeline::SessionModel> models;
  for (const std::string& path : {options.a_path, options.b_path}) {
    auto reader = open_log(path, wal::Recovery::kTolerant, diag);
    if (!reader.ok()) {
      print_log_error(diag, reader.status(), false);
      return exit_code_for(reader.status());
    }
    const size_t slash = path.rfind('/');
    std::string name = slash == std::string::npos ? path : path.substr(slash + 1);
    auto model = timeline::model_from_log(*reader.value(), name, path);
    if (!model.ok()) {
      print_log_error(diag, model.status(), false);
      return exit_code_for(model.status());
    }
    models.push_back(std::move(model).value());
  }
  timeline::TimelinePage page;
  page.title = fmt::format("{} (A) vs {} (B)", models[0].title, models[1].title);
  page.sessions = {&models[0], &models[1]};
  page.session_names = {"A", "B"};
  using Kind = timeline::PageNote::Kind;
  if (d.first_event_diff) {
    page.notes.push_back({*d.first_event_diff, "first differing event",
                          fmt::format("event {}: {}", *d.first_event_diff, d.event_what),
                          Kind::kDifference});
  }
  if (d.first_checkpoint_diff) {
    page.notes.push_back(
        {*d.first_checkpoint_diff, "first differing checkpoint",
         fmt::format("the checkpoint after event {} differs", *d.first_checkpoint_diff),
         Kind::kCheckpoint});
  }
  if (findings && findings->error.empty()) {
    if (findings->first_differing) {
      page.notes.push_back({findings->first_differing->event, "states part",
                            "the states part after " + describe_brief(*findings->first_differing),
                            Kind::kNote});
    }
    page.list_title = fmt::format("State paths that differ after event {}", findings->event);
    for (const StateDifference& diff : findings->state.shown)
      page.list.push_back(difference_text(diff, "A", "B"));
    if (findings->state.total > findings->state.shown.size())
      page.list.push_back(
          fmt::format("({} more)", findings->state.total - findings->state.shown.size()));
    if (findings->state.same()) page.list.push_back("(none: the Lua states are the same)");
  }
  timeline::PageCounts counts;
  Status written = timeline::write_page_file(options.html, page, &counts);
  if (!written.ok()) {
    diag.error("--html: {}", written.message());
    return kExitIo;
  }
  if (options.json) {
    JsonLine j;
    j.add_str("kind", "html")
        .add_str("path", options.html)
        .add_u64("lanes", counts.lanes)
        .add_u64("exchanges", counts.exchanges)
        .add_u64("marks", counts.marks)
        .add_u64("notes", page.notes.size())
        .add_u64("page_bytes", counts.page_bytes);
    j.print(out);
  } else {
    // On stderr, as lxdump says what it wrote: stdout holds the comparison.
    fmt::print(err,
               "{}: wrote {}: {} lanes, {} exchanges, {} notes, {} bytes (replies as byte counts: "
               "the page is drawn from the logs)\n",
               kTool, options.html, counts.lanes, counts.exchanges, page.notes.size(),
               counts.page_bytes);
  }
  return 0;
}

}  // namespace

uint64_t state_event_to_compare(const LogDivergence& d) {
  uint64_t event = d.first_checkpoint_diff.value_or(UINT64_MAX);
  // Another app source is not another input: each log replays its own.
  if (d.first_event_diff && !d.first_event_is_source)
    event = std::min(event, *d.first_event_diff - 1);
  return event == UINT64_MAX ? 0 : event;
}

int run_state_views(const LxdiffOptions& options, const LogDivergence& d, std::FILE* out,
                    std::FILE* err) {
  Diagnostics diag(kTool, err);
  std::optional<AutopsyFindings> findings;
  const uint64_t event = state_event_to_compare(d);
  if (!d.differ()) {
    if (!options.json) fmt::print(out, "{}: the logs do not part: no states to compare\n", kTool);
  } else if (event == 0) {
    if (!options.json) {
      fmt::print(out, "{}: the logs differ from their first event: no states to compare\n", kTool);
    }
  } else {
    std::optional<uint64_t> last = d.last_matched_checkpoint;
    if (last && *last >= event) last.reset();
    findings = run_autopsy(side(options, options.a_path, "A"), side(options, options.b_path, "B"),
                           event, last, kDumpTimeoutMs);
    if (options.json) {
      fmt::print(out, "{{\"kind\":\"state_diff\",\"left\":\"A\",\"right\":\"B\",{}\n",
                 autopsy_json(*findings).substr(1));
    } else {
      fmt::print(out, "{}: the states of A and B after event {}:\n", kTool, event);
      print_autopsy(*findings, "A", "B", "  ", out);
    }
  }
  if (options.html.empty()) return 0;
  return write_page(options, d, findings, out, err, diag);
}

}  // namespace lx::tools
