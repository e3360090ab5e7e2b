/* Frames between ranks: one MPI message = one serialized swan.Envelope
 * (proto/swan.proto). Waiting never spins: probes and sends are polled
 * with short sleeps so oversubscribed ranks leave the cores to those
 * computing. Everything received is checked (version, size, shapes) before
 * use, and errors name the sending rank. */
#ifndef SWAN_WIRE_H
#define SWAN_WIRE_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "swan.pb-c.h"

#define SWAN_PROTOCOL_VERSION 1

/* Channels. Messages from one sender on one tag arrive in order. */
enum {
    TAG_PIPE = 1,   /* coordinator/stage -> next stage: setup, chunks, doc ends, shutdown */
    TAG_SHARD = 2,  /* stage leader <-> its shard members */
    TAG_COORD = 3,  /* nodes -> coordinator: ready, results, stats */
};

/* Frames larger than this are refused before Setup fixes the real limit. */
#define WIRE_SETUP_MAX_FRAME (1u << 20)

/* Bytes env takes on the wire (version filled in). */
size_t wire_packed_size(Swan__Envelope *env);

/* Serializes env (version filled in) into a malloc'd buffer. */
uint8_t *wire_pack(Swan__Envelope *env, size_t *len);

/* Checks and unpacks one frame from `sender`. The caller frees *out with
 * swan__envelope__free_unpacked. */
int wire_decode(const uint8_t *buf, size_t len, size_t max_frame, int sender,
                Swan__Envelope **out, SwanError *err);

/* Sends env to dest and waits (sleeping) until the buffer is free. */
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

/* Sleep used by idle loops: grows from a few microseconds to 1 ms. */
void wire_idle(int *backoff_us);

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

/* Aborts the whole job after printing "swan: error: rank R: msg". */
void wire_fatal(const char *msg) __attribute__((noreturn));

#endif
