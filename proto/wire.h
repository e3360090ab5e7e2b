/* The frame protocol between ranks, used alike by the coordinator and the
 * nodes: one MPI message = one serialized swan.Envelope (proto/swan.proto).
 * Waiting never spins: probes and sends are polled with short sleeps so
 * oversubscribed ranks leave the cores to those computing. Everything
 * received is checked (version, size, shapes) before use, and errors name
 * the sending rank. The limits both sides enforce are defined here once. */
#ifndef SWAN_WIRE_H
#define SWAN_WIRE_H

#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "error.h"
#include "swan.pb-c.h"

#define SWAN_PROTOCOL_VERSION 1

/* Channels. Messages from one sender on one tag arrive in order. */
enum {
    TAG_PIPE = 1,     /* coordinator/stage -> next stage: setup, chunks, doc ends, shutdown */
    TAG_SHARD = 2,    /* stage leader <-> its shard members */
    TAG_COORD = 3,    /* nodes -> coordinator: ready, results, stats */
    TAG_ERROR = 4,    /* any node -> coordinator: why the job must end */
    TAG_WATCH = 5,    /* coordinator <-> nodes: Ping and Pong (proto/watch.h) */
    TAG_WATCH_UP = 6, /* stage 0's leader <-> coordinator: is rank 0 alive? */
};

/* ---- limits both sides share ---- */

/* Frames larger than this are refused before Setup fixes the real limit. */
#define WIRE_SETUP_MAX_FRAME (1u << 20)
/* Ranks in one stage (a leader and its shard members). */
#define WIRE_MAX_GROUP 64
/* Tokens in one chunk. */
#define WIRE_MAX_CHUNK (1 << 20)
/* The largest frame a correct peer sends in a run of this model with chunks
 * of at most max_chunk tokens: anything bigger is refused unread. */
size_t wire_frame_limit(const SwanConfig *cfg, int max_chunk);

/* ---- envelopes ---- */

/* Points env (initialised) at body, a message of the kind c names. */
void wire_wrap(Swan__Envelope *env, Swan__Envelope__BodyCase c, void *body);
/* Small messages sent as they are built; failures end the job. */
void wire_send_doc_end(uint64_t doc, int dest, int tag);
void wire_send_shutdown(int dest);
/* Names a message kind in errors. */
const char *wire_body_name(Swan__Envelope__BodyCase c);

/* Bytes env takes on the wire (version filled in). */
size_t wire_packed_size(Swan__Envelope *env);

/* Serializes env (version filled in) into a malloc'd buffer. */
uint8_t *wire_pack(Swan__Envelope *env, size_t *len);

/* Checks and unpacks one frame from `sender`. The caller frees *out with
 * swan__envelope__free_unpacked. */
int wire_decode(const uint8_t *buf, size_t len, size_t max_frame, int sender, Swan__Envelope **out,
                SwanError *err);

/* Sends env to dest and waits (sleeping) until the buffer is free; the
 * wait is on dest (see WireWait). */
int wire_send(Swan__Envelope *env, int dest, int tag, SwanError *err);

/* A send in flight: the buffer lives until the request completes. */
typedef struct {
    uint8_t *buf;
    int request_open;
    char request[64]; /* MPI_Request, kept opaque so model-side code needs no mpi.h */
} WirePending;

int wire_isend(Swan__Envelope *env, int dest, int tag, WirePending *p, SwanError *err);
/* 1 when the send is complete (buffer freed), 0 while still in flight. */
int wire_pending_done(WirePending *p);

/* 1 and the message's source and tag when one is waiting, else 0. */
int wire_poll(int source, int tag, int *src_out, int *tag_out);
/* Sleeps in short steps until a message is waiting. */
void wire_wait(int source, int tag, int *src_out, int *tag_out);
/* Receives and decodes the waiting message from src on tag. */
int wire_recv(int src, int tag, size_t max_frame, Swan__Envelope **out, SwanError *err);

/* Sleep used by idle loops: grows from a few microseconds to 1 ms. Rank 0
 * handles nodes' Errors here; the idle hook (nodes: answering pings) runs. */
void wire_idle(int *backoff_us);
void wire_on_idle(void (*fn)(void));

/* What this rank is waiting for, so a Ping can be answered with it: peer -1
 * is nobody in particular; owed says what the peer should be doing. */
typedef struct {
    int peer;
    double since; /* monotonic seconds */
    char owed[192];
} WireWait;

/* Starts a wait on peer; *saved receives the wait it interrupts, which
 * wire_wait_end restores. */
void wire_wait_begin(WireWait *saved, int peer, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void wire_wait_end(const WireWait *saved);
/* The peer answered something: the current wait's clock restarts. */
void wire_wait_touch(void);
const WireWait *wire_current_wait(void);
/* Monotonic seconds. */
double wire_now(void);

/* Tensor payloads. */
void wire_tensor_f32(Swan__Tensor *t, int64_t *shape_storage, int ndim, const int64_t *shape,
                     const float *data);
/* The same tensor rounded to bf16 into storage (2 bytes per value, owned by
 * the caller and alive until the message is packed). */
void wire_tensor_bf16(Swan__Tensor *t, int64_t *shape_storage, int ndim, const int64_t *shape,
                      const float *data, uint8_t *storage);
/* Checks dtype F32 or BF16, the exact shape, and the byte length. */
int wire_tensor_check(const Swan__Tensor *t, int ndim, const int64_t *shape, int sender,
                      const char *what, SwanError *err);
/* Copies a checked tensor into f32 dst. */
void wire_tensor_read(const Swan__Tensor *t, float *dst);

/* ---- ending the job ---- */

/* Ends the whole job for msg. On a node: sends rank 0 an Error and waits for
 * it to end the job, so one line reports it; prints "swan: error: rank R:
 * msg" itself only when rank 0 does not answer. On rank 0: as if rank 0 had
 * sent itself the Error. */
void wire_fatal(const char *msg) __attribute__((noreturn));
void wire_fatalf(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));

/* Rank 0: what to do when a rank reports an Error (print, mark documents,
 * then the job is aborted). Checked whenever rank 0 waits in wire_idle.
 * host is NULL, or the rank's host when the line should name it. */
typedef void (*WirePeerErrorFn)(void *ctx, int rank, const char *host, const char *msg);
void wire_on_peer_error(WirePeerErrorFn fn, void *ctx);

/* Rank 0: ends the job for a rank that stopped answering: "rank N (host
 * H): no answer for S s while OWED". */
void wire_end_job_silent(int rank, const char *host, double seconds, const char *owed)
    __attribute__((noreturn));

#endif
