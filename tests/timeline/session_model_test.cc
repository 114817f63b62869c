// SessionBuilder's rules on synthetic records: how exchanges are cut, what the
// replay's observations add, marks, lanes and the clock; and what the two
// writers make of a model (trace counts, a page that loads nothing).
#include "lx/timeline/session_model.h"

#include <catch2/catch.hpp>
#include <cstdio>
#include <string>
#include <vector>

#include "lx/timeline/timeline_html.h"
#include "lx/timeline/trace_events.h"

namespace lx::timeline {
namespace {

using wal::Record;
using wal::RecordType;

// Feeds records with consecutive event numbers.
class Feed {
 public:
  Feed() : builder_("test", "t.lxw") {}
  // The next event's record of `type`.
  Record event(RecordType type, int32_t chid = 0) {
    Record r;
    r.type = type;
    r.event = ++event_;
    r.chid = chid;
    return r;
  }
  uint64_t add(const Record& r) {
    builder_.add(r);
    return r.event;
  }
  uint64_t clock(double t) {
    Record r = event(RecordType::kSetClock);
    r.clock_seconds = t;
    return add(r);
  }
  uint64_t accept(int32_t port, int32_t chid) {
    Record r = event(RecordType::kNotifyAccept);
    r.port = port;
    add(r);
    Record result;
    result.type = RecordType::kAcceptResult;
    result.event = r.event;
    result.chid = chid;
    builder_.add(result);
    return r.event;
  }
  uint64_t recv(int32_t chid, const std::string& bytes) {
    bytes_.push_back(bytes);
    Record r = event(RecordType::kRecvIncoming, chid);
    r.bytes = {reinterpret_cast<const uint8_t*>(bytes_.back().data()), bytes_.back().size()};
    r.byte_count = r.bytes.size();
    return add(r);
  }
  uint64_t sent(int32_t chid, uint64_t n) {
    Record r = event(RecordType::kSentOutgoing, chid);
    r.byte_count = n;
    return add(r);
  }
  uint64_t update() { return add(event(RecordType::kInvokeEventUpdate)); }
  uint64_t close(int32_t chid) { return add(event(RecordType::kNotifyClose, chid)); }
  void checkpoint() {
    Record r;
    r.type = RecordType::kCheckpoint;
    r.event = event_;
    r.figures.event_count = event_;
    builder_.add(r);
  }
  // What the app queued during the last event (a replay's observation).
  void output(int32_t chid, const std::string& bytes) {
    builder_.observe_output(chid, event_,
                            {reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()});
  }
  SessionBuilder& builder() { return builder_; }
  SessionModel finish() { return std::move(builder_).finish(); }

 private:
  SessionBuilder builder_;
  uint64_t event_ = 0;
  std::vector<std::string> bytes_;  // keeps record bytes alive, as a reader's buffer would
};

size_t count_marks(const SessionModel& m, MarkKind kind) {
  size_t n = 0;
  for (const Mark& mark : m.marks) n += mark.kind == kind ? 1 : 0;
  return n;
}

TEST_CASE("requests and their replies on an accepted channel become exchanges", "[timeline]") {
  Feed f;
  f.clock(100.0);
  const uint64_t accepted = f.accept(8080, 1);
  const uint64_t r1 = f.recv(1, "GET /a HTTP/1.1\r\n\r\n");
  f.update();
  const uint64_t s1 = f.sent(1, 40);
  const uint64_t r2 = f.recv(1, "GET /b HTTP/1.1\r\n\r\n");
  f.update();
  const uint64_t s2 = f.sent(1, 41);
  f.close(1);
  SessionModel m = f.finish();
  REQUIRE(m.lanes.size() == 1);
  CHECK(m.lanes[0].chid == 1);
  CHECK(m.lanes[0].kind == LaneKind::kAccepted);
  CHECK(m.lanes[0].port == 8080);
  CHECK(m.lanes[0].first_event == accepted);
  CHECK(m.lanes[0].exchange_count == 2);
  REQUIRE(m.exchanges.size() == 2);
  const Exchange& a = m.exchanges[0];
  CHECK(a.in.first_event == r1);
  CHECK(a.sent.first_event == s1);
  CHECK(a.sent.byte_count == 40);
  CHECK(a.first_event() == r1);
  CHECK(a.last_event() == s1);
  CHECK(m.head_text(a.in.head) == "GET /a HTTP/1.1\r\n\r\n");
  CHECK_FALSE(a.regenerated());
  CHECK(a.answered(m.lanes[0]));
  CHECK(m.exchanges[1].in.first_event == r2);
  CHECK(m.exchanges[1].last_event() == s2);
  CHECK(count_marks(m, MarkKind::kAccept) == 1);
  CHECK(count_marks(m, MarkKind::kHalfClose) == 1);
  CHECK(m.updates.size() == 2);
  CHECK_FALSE(m.replies_regenerated);
}

TEST_CASE("a request split across reads is one request", "[timeline]") {
  Feed f;
  f.accept(8080, 1);
  const uint64_t first = f.recv(1, "GET / HT");
  f.update();
  const uint64_t last = f.recv(1, "TP/1.1\r\n\r\n");
  f.update();
  f.sent(1, 10);
  SessionModel m = f.finish();
  REQUIRE(m.exchanges.size() == 1);
  CHECK(m.exchanges[0].in.first_event == first);
  CHECK(m.exchanges[0].in.last_event == last);
  CHECK(m.exchanges[0].in.event_count == 2);
  CHECK(m.exchanges[0].in.byte_count == 18);
  CHECK(m.head_text(m.exchanges[0].in.head) == "GET / HTTP/1.1\r\n\r\n");
}

TEST_CASE("a request with no reply stays an unanswered exchange", "[timeline]") {
  Feed f;
  f.accept(8080, 1);
  f.recv(1, "hello");
  f.close(1);
  SessionModel m = f.finish();
  REQUIRE(m.exchanges.size() == 1);
  CHECK_FALSE(m.exchanges[0].answered(m.lanes[0]));
}

TEST_CASE("observed output is the reply, and sent bytes drain it oldest first", "[timeline]") {
  // Two pipelined requests, each answered during its update, both replies
  // sent by one sent_outgoing after the second request arrived.
  Feed f;
  f.accept(8080, 1);
  f.recv(1, "A?");
  f.update();
  f.output(1, "reply A");
  f.recv(1, "B?");
  f.update();
  f.output(1, "reply B!");
  const uint64_t sent = f.sent(1, 15);
  SessionModel m = f.finish();
  CHECK(m.replies_regenerated);
  REQUIRE(m.exchanges.size() == 2);
  const Exchange& a = m.exchanges[0];
  const Exchange& b = m.exchanges[1];
  CHECK(a.regenerated());
  CHECK(m.head_text(a.queued.head) == "reply A");
  CHECK(m.head_text(b.queued.head) == "reply B!");
  CHECK(a.sent.byte_count == 7);
  CHECK(b.sent.byte_count == 8);
  CHECK(a.sent.last_event == sent);
  CHECK(b.sent.last_event == sent);
}

TEST_CASE("on an outgoing channel the app asks and the peer answers", "[timeline]") {
  Feed f;
  f.update();
  f.output(5, "PING\r\n");  // lx.connect's channel: first seen in the app's output
  f.builder().observe_target(5, "127.0.0.1:6379");
  const uint64_t s = f.sent(5, 6);
  const uint64_t answer = f.recv(5, "+PONG\r\n");
  f.update();
  f.output(5, "PING\r\n");
  SessionModel m = f.finish();
  REQUIRE(m.lanes.size() == 1);
  CHECK(m.lanes[0].kind == LaneKind::kOutgoing);
  CHECK(m.lanes[0].target == "127.0.0.1:6379");
  REQUIRE(m.exchanges.size() == 2);
  CHECK(m.exchanges[0].sent.first_event == s);
  CHECK(m.exchanges[0].in.first_event == answer);
  CHECK(m.exchanges[0].answered(m.lanes[0]));
  CHECK_FALSE(m.exchanges[1].answered(m.lanes[0]));
}

TEST_CASE("stdio is its own lane and closes twice: end of stdin, then stdout failed",
          "[timeline]") {
  Feed f;
  f.accept(9000, 1);
  f.recv(0, "line\n");
  f.update();
  f.sent(0, 5);
  f.close(0);
  f.close(0);
  SessionModel m = f.finish();
  REQUIRE(m.lanes.size() == 2);
  CHECK(m.lanes[0].chid == 0);  // lanes by chid, although stdio came second
  CHECK(m.lanes[0].kind == LaneKind::kStdio);
  CHECK(m.lanes[1].chid == 1);
  CHECK(m.lane_of(1) == 1);
  CHECK(m.lane_of(7) == -1);
  CHECK(count_marks(m, MarkKind::kHalfClose) == 1);
  CHECK(count_marks(m, MarkKind::kClose) == 1);
  for (const Mark& mark : m.marks)
    if (mark.kind == MarkKind::kClose) CHECK(mark.lane == 0);
  REQUIRE(m.exchanges.size() == 1);
  CHECK(m.exchanges[0].lane == 0);
}

TEST_CASE("checkpoints, snapshots and a divergence are marks with their text", "[timeline]") {
  Feed f;
  f.update();
  f.checkpoint();
  f.update();
  f.builder().observe_snapshot(2, "snapshot after event 2");
  f.builder().observe_divergence(2, "diverged at event 2\nmemhash differs");
  SessionModel m = f.finish();
  CHECK(count_marks(m, MarkKind::kCheckpoint) == 1);
  CHECK(count_marks(m, MarkKind::kSnapshot) == 1);
  REQUIRE(count_marks(m, MarkKind::kDivergence) == 1);
  for (const Mark& mark : m.marks) {
    if (mark.kind == MarkKind::kDivergence)
      CHECK(mark.text == "diverged at event 2\nmemhash differs");
    if (mark.kind == MarkKind::kCheckpoint) CHECK(mark.text.find("checkpoint after event 1") == 0);
  }
}

TEST_CASE("the recorded clock and the axis that spreads events within a tick", "[timeline]") {
  Feed f;
  f.clock(100.0);   // event 1
  f.update();       // 2
  f.update();       // 3
  f.update();       // 4
  f.clock(100.04);  // 5
  f.update();       // 6
  f.clock(99.0);    // 7: the clock stepped back
  f.update();       // 8
  SessionModel m = f.finish();
  CHECK(m.time_of(3) == 100.0);
  CHECK(m.time_of(6) == 100.04);
  CHECK(m.time_of(8) == 99.0);
  CHECK(m.axis_time_of(1) == Approx(100.0));
  CHECK(m.axis_time_of(3) == Approx(100.02));
  CHECK(m.axis_time_of(5) == Approx(100.04));
  // The axis never steps back: from event 7 on it holds 100.04, then 1 us an event.
  CHECK(m.axis_time_of(7) == Approx(100.04));
  CHECK(m.axis_time_of(8) == Approx(100.04 + 1e-6));
  for (uint64_t e = 1; e < 8; ++e) CHECK(m.axis_time_of(e) <= m.axis_time_of(e + 1));
}

TEST_CASE("heads keep at most kHeadBytes and repeats share one copy", "[timeline]") {
  Feed f;
  f.accept(80, 1);
  const std::string big(1000, 'x');
  f.recv(1, big);
  f.update();
  f.sent(1, 1);
  f.recv(1, big);
  f.update();
  f.sent(1, 1);
  SessionModel m = f.finish();
  REQUIRE(m.exchanges.size() == 2);
  CHECK(m.exchanges[0].in.byte_count == 1000);
  CHECK(m.head_text(m.exchanges[0].in.head).size() == kHeadBytes);
  CHECK(m.exchanges[0].in.head == m.exchanges[1].in.head);
  CHECK(m.heads.size() == 1);
}

std::string write_to_string(const std::function<Status(std::FILE*)>& write) {
  std::FILE* f = std::tmpfile();
  REQUIRE(f != nullptr);
  Status s = write(f);
  REQUIRE(s.ok());
  std::string text;
  std::rewind(f);
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof(buf), f)) > 0) text.append(buf, n);
  std::fclose(f);
  return text;
}

SessionModel small_session() {
  Feed f;
  f.clock(1700000000.0);
  f.accept(8080, 1);
  f.recv(1, "GET /</script><b> HTTP/1.1\r\n\r\n");
  f.update();
  f.output(1, "HTTP/1.1 200 OK\r\n\r\n\xff\x00");
  f.sent(1, 21);
  f.checkpoint();
  f.close(1);
  f.builder().observe_divergence(5, "diverged");
  return f.finish();
}

TEST_CASE("the trace has a track per lane, a span per exchange, an instant per mark",
          "[timeline][trace]") {
  const SessionModel m = small_session();
  TraceCounts n;
  const std::string text =
      write_to_string([&](std::FILE* f) { return write_trace_events(m, f, &n); });
  CHECK(n.tracks == 2);  // the session track and ch 1
  CHECK(n.spans == 1);
  CHECK(n.instants == m.marks.size());
  CHECK(text.find("\"traceEvents\":[") != std::string::npos);
  CHECK(text.find("\"name\":\"thread_name\"") != std::string::npos);
  CHECK(text.find("\"ph\":\"X\"") != std::string::npos);
  CHECK(text.find("ch 1 accepted on :8080") != std::string::npos);
  CHECK(text.back() == '\n');
}

TEST_CASE("the page is one file that loads nothing and cannot end its script early",
          "[timeline][html]") {
  const SessionModel m = small_session();
  PageCounts n;
  const std::string html =
      write_to_string([&](std::FILE* f) { return write_timeline_html(m, f, &n); });
  CHECK(n.lanes == 1);
  CHECK(n.exchanges == 1);
  CHECK(n.page_bytes == html.size());
  CHECK(html.rfind("<!doctype html>", 0) == 0);
  CHECK(html.find("@LX_") == std::string::npos);  // every marker filled
  // No address to fetch: no src or href attributes, no http(s) or // URLs.
  CHECK(html.find("src=") == std::string::npos);
  CHECK(html.find("href=") == std::string::npos);
  CHECK(html.find("http://") == std::string::npos);
  CHECK(html.find("https://") == std::string::npos);
  CHECK(html.find("Content-Security-Policy") != std::string::npos);
  // Two script elements (data, code): the request's "</script>" was escaped.
  size_t closes = 0;
  for (size_t at = html.find("</script"); at != std::string::npos;
       at = html.find("</script", at + 1))
    ++closes;
  CHECK(closes == 2);
  CHECK(html.find("\\u003c/script\\u003e") != std::string::npos);
}

TEST_CASE("a page takes one or two sessions", "[timeline][html]") {
  const SessionModel a = small_session();
  const SessionModel b = small_session();
  TimelinePage page;
  page.sessions = {&a, &b};
  page.session_names = {"A", "B"};
  page.notes.push_back(
      PageNote{3, "first difference", "outhash differs", PageNote::Kind::kDifference});
  page.list_title = "State paths that differ";
  page.list = {"sessions[42].total: 17 (A) vs 18 (B)"};
  PageCounts n;
  const std::string html =
      write_to_string([&](std::FILE* f) { return write_timeline_html(page, f, &n); });
  CHECK(n.lanes == 2);
  CHECK(html.find("sessions[42].total") != std::string::npos);
  TimelinePage none;
  std::FILE* f = std::tmpfile();
  CHECK(write_timeline_html(none, f).kind() == ErrorKind::kUsage);
  std::fclose(f);
}

}  // namespace
}  // namespace lx::timeline
