// The HTML timeline writer: the page template with its style and script
// (web/, embedded at build time) around the sessions' data as columnar JSON
// (delta-coded numbers, interned byte heads). The data layout is the
// contract with web/timeline.js (decodeSession) and docs/timeline.md.
#include "lx/timeline/timeline_html.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <ctime>
#include <map>
#include <string_view>
#include <unordered_map>

#include "json_text.h"
#include "web_assets.h"

namespace lx::timeline {
namespace {

// Writes JSON objects and arrays in order; commas are placed here.
class DataWriter {
 public:
  explicit DataWriter(BufferedOut& out) : out_(out) {}

  std::string& t() { return out_.text(); }
  void key(std::string_view name) {
    if (!first_) t() += ',';
    append_json_string(t(), name);
    t() += ':';
    after_key_ = true;
  }
  // A string a person reads (UTF-8 kept).
  void str(std::string_view key_name, std::string_view value) {
    key(key_name);
    begin_value();
    append_json_text(t(), value);
  }
  void raw(std::string_view key_name, std::string_view json) {
    key(key_name);
    begin_value();
    t() += json;
  }
  void open(char c) {
    begin_value();
    t() += c;
    first_ = true;
  }
  void close(char c) {
    t() += c;
    first_ = false;
    out_.maybe_flush();
  }
  // A JSON array of integers (small tables).
  template <typename T>
  void ints(std::string_view key_name, const std::vector<T>& values) {
    key(key_name);
    open('[');
    for (size_t i = 0; i < values.size(); ++i) {
      if (i) t() += ',';
      t() += std::to_string(values[i]);
    }
    close(']');
  }
  // Non-negative integers as a varint string (the large columns).
  void varints(std::string_view key_name, const std::vector<uint64_t>& values) {
    key(key_name);
    begin_value();
    append_varint_string(t(), values);
    out_.maybe_flush();
  }
  // A JSON array of strings; bytes: one code point per byte (request and
  // reply bytes), else UTF-8 text.
  void strings(std::string_view key_name, const std::vector<std::string>& values, bool bytes) {
    key(key_name);
    open('[');
    for (size_t i = 0; i < values.size(); ++i) {
      if (i) t() += ',';
      const std::string_view cut = values[i];
      if (bytes) {
        append_json_string(t(), cut);
      } else {
        append_json_text(t(), cut);
      }
      if ((i & 1023) == 0) out_.maybe_flush();
    }
    close(']');
  }

 private:
  void begin_value() {
    if (after_key_) {
      after_key_ = false;
    } else if (!first_) {
      t() += ',';
    }
    first_ = false;
  }
  BufferedOut& out_;
  bool first_ = true;
  bool after_key_ = false;
};

std::string iso_utc(int64_t wall_ns) {
  const std::time_t whole = static_cast<std::time_t>(wall_ns / 1000000000);
  std::tm utc{};
  if (wall_ns <= 0 || ::gmtime_r(&whole, &utc) == nullptr) return "";
  return fmt::format("{:04}-{:02}-{:02} {:02}:{:02}:{:02} UTC", utc.tm_year + 1900, utc.tm_mon + 1,
                     utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec);
}

std::string subtitle(const SessionModel& m) {
  std::string s;
  if (!m.header.host_name.empty()) s += "recorded on " + m.header.host_name;
  const std::string when = iso_utc(m.header.start_wall_time_ns);
  if (!when.empty()) s += (s.empty() ? "recorded " : " ") + std::string("at ") + when;
  s += fmt::format("{}{} events", s.empty() ? "" : " \u00b7 ", m.event_count);
  return s;
}

// How much of the heads a page keeps: each cut to `cap` bytes (the cut
// copies that became equal share one entry), and only every keep_every-th
// entry when even kMinHeadBytes each is over the budget.
constexpr size_t kMinHeadBytes = 32;

uint64_t head_total(const std::vector<const SessionModel*>& sessions, size_t cap) {
  uint64_t total = 0;
  for (const SessionModel* m : sessions)
    for (const std::string& h : m->heads) total += std::min(cap, h.size());
  return total;
}

// The largest cap whose heads (before sharing) fit the budget, at least kMinHeadBytes.
size_t plan_head_cap(const std::vector<const SessionModel*>& sessions) {
  if (head_total(sessions, kHeadBytes) <= kPageHeadBudgetBytes) return kHeadBytes;
  size_t lo = kMinHeadBytes, hi = kHeadBytes;
  while (lo < hi) {
    const size_t mid = (lo + hi + 1) / 2;
    if (head_total(sessions, mid) <= kPageHeadBudgetBytes) {
      lo = mid;
    } else {
      hi = mid - 1;
    }
  }
  return lo;
}

// One session's heads as the page writes them.
struct PageHeads {
  std::vector<std::string> texts;  // distinct cut heads; "" where not kept
  std::vector<uint32_t> remap;     // model head index -> texts index
  uint64_t keep_every = 1;         // of the heads no two exchanges share, one in this many is kept
};

PageHeads page_heads(const SessionModel& m, size_t cap, uint64_t budget) {
  PageHeads out;
  std::unordered_map<std::string_view, uint32_t> index;
  std::vector<uint64_t> uses;  // how many model heads share each entry
  out.remap.reserve(m.heads.size());
  for (const std::string& h : m.heads) {
    const std::string_view cut = std::string_view(h).substr(0, std::min(cap, h.size()));
    auto [it, inserted] = index.emplace(cut, static_cast<uint32_t>(out.texts.size()));
    if (inserted) {
      out.texts.emplace_back(cut);
      uses.push_back(0);
    }
    ++uses[it->second];
    out.remap.push_back(it->second);
  }
  // Over the budget: keep every shared entry (each serves many exchanges),
  // and every k-th of the others in what is left.
  uint64_t shared = 0, single = 0;
  for (size_t i = 0; i < out.texts.size(); ++i)
    (uses[i] > 1 ? shared : single) += out.texts[i].size();
  if (shared + single > budget) {
    const uint64_t room = budget > shared ? budget - shared : 1;
    out.keep_every = (single + room - 1) / room;
    uint64_t k = 0;
    for (size_t i = 0; i < out.texts.size(); ++i)
      if (uses[i] == 1 && k++ % out.keep_every != 0) out.texts[i].clear();
  }
  return out;
}

// 0 for none, else value - base + 1 (value >= base: base is the exchange's first event).
uint64_t rel(uint64_t value, uint64_t base) { return value == 0 ? 0 : value - base + 1; }

void write_flow(DataWriter& w, char p, const std::vector<Exchange>& xs, const Flow Exchange::*flow,
                const PageHeads* heads) {
  std::vector<uint64_t> a, b, n, l, h;
  for (const Exchange& x : xs) {
    const Flow& f = x.*flow;
    a.push_back(f.empty() ? 0 : rel(f.first_event, x.first_event()));
    b.push_back(f.empty() ? 0 : f.last_event - f.first_event);
    n.push_back(f.event_count);
    l.push_back(f.byte_count);
    if (heads) h.push_back(f.head == kNoHead ? 0 : uint64_t{heads->remap[f.head]} + 1);
  }
  w.varints(std::string{p, 'a'}, a);
  w.varints(std::string{p, 'b'}, b);
  w.varints(std::string{p, 'n'}, n);
  w.varints(std::string{p, 'l'}, l);
  if (heads) w.varints(std::string{p, 'h'}, h);
}

void write_session(DataWriter& w, const SessionModel& m, const std::string& name,
                   const PageHeads& heads, size_t cap) {
  w.open('{');
  w.str("name", name);
  w.str("title", m.title);
  w.str("log", m.log_path);
  w.str("subtitle", subtitle(m));
  w.raw("events", std::to_string(m.event_count));
  w.raw("regenerated", m.replies_regenerated ? "true" : "false");
  w.raw("headCap", std::to_string(cap));
  w.raw("headEvery", std::to_string(heads.keep_every));
  // The clock: event deltas, axis microseconds from t0 as deltas, and the
  // recorded values where they differ from the axis (a clock that stepped back).
  {
    const double t0 = m.clock.empty() ? 0.0 : m.clock.front().axis_seconds;
    std::vector<uint64_t> e, t;
    std::string exceptions = "[";
    uint64_t last_e = 0;
    int64_t last_t = 0;
    for (size_t i = 0; i < m.clock.size(); ++i) {
      const ClockStep& c = m.clock[i];
      e.push_back(c.event - last_e);
      last_e = c.event;
      const int64_t us = std::llround((c.axis_seconds - t0) * 1e6);
      t.push_back(static_cast<uint64_t>(std::max<int64_t>(0, us - last_t)));
      last_t = us;
      if (!std::isfinite(c.seconds) || std::fabs(c.seconds - c.axis_seconds) > 5e-7) {
        exceptions += fmt::format("{}[{},{}]", exceptions.size() > 1 ? "," : "", i,
                                  std::isfinite(c.seconds) ? json_double(c.seconds, 6) : "null");
      }
    }
    exceptions += "]";
    w.key("clock");
    w.open('{');
    w.raw("t0", json_double(t0, 6));
    w.varints("e", e);
    w.varints("t", t);
    w.raw("x", exceptions);
    w.close('}');
  }
  {
    std::vector<int64_t> c, k, p, a, z, in, out, n;
    std::vector<std::string> g;
    for (const Lane& l : m.lanes) {
      c.push_back(l.chid);
      k.push_back(static_cast<int64_t>(l.kind));
      p.push_back(l.port);
      g.push_back(l.target);
      a.push_back(static_cast<int64_t>(l.first_event));
      z.push_back(static_cast<int64_t>(l.last_event));
      in.push_back(static_cast<int64_t>(l.bytes_in));
      out.push_back(static_cast<int64_t>(l.bytes_sent));
      n.push_back(l.exchange_count);
    }
    w.key("lanes");
    w.open('{');
    w.ints("c", c);
    w.ints("k", k);
    w.ints("p", p);
    w.strings("g", g, false);
    w.ints("a", a);
    w.ints("z", z);
    w.ints("i", in);
    w.ints("o", out);
    w.ints("n", n);
    w.close('}');
  }
  {
    // Exchanges are grouped by lane (SessionModel's order); starts are
    // deltas within a lane, so each lane's first one is its event number.
    std::vector<uint64_t> s, d;
    uint32_t lane = UINT32_MAX;
    uint64_t prev = 0;
    for (const Exchange& x : m.exchanges) {
      if (x.lane != lane) {
        lane = x.lane;
        prev = 0;
      }
      const uint64_t first = x.first_event();
      s.push_back(first - prev);
      d.push_back(x.last_event() - first);
      prev = first;
    }
    w.key("x");
    w.open('{');
    w.varints("s", s);
    w.varints("d", d);
    write_flow(w, 'i', m.exchanges, &Exchange::in, &heads);
    if (m.replies_regenerated) write_flow(w, 'q', m.exchanges, &Exchange::queued, &heads);
    write_flow(w, 'o', m.exchanges, &Exchange::sent, nullptr);
    w.close('}');
  }
  w.strings("heads", heads.texts, true);
  {
    std::vector<uint64_t> u;
    uint64_t prev = 0;
    for (uint64_t e : m.updates) {
      u.push_back(e - prev);
      prev = e;
    }
    w.varints("u", u);
  }
  {
    std::vector<uint64_t> k, e, l, t;  // l: lane + 1, 0 for the whole session
    std::vector<std::string> texts;
    std::map<std::string_view, uint64_t> text_index;
    uint64_t prev = 0;
    for (const Mark& mark : m.marks) {
      k.push_back(static_cast<uint64_t>(mark.kind));
      e.push_back(mark.event - prev);
      prev = mark.event;
      l.push_back(static_cast<uint64_t>(mark.lane + 1));
      auto [it, inserted] = text_index.emplace(mark.text, texts.size());
      if (inserted) texts.push_back(mark.text);
      t.push_back(it->second);
    }
    w.key("m");
    w.open('{');
    w.varints("k", k);
    w.varints("e", e);
    w.varints("l", l);
    w.varints("t", t);
    w.close('}');
    w.strings("texts", texts, false);
  }
  w.close('}');
}

std::string html_escape(std::string_view s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      default:
        out.push_back(c);
    }
  }
  return out;
}

std::string_view note_kind_name(PageNote::Kind kind) {
  switch (kind) {
    case PageNote::Kind::kDifference:
      return "difference";
    case PageNote::Kind::kCheckpoint:
      return "checkpoint";
    case PageNote::Kind::kNote:
      return "note";
  }
  return "note";
}

}  // namespace

Status write_timeline_html(const TimelinePage& page, std::FILE* out, PageCounts* counts) {
  if (page.sessions.empty() || page.sessions.size() > 2)
    return Status::error(ErrorKind::kUsage, "a timeline page shows one or two sessions");
  for (const SessionModel* m : page.sessions) LX_ASSERT(m != nullptr);
  const std::string title = page.title.empty() ? page.sessions.front()->title : page.title;
  const size_t cap = plan_head_cap(page.sessions);
  uint64_t keep_every = 1;

  BufferedOut buf(out);
  std::string_view tpl = web::kTimelineHtml;
  // The template's markers, in order; what goes at each.
  const std::string_view markers[] = {"@LX_TITLE@", "@LX_CSS@", "@LX_DATA@", "@LX_JS@"};
  for (const std::string_view marker : markers) {
    const size_t at = tpl.find(marker);
    LX_ASSERT(at != std::string_view::npos);
    buf.text() += tpl.substr(0, at);
    tpl.remove_prefix(at + marker.size());
    if (marker == "@LX_TITLE@") {
      buf.text() += html_escape(title + " \u00b7 lx timeline");
    } else if (marker == "@LX_CSS@") {
      buf.text() += web::kTimelineCss;
    } else if (marker == "@LX_JS@") {
      LX_ASSERT(web::kTimelineJs.find("</script") == std::string_view::npos);
      buf.text() += web::kTimelineJs;
    } else {
      DataWriter w(buf);
      w.open('{');
      w.raw("v", "1");
      w.str("title", title);
      w.key("sessions");
      w.open('[');
      for (size_t i = 0; i < page.sessions.size(); ++i) {
        const std::string name = i < page.session_names.size() ? page.session_names[i] : "";
        const PageHeads heads =
            page_heads(*page.sessions[i], cap, kPageHeadBudgetBytes / page.sessions.size());
        keep_every = std::max(keep_every, heads.keep_every);
        write_session(w, *page.sessions[i], name, heads, cap);
      }
      w.close(']');
      w.key("notes");
      w.open('[');
      for (const PageNote& n : page.notes) {
        w.open('{');
        w.raw("event", std::to_string(n.event));
        w.str("label", n.label);
        w.str("text", n.text);
        w.str("kind", note_kind_name(n.kind));
        w.close('}');
      }
      w.close(']');
      w.str("listTitle", page.list_title);
      w.strings("list", page.list, false);
      w.close('}');
    }
    buf.maybe_flush();
  }
  buf.text() += tpl;
  if (!buf.finish()) return Status::error(ErrorKind::kIo, "cannot write the timeline page");
  if (counts != nullptr) {
    PageCounts c;
    for (const SessionModel* m : page.sessions) {
      c.lanes += m->lanes.size();
      c.exchanges += m->exchanges.size();
      c.marks += m->marks.size();
    }
    c.head_bytes_max = cap;
    c.head_keep_every = keep_every;
    c.page_bytes = buf.bytes_written();
    *counts = c;
  }
  return ok_status();
}

Status write_timeline_html(const SessionModel& model, std::FILE* out, PageCounts* counts) {
  TimelinePage page;
  page.sessions.push_back(&model);
  return write_timeline_html(page, out, counts);
}

}  // namespace lx::timeline
