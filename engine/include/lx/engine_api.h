/* The engine's only public header: the pure C ABI between liblxengine.so (the
 * deterministic, driven portion) and whoever drives it (lxrun, lxreplay, the
 * tests). It includes nothing but <stdint.h> and <stddef.h> on purpose. */
#ifndef LX_ENGINE_API_H
#define LX_ENGINE_API_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Bumped on every change to lx_engine_wrapper or lx_engine_config, and to the
 * meaning of any call. A loader refuses an engine whose abi_version differs. */
#define LX_ENGINE_ABI_VERSION 2u

/* The instruction budget lxrun uses unless told otherwise, and the one lxreplay
 * uses for a log whose header records none (docs/determinism.md, "Runaway
 * apps"): Lua VM instructions one entry point (main.lua, update(),
 * on_reload()) may run before it is stopped. */
#define LX_DEFAULT_INSTRUCTION_BUDGET 500000000ull

/* Channel 0 is always stdio. It cannot be deleted. */
#define LX_STDIO_CHID 0

/* Status codes. Zero is success; errors are negative (as in libuv). */
#define LX_OK 0
#define LX_ERR_ARGUMENT (-1)   /* a bad argument: null pointer, bad size, bad blob */
#define LX_ERR_NO_CHANNEL (-2) /* no channel with that chid (or it was deleted) */
#define LX_ERR_NO_MEMORY (-3)  /* the heap region is exhausted; the engine is failed */
#define LX_ERR_APP (-4)        /* the Lua app raised an error; see last_error */
#define LX_ERR_FAILED (-5)     /* an earlier fatal error left the engine unusable */
#define LX_ERR_VERSION (-6)    /* a struct_size or version the engine does not know */
#define LX_ERR_SNAPSHOT (-7)   /* restore: a region this engine cannot adopt (see error_text) */

/* Opaque. The handle itself lives on the system heap (it holds the lx.log
 * queue and the last error text); everything that is engine state lives
 * inside the heap region. */
typedef struct lx_engine lx_engine;

/* Everything the engine needs to start. The same config gives the same
 * engine: lxreplay rebuilds it from a log's header. */
typedef struct lx_engine_config {
  uint32_t struct_size; /* sizeof(lx_engine_config), checked by create */
  uint32_t reserved;    /* must be zero */
  /* A region of heap_bytes bytes at heap_base, readable, writable, and all
   * zero (freshly mapped), that the caller owns and keeps mapped until
   * destroy returns. The engine allocates all of its state inside it. */
  void* heap_base;
  uint64_t heap_bytes;
  /* Seeds every pseudo-random generator the app can reach. */
  uint64_t seed;
  /* ---- Added in ABI 2. A config whose struct_size ends before these
   * fields (ABI 1's 32 bytes) gets 0 for both: no limits. ---- */
  /* Lua VM instructions each entry point (main.lua at set_lua_source,
   * on_reload(), update()) may run; beyond it a Lua error "instruction budget
   * of N exceeded in update()" is raised, and raised again at every further
   * instruction until the entry point has returned, so pcall cannot swallow
   * it. Counted by a Lua count hook, so the stop falls on the same
   * instruction in every run. 0: unlimited. */
  uint64_t instruction_budget;
  /* Bytes the app may hold: its Lua allocations, the output it queued on its
   * channels and its pending wake times. An allocation beyond it fails as
   * Lua's "not enough memory" error, which the app can catch; the engine is
   * not failed. 0: no cap but the heap region. Otherwise at least 1 MiB. */
  uint64_t memory_cap_bytes;
} lx_engine_config;

/* Per-channel facts the driver needs to manage the channel's socket. */
typedef struct lx_channel_info {
  int32_t chid;
  int32_t port;            /* listening port it was accepted on; 0 otherwise */
  uint64_t incoming_bytes; /* received, not yet read by the app */
  uint64_t outgoing_bytes; /* queued by the app, not yet reported sent */
  uint8_t closed;          /* notify_close was called for it: the remote sends no more */
  uint8_t outgoing;        /* created by lx.connect: the driver must connect it */
  uint8_t deleted;         /* the app closed it; it lingers only to flush output */
  uint8_t shut_down;       /* the app called ch:shutdown(): once outgoing_bytes is 0, shut
                              the socket's write side (the peer reads EOF) and keep reading */
} lx_channel_info;

/* The engine's C ABI (the "EngineWrapper" of the original design): a table of
 * function pointers, fetched once with lx_engine_api(). Every call is synchronous and must be made
 * from one thread at a time. No call throws, calls back, allocates outside the heap region (except
 * the handle, its lx.log lines and error text), reads a clock, or does I/O.
 *
 * Events (set_clock .. invoke_event_update) are the only calls that change
 * engine state; each one counts as one event, even when it fails. Queries
 * change nothing, so a replay that makes other queries stays identical. */
typedef struct lx_engine_wrapper {
  uint32_t abi_version; /* LX_ENGINE_ABI_VERSION of the engine */
  uint32_t struct_size; /* sizeof(lx_engine_wrapper) of the engine */
  /* A NUL-terminated id of the engine build (a digest of its sources and
   * compiler). Recorded in logs so a replay can warn about another build. */
  const char* build_id;

  /* ---- Lifetime ---- */

  /* Creates an engine in config->heap_base. On success stores it in *out and
   * returns LX_OK. On failure returns an error, leaves *out null and, when
   * error_text is not null, writes a NUL-terminated reason there (at most
   * error_cap bytes). The region must be fresh (all zero). */
  int (*create)(const lx_engine_config* config, lx_engine** out, char* error_text,
                size_t error_cap);
  /* Destroys the engine. The caller may unmap the region afterwards. Null is
   * ignored. */
  void (*destroy)(lx_engine* engine);

  /* ---- Events: each changes state and must be logged before it is made ---- */

  /* Sets the wall clock, in seconds since the Unix epoch, that lx.now(),
   * os.time() and os.clock() report. */
  int (*set_clock)(lx_engine* engine, double seconds);
  /* Sets the app source: a source blob (docs/source-blob.md) holding the
   * app's .lua files and its arguments. Runs main.lua; on a later call (a
   * rescan) runs the new main.lua and then on_reload() if it is defined.
   * Clears the rescan flag. On a Lua error returns LX_ERR_APP with the
   * message in last_error; on a rescan the previous code keeps running. */
  int (*set_lua_source)(lx_engine* engine, const uint8_t* blob, size_t blob_bytes);
  /* Appends bytes to the channel's incoming buffer. */
  int (*recv_incoming)(lx_engine* engine, int32_t chid, const uint8_t* bytes, size_t byte_count);
  /* Removes byte_count bytes from the front of the channel's outgoing buffer:
   * the driver wrote them. byte_count must not exceed outgoing_bytes. */
  int (*sent_outgoing)(lx_engine* engine, int32_t chid, uint64_t byte_count);
  /* A connection arrived on a listening port: creates a channel, queues it
   * for lx.accept(), and returns its chid (> 0), or a negative error. The
   * channel is in the channel list at once. */
  int32_t (*notify_accept)(lx_engine* engine, int32_t port);
  /* The remote closed the channel (EOF: it will send no more), the
   * connection failed, or an error occurred. The app still reads what was
   * received; ch:closed() is true; what the app writes is still delivered (a
   * half-close) until it closes the channel. Called on a channel that is
   * already closed, it discards the channel's unsent output and every later
   * write (the driver cannot deliver them), and the channel leaves the list. */
  int (*notify_close)(lx_engine* engine, int32_t chid);
  /* Runs the app's update(), after consuming every wake time (next_wake) the
   * clock has reached. An error raised by update() (the instruction budget
   * and the memory cap included) is caught, reported as lx.log lines with a
   * traceback (the same error again within 10 s of engine clock only
   * counted), and returned as LX_ERR_APP; the engine goes on. */
  int (*invoke_event_update)(lx_engine* engine);

  /* ---- Queries: change nothing ---- */

  /* Writes up to capacity chids of live channels in ascending order into
   * chids and returns how many there are in all (call again with a larger
   * array if that is more than capacity). Live: not closed, or closed or
   * deleted but still holding output to send. Includes stdio (0) and
   * accepted channels still waiting in the accept queue. A deleted channel
   * leaves the list for good at the end of the first event after which it
   * holds no output; so does a closed one once it can carry nothing more
   * (notify_close came twice, or the app shut it down and its output is
   * sent; later writes to it are dropped). A chid the
   * driver knew that is no longer listed is gone: close its socket once the
   * driver's own pending writes on it are done. */
  size_t (*list_channels)(const lx_engine* engine, int32_t* chids, size_t capacity);
  /* Fills *info for a channel. Returns LX_OK or LX_ERR_NO_CHANNEL. */
  int (*get_channel_info)(const lx_engine* engine, int32_t chid, lx_channel_info* info);
  /* Stores a pointer to the channel's target ("host:port", not
   * NUL-terminated; empty unless it was made by lx.connect) and its length.
   * Valid until the next event. Returns LX_OK or LX_ERR_NO_CHANNEL. */
  int (*get_target)(const lx_engine* engine, int32_t chid, const char** target,
                    size_t* target_bytes);
  /* Stores a pointer to the first contiguous run of the channel's outgoing
   * bytes and its length (0 when nothing is queued). The span stays valid,
   * unchanged, until those bytes are consumed by sent_outgoing or the channel
   * is deleted, even while the app appends more. Returns LX_OK or
   * LX_ERR_NO_CHANNEL. */
  int (*peek_outgoing)(const lx_engine* engine, int32_t chid, const uint8_t** bytes,
                       size_t* byte_count);
  /* 1 when the app asked for its source to be re-read (lx.rescan()); the
   * driver then reads the app again and calls set_lua_source. */
  int (*get_rescan_flag)(const lx_engine* engine);
  /* 1 when the app asked the driver to stop (lx.stop()). */
  int (*get_stop_flag)(const lx_engine* engine);
  /* Running hash of every allocation and free on the heap (offsets from the
   * region base and sizes), so it is the same for any base address. */
  uint64_t (*memhash)(const lx_engine* engine);
  /* Running hash of every byte queued for output, with its chid. */
  uint64_t (*outhash)(const lx_engine* engine);
  /* Bytes of the heap region in use (allocated blocks and their headers). */
  uint64_t (*heap_bytes_in_use)(const lx_engine* engine);
  /* Events applied since create. */
  uint64_t (*event_count)(const lx_engine* engine);
  /* The message of the last event that failed (LX_ERR_*), NUL-terminated,
   * "" if none. Valid until the next event. */
  const char* (*last_error)(const lx_engine* engine);

  /* ---- Debug output (lx.log): kept outside the heap region ---- */

  /* Moves the oldest pending lx.log line into buffer (NUL-terminated, cut to
   * capacity - 1 bytes) and returns its full length, or returns -1 when no
   * line is pending. Draining is not an event and does not touch the heap
   * region. Lines beyond a bound are dropped and replaced by one line that
   * says how many were dropped. */
  int64_t (*pop_log_line)(lx_engine* engine, char* buffer, size_t capacity);

  /* ---- Snapshots ---- */

  /* The engine's complete state is the first snapshot_bytes() bytes of its
   * region: [heap_base, heap_base + snapshot_bytes) holds a header (naming
   * the engine build, the region's base and size, and the seed; see
   * docs/snapshots.md) and every byte the heap ever handed out; every byte
   * beyond is still zero as mapped. Copying those bytes between two calls is
   * a snapshot. Nothing else is state: the lx.log lines not yet popped and
   * last_error belong to the handle and are not part of it. The bytes are
   * only valid with this very build of the engine, loaded at the address it
   * was linked at. A query: changes nothing. Returns 0 for a null engine. */
  uint64_t (*snapshot_bytes)(const lx_engine* engine);
  /* Adopts the engine whose snapshot the caller copied to the start of a
   * fresh region: config->heap_base must hold the snapshot's bytes and be
   * zero beyond them, and config must name the base, size and seed the
   * snapshot was taken with. Checks the header (this build, base, size,
   * seed, the library's code address) and stores the engine in *out; every
   * later event then gives the same results and figures as it gave after
   * the snapshot in the engine that took it. Its log queue and last_error
   * start empty. On failure returns LX_ERR_SNAPSHOT (or LX_ERR_ARGUMENT /
   * LX_ERR_VERSION for a bad config), leaves *out null and writes the reason
   * and what to do into error_text (at most error_cap bytes). The caller
   * owns the region as with create. */
  int (*restore)(const lx_engine_config* config, lx_engine** out, char* error_text,
                 size_t error_cap);

  /* ---- Limits and timers (ABI 2): queries, change nothing ---- */

  /* The earliest engine time (seconds, on the set_clock scale) at which the
   * app asked to run again with lx.wake_at() or lx.after() and that no
   * update() has consumed yet. Stores it in *seconds and returns 1, or
   * returns 0 (and leaves *seconds alone) when nothing is pending, or on a
   * null argument. A wake time is consumed by the first update() that runs
   * with the clock at or past it. A driver that does not tick calls
   * set_clock and invoke_event_update once the time has come. */
  int (*next_wake)(const lx_engine* engine, double* seconds);
  /* Like peek_outgoing, for the contiguous run of the channel's unsent
   * output that starts offset bytes into it (offset 0 is peek_outgoing), so
   * a caller can read every queued byte without consuming any. offset equal
   * to outgoing_bytes gives 0 bytes; beyond it is LX_ERR_ARGUMENT. The span
   * stays valid, unchanged, until those bytes are consumed by sent_outgoing
   * or the channel is deleted. Returns LX_OK, LX_ERR_NO_CHANNEL or
   * LX_ERR_ARGUMENT. */
  int (*peek_outgoing_at)(const lx_engine* engine, int32_t chid, uint64_t offset,
                          const uint8_t** bytes, size_t* byte_count);
  /* Bytes charged against memory_cap_bytes now: the app's Lua allocations,
   * its queued channel output and its pending wake times (0 for a null
   * engine). */
  uint64_t (*app_memory_bytes)(const lx_engine* engine);
} lx_engine_wrapper;

/* The one exported symbol of liblxengine.so. Returns a static table; never
 * null. Check abi_version and struct_size before using anything else. */
#if defined(__GNUC__)
__attribute__((visibility("default")))
#endif
const lx_engine_wrapper*
lx_engine_api(void);

/* The name to look up with dlsym / uv_dlsym. */
#define LX_ENGINE_API_SYMBOL "lx_engine_api"

#ifdef __cplusplus
}
#endif

#endif /* LX_ENGINE_API_H */
