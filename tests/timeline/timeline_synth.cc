// timeline_synth: builds a synthetic session of about N events the way a
// replay would (records plus the replies it regenerates), and writes its HTML
// page and, optionally, its trace. The large-session browser test uses it;
// it also shows a replay's page (regenerated replies, snapshots, a divergence)
// before lxreplay --timeline exists, and with --diff the two-session page
// lxdiff --html will write (the same session twice, a note and a list).
//   timeline_synth EVENTS OUT.html [OUT.json | --diff]
// Prints {"events":..,"lanes":..,"exchanges":..,"page_bytes":..} on stdout.
#include <cstdio>
#include <cstdlib>
#include <string>
#include <utility>
#include <vector>

#include "lx/timeline/session_model.h"
#include "lx/timeline/timeline_html.h"
#include "lx/timeline/trace_events.h"

namespace {

using lx::timeline::SessionBuilder;
using lx::wal::Record;
using lx::wal::RecordType;

class Synth {
 public:
  explicit Synth(SessionBuilder& b) : b_(b) {}
  uint64_t event() const { return event_; }

  void add(RecordType type, int32_t chid = 0, std::string_view bytes = {}, uint64_t n = 0) {
    Record r;
    r.type = type;
    r.event = ++event_;
    r.chid = chid;
    r.port = 8080;
    r.bytes = {reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()};
    r.byte_count = type == RecordType::kSentOutgoing ? n : bytes.size();
    r.clock_seconds = clock_;
    b_.add(r);
    if (type == RecordType::kNotifyAccept) {
      Record result;
      result.type = RecordType::kAcceptResult;
      result.event = r.event;
      result.chid = chid;
      b_.add(result);
    }
    if (event_ % 1000 == 0) {
      Record c;
      c.type = RecordType::kCheckpoint;
      c.event = event_;
      c.figures.event_count = event_;
      c.figures.memhash = event_ * 0x9E3779B97F4A7C15ull;
      b_.add(c);
    }
    if (event_ % 100000 == 0) b_.observe_snapshot(event_, "snapshot of the heap region");
  }
  void tick() {
    clock_ += 0.01;
    add(RecordType::kSetClock);
  }
  void output(int32_t chid, const std::string& bytes) {
    b_.observe_output(chid, event_, {reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()});
  }

 private:
  SessionBuilder& b_;
  uint64_t event_ = 0;
  double clock_ = 1767225600.0;  // 2026-01-01
};

}  // namespace

lx::timeline::SessionModel synthetic_session(uint64_t target, const char* name) {
  SessionBuilder builder("synthetic session", name);
  Synth s(builder);
  s.tick();
  // Connections come and go: 64 open at a time, each for 150 requests; each
  // request is recv, update (the reply is queued), sent: 3 events.
  constexpr int kOpen = 64;
  constexpr int kRequestsPerConnection = 150;
  std::vector<int32_t> chids(kOpen);
  std::vector<int> served(kOpen, 0);
  int32_t next_chid = 1;
  for (int i = 0; i < kOpen; ++i) {
    chids[i] = next_chid++;
    s.add(RecordType::kNotifyAccept, chids[i]);
  }
  uint64_t request = 0;
  bool diverged = false;
  while (s.event() < target) {
    const int slot = static_cast<int>(request % kOpen);
    const int32_t chid = chids[slot];
    const std::string req = "GET /items/" + std::to_string(request * 7919 % 1000003) +
                            " HTTP/1.1\r\nHost: 127.0.0.1:8080\r\nUser-Agent: synth\r\n\r\n";
    s.add(RecordType::kRecvIncoming, chid, req);
    s.add(RecordType::kInvokeEventUpdate);
    const std::string body = "{\"item\":" + std::to_string(request) + ",\"ok\":true}\n";
    const std::string reply =
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: " +
        std::to_string(body.size()) + "\r\n\r\n" + body;
    s.output(chid, reply);
    s.add(RecordType::kSentOutgoing, chid, {}, reply.size());
    if (++served[slot] == kRequestsPerConnection) {
      s.add(RecordType::kNotifyClose, chid);
      s.add(RecordType::kInvokeEventUpdate);
      chids[slot] = next_chid++;
      served[slot] = 0;
      s.add(RecordType::kNotifyAccept, chids[slot]);
    }
    if (request % 10 == 9) s.tick();
    if (!diverged && s.event() >= target * 9 / 10) {
      builder.observe_divergence(s.event(), "lxreplay: diverged at the checkpoint after event " +
                                                std::to_string(s.event()) +
                                                "\nmemhash recorded 0x1 replayed 0x2 (synthetic)");
      diverged = true;
    }
    ++request;
  }
  return std::move(builder).finish();
}

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: timeline_synth EVENTS OUT.html [OUT.json | --diff]\n");
    return 2;
  }
  const uint64_t target = std::strtoull(argv[1], nullptr, 10);
  const bool diff = argc > 3 && std::string(argv[3]) == "--diff";
  const lx::timeline::SessionModel model = synthetic_session(target, "synthetic.lxw");
  lx::timeline::TimelinePage page;
  page.sessions.push_back(&model);
  lx::timeline::SessionModel second;
  if (diff) {
    second = synthetic_session(target, "synthetic-replayed.lxw");
    page.title = "synthetic.lxw vs synthetic-replayed.lxw";
    page.sessions.push_back(&second);
    page.session_names = {"A", "B"};
    page.notes.push_back({target / 2, "first differing event", "outhash differs after it",
                          lx::timeline::PageNote::Kind::kDifference});
    page.notes.push_back({target / 2 + 1000 - target / 2 % 1000, "first differing checkpoint", "",
                          lx::timeline::PageNote::Kind::kCheckpoint});
    page.list_title = "State paths that differ";
    page.list = {"sessions[42].total: 17 (A) vs 18 (B)", "stats.requests: 900 (A) vs 901 (B)"};
  }
  std::FILE* out = std::fopen(argv[2], "w");
  if (out == nullptr) {
    std::perror(argv[2]);
    return 4;
  }
  lx::timeline::PageCounts counts;
  lx::Status st = lx::timeline::write_timeline_html(page, out, &counts);
  if (std::fclose(out) != 0 || !st.ok()) {
    std::fprintf(stderr, "timeline_synth: error: cannot write %s\n", argv[2]);
    return 4;
  }
  if (argc > 3 && !diff) {
    std::FILE* trace = std::fopen(argv[3], "w");
    if (trace == nullptr || !lx::timeline::write_trace_events(model, trace).ok() ||
        std::fclose(trace) != 0) {
      std::fprintf(stderr, "timeline_synth: error: cannot write %s\n", argv[3]);
      return 4;
    }
  }
  std::printf(
      "{\"events\":%llu,\"lanes\":%llu,\"exchanges\":%llu,\"page_bytes\":%llu,\"head_bytes\":%llu}"
      "\n",
      static_cast<unsigned long long>(model.event_count),  // of one session
      static_cast<unsigned long long>(counts.lanes),
      static_cast<unsigned long long>(counts.exchanges),
      static_cast<unsigned long long>(counts.page_bytes),
      static_cast<unsigned long long>(counts.head_bytes_max));
  return 0;
}
