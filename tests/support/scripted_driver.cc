// ScriptedDriver: the tests' stand-in for lxrun, talking to liblxengine.so
// through the C ABI only.
#include "scripted_driver.h"

#include <algorithm>
#include <stdexcept>

#include "source_blob_builder.h"

namespace lx::test {

ScriptedDriver::ScriptedDriver() : ScriptedDriver(Options{}) {}

namespace {

const lx_engine_wrapper* checked_api() {
  const lx_engine_wrapper* api = lx_engine_api();
  if (api->abi_version != LX_ENGINE_ABI_VERSION || api->struct_size != sizeof(lx_engine_wrapper)) {
    throw std::runtime_error("liblxengine.so was built with another engine_api.h");
  }
  return api;
}

}  // namespace

ScriptedDriver::ScriptedDriver(Options options) : ScriptedDriver(options, {}) {}

ScriptedDriver::ScriptedDriver(Options options, const std::vector<uint8_t>& snapshot)
    : api_(checked_api()) {
  region_ = std::make_unique<Region>(options.base, options.heap_bytes);
  if (snapshot.size() > options.heap_bytes) throw std::runtime_error("the snapshot is too big");
  std::copy(snapshot.begin(), snapshot.end(), static_cast<uint8_t*>(region_->base()));
  lx_engine_config config{};
  config.struct_size = sizeof(config);
  config.heap_base = region_->base();
  config.heap_bytes = options.heap_bytes;
  config.seed = options.seed;
  config.instruction_budget = options.instruction_budget;
  config.memory_cap_bytes = options.memory_cap_bytes;
  char error[512] = {0};
  bool restoring = !snapshot.empty();
  int code = (restoring ? api_->restore : api_->create)(&config, &engine_, error, sizeof(error));
  if (code != LX_OK) {
    throw std::runtime_error(
        std::string(restoring ? "engine restore failed: " : "engine create failed: ") + error);
  }
}

std::vector<uint8_t> ScriptedDriver::snapshot() const {
  const auto* base = static_cast<const uint8_t*>(region_->base());
  return std::vector<uint8_t>(base, base + snapshot_bytes());
}

ScriptedDriver::~ScriptedDriver() {
  api_->destroy(engine_);
  region_.reset();
}

int ScriptedDriver::set_clock(double seconds) { return api_->set_clock(engine_, seconds); }

int ScriptedDriver::set_source(const std::map<std::string, std::string>& files,
                               const std::vector<std::string>& args) {
  return set_source_blob(build_source_blob(files, args));
}

int ScriptedDriver::set_source_blob(std::string_view blob) {
  return api_->set_lua_source(engine_, reinterpret_cast<const uint8_t*>(blob.data()), blob.size());
}

int ScriptedDriver::recv(int32_t chid, std::string_view bytes) {
  return api_->recv_incoming(engine_, chid, reinterpret_cast<const uint8_t*>(bytes.data()),
                             bytes.size());
}

int ScriptedDriver::sent(int32_t chid, uint64_t byte_count) {
  return api_->sent_outgoing(engine_, chid, byte_count);
}

int32_t ScriptedDriver::accept(int32_t port) { return api_->notify_accept(engine_, port); }

int ScriptedDriver::close(int32_t chid) { return api_->notify_close(engine_, chid); }

int ScriptedDriver::update() { return api_->invoke_event_update(engine_); }

std::vector<std::pair<int32_t, std::string>> ScriptedDriver::drain() {
  std::vector<std::pair<int32_t, std::string>> runs;
  for (int32_t chid : channels()) drain_runs(chid, &runs);
  return runs;
}

std::string ScriptedDriver::drain(int32_t chid) {
  std::vector<std::pair<int32_t, std::string>> runs;
  drain_runs(chid, &runs);
  std::string all;
  for (const auto& run : runs) all += run.second;
  return all;
}

void ScriptedDriver::drain_runs(int32_t chid, std::vector<std::pair<int32_t, std::string>>* runs) {
  for (;;) {
    const uint8_t* bytes = nullptr;
    size_t count = 0;
    if (api_->peek_outgoing(engine_, chid, &bytes, &count) != LX_OK || count == 0) break;
    std::string run(reinterpret_cast<const char*>(bytes), count);
    if (api_->sent_outgoing(engine_, chid, count) != LX_OK) {
      throw std::runtime_error("sent_outgoing refused a peeked run: " + last_error());
    }
    outputs_[chid] += run;
    runs->emplace_back(chid, std::move(run));
    if (!listed(chid)) break;  // a deleted channel is gone once drained
  }
}

const std::string& ScriptedDriver::output(int32_t chid) { return outputs_[chid]; }

std::vector<std::string> ScriptedDriver::logs() {
  std::vector<std::string> lines;
  for (;;) {
    int64_t length = api_->pop_log_line(engine_, nullptr, 0);
    if (length < 0) break;
    std::string line(static_cast<size_t>(length) + 1, '\0');
    api_->pop_log_line(engine_, line.data(), line.size());
    line.resize(static_cast<size_t>(length));
    lines.push_back(std::move(line));
  }
  return lines;
}

std::vector<int32_t> ScriptedDriver::channels() const {
  std::vector<int32_t> chids(8);
  for (;;) {
    size_t total = api_->list_channels(engine_, chids.data(), chids.size());
    if (total <= chids.size()) {
      chids.resize(total);
      return chids;
    }
    chids.resize(total);
  }
}

bool ScriptedDriver::listed(int32_t chid) const {
  for (int32_t c : channels()) {
    if (c == chid) return true;
  }
  return false;
}

lx_channel_info ScriptedDriver::info(int32_t chid) const {
  lx_channel_info result{};
  if (api_->get_channel_info(engine_, chid, &result) != LX_OK) {
    throw std::runtime_error("no listed channel " + std::to_string(chid));
  }
  return result;
}

std::string ScriptedDriver::peek(int32_t chid) const {
  const uint8_t* bytes = nullptr;
  size_t count = 0;
  if (api_->peek_outgoing(engine_, chid, &bytes, &count) != LX_OK) return std::string();
  return std::string(reinterpret_cast<const char*>(bytes), count);
}

std::string escape_bytes(std::string_view bytes) {
  static const char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned char c : bytes) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c >= 0x20 && c < 0x7f) {
      out += static_cast<char>(c);
    } else {
      out += "\\x";
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

}  // namespace lx::test
