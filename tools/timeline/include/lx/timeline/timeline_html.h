// The HTML timeline: one self-contained page (its script, style and data
// inline; it loads nothing) showing one session, or two sessions one above
// the other on the same event axis with marks and a list (lxdiff --html).
#pragma once

#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include "lx/status.h"
#include "lx/timeline/session_model.h"

namespace lx::timeline {

// A vertical line across every lane of the page, with a label.
struct PageNote {
  enum class Kind : uint8_t { kDifference, kCheckpoint, kNote };
  uint64_t event = 0;
  std::string label;  // short: "first difference", "checkpoint differs"
  std::string text;   // shown in the summary pane
  Kind kind = Kind::kNote;
};

struct TimelinePage {
  std::string title;  // the page's heading; empty: the first session's title
  // One session, or two (e.g. A and B of lxdiff: drawn A above B, event axis).
  // Not owned; each must outlive the write call.
  std::vector<const SessionModel*> sessions;
  std::vector<std::string> session_names;  // "A", "B"; may be empty
  std::vector<PageNote> notes;
  std::string list_title;         // e.g. "State paths that differ"
  std::vector<std::string> list;  // shown in the summary pane, in order
};

// What a page holds, for a summary line and for tests.
struct PageCounts {
  uint64_t lanes = 0;
  uint64_t exchanges = 0;
  uint64_t marks = 0;
  // Bytes kept of each request and reply: kHeadBytes, less in a large session.
  uint64_t head_bytes_max = 0;
  // 1: every distinct head kept; k: only every k-th (a very large session).
  uint64_t head_keep_every = 1;
  uint64_t page_bytes = 0;
};

// Requests and replies keep at most this many bytes in all (after dropping
// repeats); past it every head is cut shorter (to 32 bytes at the least),
// then only every k-th is kept, so that a session of a million events stays
// under 20 MB (docs/timeline.md, "Large sessions").
inline constexpr uint64_t kPageHeadBudgetBytes = 6u << 20;

// Writes the page to out. Needs one or two sessions. @return kUsage for
// another number of sessions, kIo when writing fails.
Status write_timeline_html(const TimelinePage& page, std::FILE* out, PageCounts* counts = nullptr);
// The page of one session.
Status write_timeline_html(const SessionModel& model, std::FILE* out, PageCounts* counts = nullptr);

}  // namespace lx::timeline
