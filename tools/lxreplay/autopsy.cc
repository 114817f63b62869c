// The autopsy of a divergence: both sides replayed again, their state hashes
// after every event compared, and their dump_state trees compared where the
// hashes cannot tell (docs/inspect-diff.md).
#include "autopsy.h"

#include <fmt/format.h>
#include <stdio.h>  // open_memstream

#include <cstdlib>
#include <functional>
#include <vector>

#include "inspector.h"
#include "lx/tools/json_line.h"
#include "replayer.h"

namespace lx::tools {
namespace {

// A FILE* whose bytes stay in memory: a side's replay prints there, and the
// autopsy keeps only its first error line.
class MemoryStream {
 public:
  MemoryStream() : file_(::open_memstream(&buffer_, &bytes_)) {}
  ~MemoryStream() {
    if (file_ != nullptr) std::fclose(file_);
    std::free(buffer_);
  }
  MemoryStream(const MemoryStream&) = delete;
  MemoryStream& operator=(const MemoryStream&) = delete;
  std::FILE* get() const { return file_; }
  // The first line holding "error:", else the first line, else "".
  std::string first_error() {
    if (file_ == nullptr) return "";
    std::fflush(file_);
    std::string_view text(buffer_ != nullptr ? buffer_ : "", bytes_);
    size_t at = text.find("error: ");
    if (at != std::string_view::npos) text.remove_prefix(at + 7);
    return std::string(text.substr(0, text.find('\n')));
  }

 private:
  char* buffer_ = nullptr;
  size_t bytes_ = 0;
  std::FILE* file_;
};

// What one side's replay showed after each compared event (index i is
// event from + i).
struct SideTrace {
  std::vector<uint64_t> hashes;
  std::vector<EngineFigures> figures;
  std::vector<EventBrief> briefs;
  std::vector<size_t> tree_digests;  // with every_tree
  std::string tree_first, tree_last;
  std::string error;
};

// The state tree after the replay's last event, in a forked copy. Before
// the first event there is no app: an empty tree.
bool dump_tree(Replayer& replayer, const Inspector& inspector, std::string* text,
               std::string* error) {
  if (replayer.applied() == 0) {
    text->clear();
    return true;
  }
  Inspector::Outcome outcome = inspector.dump(replayer.engine(), inspect_options(false));
  if (!outcome.done() || outcome.results.empty() || outcome.results[0].status != LX_OK) {
    std::string why = !outcome.done()           ? outcome.why
                      : outcome.results.empty() ? std::string("no answer")
                                                : outcome.results[0].text;
    *error = fmt::format("dump_state after event {} failed: {}", replayer.applied(), why);
    return false;
  }
  *text = std::move(outcome.results[0].text);
  return true;
}

// Replays side and keeps what it shows after each event from..to (and its
// tree after `event`, when within). With stop_digests (the other side's
// trees from `from` on), stops after the first event whose tree differs.
SideTrace trace_side(const AutopsySide& side, uint64_t from, uint64_t to, uint64_t event,
                     bool every_tree, const std::vector<size_t>* stop_digests,
                     const Inspector& inspector) {
  SideTrace trace;
  // A plain replay of the whole log: no stop, no output of its own.
  LxreplayOptions o;
  o.log_path = side.options.log_path;
  o.engine_path = side.options.engine_path;
  o.app_dir = side.options.app_dir;
  o.recovery = side.options.recovery;
  o.quiet = true;
  o.keep_going = true;
  MemoryStream out;
  MemoryStream err;
  if (out.get() == nullptr || err.get() == nullptr) {
    trace.error = "cannot make an in-memory stream";
    return trace;
  }
  Replayer replayer(o, out.get(), err.get());
  replayer.set_stop_at_divergence(false);
  replayer.set_crash_report(false);
  auto failed = [&](int code) {
    trace.error = err.first_error();
    if (trace.error.empty()) trace.error = fmt::format("its replay stopped (exit code {})", code);
    return trace;
  };
  if (int code = replayer.start()) return failed(code);
  for (uint64_t k = from;; ++k) {
    if (int code = replayer.advance_to(k)) return failed(code);
    if (replayer.applied() != k) {
      trace.error =
          fmt::format("the log ends after event {}, before event {}", replayer.applied(), k);
      return trace;
    }
    trace.hashes.push_back(k == 0 ? 0 : replayer.engine().state_hash());
    trace.figures.push_back(replayer.engine().figures());
    trace.briefs.push_back(replayer.last_event());
    if (every_tree || k == from || k == event) {
      std::string tree;
      if (!dump_tree(replayer, inspector, &tree, &trace.error)) return trace;
      if (every_tree) trace.tree_digests.push_back(std::hash<std::string>{}(tree));
      if (k == from) trace.tree_first = tree;
      if (k == event) trace.tree_last = std::move(tree);
      const size_t i = k - from;
      if (stop_digests != nullptr && i < stop_digests->size() &&
          (*stop_digests)[i] != trace.tree_digests.back())
        return trace;
    }
    if (k == to) return trace;
  }
}

// The first index where the two sequences differ, or nothing.
template <typename T>
std::optional<size_t> first_difference(const std::vector<T>& a, const std::vector<T>& b) {
  for (size_t i = 0; i < a.size() && i < b.size(); ++i) {
    if (a[i] != b[i]) return i;
  }
  return std::nullopt;
}

}  // namespace

AutopsyFindings run_autopsy(const AutopsySide& left, const AutopsySide& right, uint64_t event,
                            std::optional<uint64_t> last_matched, uint32_t timeout_ms) {
  AutopsyFindings f;
  f.event = event;
  f.last_matched = last_matched;
  const uint64_t from = std::min(last_matched.value_or(0), event);
  Inspector inspector(timeout_ms);
  auto trace = [&](const AutopsySide& side, uint64_t start, uint64_t to, bool every_tree,
                   const std::vector<size_t>* stop, SideTrace* out) {
    *out = trace_side(side, start, to, event, every_tree, stop, inspector);
    if (out->error.empty()) return true;
    f.error = fmt::format("cannot replay the {} side ({}): {}", side.name, side.options.log_path,
                          out->error);
    return false;
  };
  SideTrace l, r;
  if (!trace(left, from, event, false, nullptr, &l) ||
      !trace(right, from, event, false, nullptr, &r))
    return f;
  auto left_tree = parse_state_tree(l.tree_last);
  auto right_tree = parse_state_tree(r.tree_last);
  if (!left_tree.ok() || !right_tree.ok()) {
    f.error = "the state dump does not parse: " +
              (left_tree.ok() ? right_tree.status() : left_tree.status()).message();
    return f;
  }
  f.state = diff_state_trees(left_tree.value(), right_tree.value(), kAutopsyPathsShown);
  if (auto i = first_difference(l.figures, r.figures)) f.figures_differing = l.briefs[*i];

  if (l.hashes[0] == r.hashes[0]) {
    // The heap contents agree at the start: the first event after which
    // their hashes differ is where the states part, unless that is the app
    // source going in (two apps: their code differs from there on).
    auto i = first_difference(l.hashes, r.hashes);
    if (!i || l.briefs[*i].type != wal::RecordType::kSetLuaSource) {
      f.method = "state_hash";
      f.compared_from = from;
      f.compared_to = event;
      if (i) f.first_differing = l.briefs[*i];
      return f;
    }
  }
  // The heaps differ (another app's code lives in the heap, or the state
  // parted before the last agreeing checkpoint): compare the trees after
  // every event, from the last agreeing checkpoint if the trees agree
  // there, else from the start (where both are empty), for at most
  // kAutopsyTreeEventsMax events. A replay costs little next to a forked
  // dump, so the window goes in chunks that double (16, 32, ... events),
  // each replayed from the start, and stops at the chunk where they part:
  // the dumps stay about twice the events up to the parting.
  f.method = "state_tree";
  const uint64_t tree_from = l.tree_first == r.tree_first ? from : 0;
  const uint64_t tree_to = std::min(event, tree_from + kAutopsyTreeEventsMax);
  f.compared_from = tree_from;
  f.compared_to = tree_to;
  uint64_t chunk = 16;
  for (uint64_t start = tree_from; start <= tree_to; chunk *= 2) {
    const uint64_t end = std::min(tree_to, start + chunk - 1);
    if (!trace(left, start, end, true, nullptr, &l) ||
        !trace(right, start, end, true, &l.tree_digests, &r))
      return f;
    if (auto i = first_difference(l.tree_digests, r.tree_digests)) {
      if (start == tree_from && *i == 0) {
        f.differ_at_start = true;
      } else {
        f.first_differing = l.briefs[*i];
      }
      return f;
    }
    start = end + 1;
  }
  return f;
}

void print_autopsy(const AutopsyFindings& f, std::string_view left_name,
                   std::string_view right_name, std::string_view indent, std::FILE* out) {
  if (!f.error.empty()) {
    fmt::print(out, "{}autopsy: not done: {}\n", indent, f.error);
    return;
  }
  fmt::print(out, "{}autopsy (each side replayed again from the start, {} and {}):\n", indent,
             left_name, right_name);
  if (f.state.same()) {
    fmt::print(out, "{}  the app's Lua state after event {} is the same on both sides\n", indent,
               f.event);
  } else {
    fmt::print(out, "{}  state after event {}: {} path(s) differ\n", indent, f.event,
               f.state.total);
    for (const StateDifference& d : f.state.shown) {
      fmt::print(out, "{}    {}\n", indent, difference_text(d, left_name, right_name));
    }
    if (f.state.total > f.state.shown.size()) {
      fmt::print(out, "{}    ({} more)\n", indent, f.state.total - f.state.shown.size());
    }
  }
  std::string how = f.method == "state_hash" ? "state hashes" : "state trees";
  if (f.first_differing) {
    fmt::print(out, "{}  the states part after {} (the {} compared after every event from {})\n",
               indent, describe_brief(*f.first_differing), how, f.compared_from);
  } else if (f.differ_at_start) {
    fmt::print(out,
               "{}  the states differ already after event {}, the first compared (the change "
               "came before it)\n",
               indent, f.compared_from);
  } else {
    fmt::print(out, "{}  the {} agree after every event from {} to {}{}\n", indent, how,
               f.compared_from, f.compared_to,
               f.compared_to < f.event
                   ? fmt::format(" (compared no further: at most {} events; they part between "
                                 "{} and {})",
                                 kAutopsyTreeEventsMax, f.compared_to, f.event)
                   : "");
  }
  if (f.figures_differing) {
    fmt::print(out, "{}  the figures (memhash, outhash, heap bytes) part after {}\n", indent,
               describe_brief(*f.figures_differing));
  }
}

std::string autopsy_json(const AutopsyFindings& f) {
  JsonLine j;
  j.add_u64("event", f.event).add_optional_u64("last_matched_event", f.last_matched);
  if (!f.error.empty()) {
    j.add_str("error", f.error);
    return j.str();
  }
  j.add_u64("paths_differing", f.state.total)
      .add_raw("paths", differences_json(f.state))
      .add_str("method", f.method)
      .add_u64("compared_from_event", f.compared_from)
      .add_u64("compared_to_event", f.compared_to)
      .add_bool("differ_at_start", f.differ_at_start);
  for (auto [key, brief] : {std::pair{"first_differing", &f.first_differing},
                            std::pair{"figures_differing", &f.figures_differing}}) {
    if (brief->has_value()) {
      JsonLine b;
      add_brief(b, **brief);
      j.add_raw(key, b.str());
    } else {
      j.add_null(key);
    }
  }
  return j.str();
}

}  // namespace lx::tools
