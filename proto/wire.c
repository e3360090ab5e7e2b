#include "wire.h"

#include <mpi.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "half_float.h"

_Static_assert(sizeof(MPI_Request) <= sizeof(((WirePending *)0)->request),
               "WirePending too small for an MPI_Request");

const char *wire_body_name(Swan__Envelope__BodyCase c) {
    switch (c) {
    case SWAN__ENVELOPE__BODY_SETUP: return "Setup";
    case SWAN__ENVELOPE__BODY_READY: return "Ready";
    case SWAN__ENVELOPE__BODY_DOC_END: return "DocEnd";
    case SWAN__ENVELOPE__BODY_ACTIVATION: return "Activation";
    case SWAN__ENVELOPE__BODY_SHARD_WORK: return "ShardWork";
    case SWAN__ENVELOPE__BODY_SHARD_PARTIAL: return "ShardPartial";
    case SWAN__ENVELOPE__BODY_CHUNK_RESULT: return "ChunkResult";
    case SWAN__ENVELOPE__BODY_ERROR: return "Error";
    case SWAN__ENVELOPE__BODY_SHUTDOWN: return "Shutdown";
    case SWAN__ENVELOPE__BODY_DOC_STATS: return "DocStats";
    case SWAN__ENVELOPE__BODY_RESCALE: return "Rescale";
    case SWAN__ENVELOPE__BODY_PING: return "Ping";
    case SWAN__ENVELOPE__BODY_PONG: return "Pong";
    default: return "nothing";
    }
}

size_t wire_packed_size(Swan__Envelope *env) {
    env->version = SWAN_PROTOCOL_VERSION;
    return swan__envelope__get_packed_size(env);
}

uint8_t *wire_pack(Swan__Envelope *env, size_t *len) {
    env->version = SWAN_PROTOCOL_VERSION;
    size_t n = swan__envelope__get_packed_size(env);
    uint8_t *buf = malloc(n ? n : 1);
    if (!buf) return NULL;
    *len = swan__envelope__pack(env, buf);
    return buf;
}

int wire_decode(const uint8_t *buf, size_t len, size_t max_frame, int sender, Swan__Envelope **out,
                SwanError *err) {
    if (len > max_frame)
        return swan_error_set(err, "frame of %zu bytes from rank %d exceeds the limit of %zu bytes",
                              len, sender, max_frame);
    Swan__Envelope *env = swan__envelope__unpack(NULL, len, buf);
    if (!env)
        return swan_error_set(err, "malformed frame of %zu bytes from rank %d (not a swan.Envelope)",
                              len, sender);
    if (env->version != SWAN_PROTOCOL_VERSION) {
        swan_error_set(err, "frame from rank %d has protocol version %u, this swan speaks %d", sender,
                       env->version, SWAN_PROTOCOL_VERSION);
        swan__envelope__free_unpacked(env, NULL);
        return -1;
    }
    if (env->body_case == SWAN__ENVELOPE__BODY__NOT_SET) {
        swan__envelope__free_unpacked(env, NULL);
        return swan_error_set(err, "frame from rank %d carries no message", sender);
    }
    *out = env;
    return 0;
}

static void check_peer_errors(void);
static int world_rank(void);
static void (*idle_hook)(void);

void wire_on_idle(void (*fn)(void)) {
    idle_hook = fn;
}

double wire_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static WireWait current_wait = {-1, 0, ""};

void wire_wait_begin(WireWait *saved, int peer, const char *fmt, ...) {
    *saved = current_wait;
    current_wait.peer = peer;
    current_wait.since = wire_now();
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(current_wait.owed, sizeof current_wait.owed, fmt, ap);
    va_end(ap);
}

void wire_wait_end(const WireWait *saved) {
    current_wait = *saved;
}

void wire_wait_touch(void) {
    current_wait.since = wire_now();
}

const WireWait *wire_current_wait(void) {
    return &current_wait;
}

void wire_idle(int *backoff_us) {
    check_peer_errors();
    if (idle_hook) idle_hook();
    if (*backoff_us < 5) *backoff_us = 5;
    struct timespec ts = {0, (long)*backoff_us * 1000};
    nanosleep(&ts, NULL);
    *backoff_us = *backoff_us * 2 > 1000 ? 1000 : *backoff_us * 2;
}

int wire_isend(Swan__Envelope *env, int dest, int tag, WirePending *p, SwanError *err) {
    size_t len;
    memset(p, 0, sizeof *p);
    p->buf = wire_pack(env, &len);
    if (!p->buf)
        return swan_error_set(err, "out of memory packing %s for rank %d",
                              wire_body_name(env->body_case), dest);
    if (len > (size_t)INT32_MAX) {
        free(p->buf);
        p->buf = NULL;
        return swan_error_set(err, "%s for rank %d is %zu bytes, over MPI's int count",
                              wire_body_name(env->body_case), dest, len);
    }
    MPI_Isend(p->buf, (int)len, MPI_BYTE, dest, tag, MPI_COMM_WORLD, (MPI_Request *)p->request);
    p->request_open = 1;
    return 0;
}

int wire_pending_done(WirePending *p) {
    if (!p->request_open) return 1;
    int done = 0;
    MPI_Test((MPI_Request *)p->request, &done, MPI_STATUS_IGNORE);
    if (!done) return 0;
    p->request_open = 0;
    free(p->buf);
    p->buf = NULL;
    return 1;
}

int wire_send(Swan__Envelope *env, int dest, int tag, SwanError *err) {
    WirePending p;
    const char *name = wire_body_name(env->body_case);
    if (wire_isend(env, dest, tag, &p, err) != 0) return -1;
    WireWait saved;
    wire_wait_begin(&saved, dest, "receiving a%s %s from rank %d", name[0] == 'A' ? "n" : "", name,
                    world_rank());
    int backoff = 0;
    while (!wire_pending_done(&p)) wire_idle(&backoff);
    wire_wait_end(&saved);
    return 0;
}

int wire_poll(int source, int tag, int *src_out, int *tag_out) {
    int flag = 0;
    MPI_Status st;
    MPI_Iprobe(source, tag, MPI_COMM_WORLD, &flag, &st);
    if (flag) {
        if (src_out) *src_out = st.MPI_SOURCE;
        if (tag_out) *tag_out = st.MPI_TAG;
    }
    return flag;
}

void wire_wait(int source, int tag, int *src_out, int *tag_out) {
    int backoff = 0;
    while (!wire_poll(source, tag, src_out, tag_out)) wire_idle(&backoff);
}

int wire_recv(int src, int tag, size_t max_frame, Swan__Envelope **out, SwanError *err) {
    MPI_Status st;
    MPI_Probe(src, tag, MPI_COMM_WORLD, &st);
    int count = 0;
    MPI_Get_count(&st, MPI_BYTE, &count);
    if (count < 0 || (size_t)count > max_frame)
        return swan_error_set(err, "frame of %d bytes from rank %d exceeds the limit of %zu bytes",
                              count, src, max_frame);
    uint8_t *buf = malloc(count ? (size_t)count : 1);
    if (!buf) return swan_error_set(err, "out of memory receiving %d bytes from rank %d", count, src);
    MPI_Recv(buf, count, MPI_BYTE, src, tag, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
    int rc = wire_decode(buf, (size_t)count, max_frame, src, out, err);
    free(buf);
    return rc;
}

void wire_tensor_f32(Swan__Tensor *t, int64_t *shape_storage, int ndim, const int64_t *shape,
                     const float *data) {
    swan__tensor__init(t);
    size_t n = 1;
    for (int i = 0; i < ndim; i++) {
        shape_storage[i] = shape[i];
        n *= (size_t)shape[i];
    }
    t->n_shape = (size_t)ndim;
    t->shape = shape_storage;
    t->dtype = SWAN__DTYPE__DTYPE_F32;
    t->data.len = n * sizeof(float);
    t->data.data = (uint8_t *)data;
}

void wire_tensor_bf16(Swan__Tensor *t, int64_t *shape_storage, int ndim, const int64_t *shape,
                      const float *data, uint8_t *storage) {
    wire_tensor_f32(t, shape_storage, ndim, shape, data);
    size_t n = t->data.len / sizeof(float);
    for (size_t i = 0; i < n; i++) {
        uint16_t h = half_f32_to_bf16(data[i]);
        storage[2 * i] = (uint8_t)(h & 0xff);
        storage[2 * i + 1] = (uint8_t)(h >> 8);
    }
    t->dtype = SWAN__DTYPE__DTYPE_BF16;
    t->data.len = 2 * n;
    t->data.data = storage;
}

int wire_tensor_check(const Swan__Tensor *t, int ndim, const int64_t *shape, int sender,
                      const char *what, SwanError *err) {
    if (!t) return swan_error_set(err, "%s from rank %d is missing", what, sender);
    if (t->dtype != SWAN__DTYPE__DTYPE_F32 && t->dtype != SWAN__DTYPE__DTYPE_BF16)
        return swan_error_set(err, "%s from rank %d has unknown dtype %d", what, sender, (int)t->dtype);
    int shape_ok = t->n_shape == (size_t)ndim;
    size_t n = 1;
    for (int i = 0; shape_ok && i < ndim; i++) {
        shape_ok = t->shape[i] == shape[i];
        n *= (size_t)shape[i];
    }
    if (!shape_ok) {
        char want[96] = "", got[96] = "";
        for (int i = 0; i < ndim; i++)
            snprintf(want + strlen(want), sizeof want - strlen(want), "%s%lld", i ? "," : "",
                     (long long)shape[i]);
        for (size_t i = 0; i < t->n_shape && i < 8; i++)
            snprintf(got + strlen(got), sizeof got - strlen(got), "%s%lld", i ? "," : "",
                     (long long)t->shape[i]);
        return swan_error_set(err, "%s from rank %d has shape [%s], expected [%s]", what, sender, got,
                              want);
    }
    size_t width = t->dtype == SWAN__DTYPE__DTYPE_F32 ? 4 : 2;
    if (t->data.len != n * width)
        return swan_error_set(err, "%s from rank %d carries %zu bytes, its shape needs %zu", what,
                              sender, t->data.len, n * width);
    return 0;
}

void wire_tensor_read(const Swan__Tensor *t, float *dst) {
    size_t n = t->data.len / (t->dtype == SWAN__DTYPE__DTYPE_F32 ? 4 : 2);
    if (n == 0) return; /* a shard may own no row of a chunk: data is NULL then */
    if (t->dtype == SWAN__DTYPE__DTYPE_F32) {
        memcpy(dst, t->data.data, n * sizeof(float));
        return;
    }
    for (size_t i = 0; i < n; i++) dst[i] = half_bf16_to_f32(half_load_le16(t->data.data + 2 * i));
}

static WirePeerErrorFn peer_error_fn;
static void *peer_error_ctx;

void wire_on_peer_error(WirePeerErrorFn fn, void *ctx) {
    peer_error_fn = fn;
    peer_error_ctx = ctx;
}

static int world_rank(void) {
    int rank = 0;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    return rank;
}

/* Rank 0 reports a rank's failure and ends the job. */
static void end_job_for(int rank, const char *host, const char *msg) __attribute__((noreturn));
static void end_job_for(int rank, const char *host, const char *msg) {
    if (peer_error_fn)
        peer_error_fn(peer_error_ctx, rank, host, msg);
    else if (host)
        fprintf(stderr, "swan: error: rank %d (host %s): %s\n", rank, host, msg);
    else
        fprintf(stderr, "swan: error: rank %d: %s\n", rank, msg);
    fflush(stderr);
    MPI_Abort(MPI_COMM_WORLD, 1);
    exit(1);
}

void wire_end_job_silent(int rank, const char *host, double seconds, const char *owed) {
    char msg[512];
    snprintf(msg, sizeof msg, "no answer for %.0f s while %s", seconds, owed);
    end_job_for(rank, host, msg);
}

/* Rank 0 only: an Error waiting from any rank ends the job here. */
static void check_peer_errors(void) {
    int flag = 0;
    MPI_Status st;
    if (!peer_error_fn || world_rank() != 0) return;
    MPI_Iprobe(MPI_ANY_SOURCE, TAG_ERROR, MPI_COMM_WORLD, &flag, &st);
    if (!flag) return;
    char msg[SWAN_ERROR_MAX + 64] = "sent an Error that could not be read";
    Swan__Envelope *env = NULL;
    SwanError err;
    if (wire_recv(st.MPI_SOURCE, TAG_ERROR, WIRE_SETUP_MAX_FRAME, &env, &err) == 0 &&
        env->body_case == SWAN__ENVELOPE__BODY_ERROR && env->error->message)
        snprintf(msg, sizeof msg, "%s", env->error->message);
    if (env) swan__envelope__free_unpacked(env, NULL);
    end_job_for(st.MPI_SOURCE, NULL, msg);
}

/* Seconds a node waits for rank 0 to end the job after telling it why. */
#define WIRE_ERROR_GRACE_SECONDS 5.0

/* A node tells rank 0 why, then gives it time to end the job (which ends
 * this process too); returns only when rank 0 did not. */
static void tell_rank0(int rank, const char *msg) {
    Swan__Error e = SWAN__ERROR__INIT;
    e.rank = rank;
    e.message = (char *)msg;
    Swan__Envelope env = SWAN__ENVELOPE__INIT;
    env.body_case = SWAN__ENVELOPE__BODY_ERROR;
    env.error = &e;
    WirePending p;
    SwanError err;
    if (wire_isend(&env, 0, TAG_ERROR, &p, &err) != 0) return;
    double t0 = wire_now();
    struct timespec step = {0, 10 * 1000 * 1000};
    int sent = 0;
    while (wire_now() - t0 < WIRE_ERROR_GRACE_SECONDS) {
        if (!sent) sent = wire_pending_done(&p);
        nanosleep(&step, NULL);
    }
}

void wire_fatal(const char *msg) {
    int rank = world_rank();
    if (rank == 0) end_job_for(0, NULL, msg);
    tell_rank0(rank, msg);
    fprintf(stderr, "swan: error: rank %d: %s\n", rank, msg);
    fflush(stderr);
    MPI_Abort(MPI_COMM_WORLD, 1);
    exit(1);
}

void wire_fatalf(const char *fmt, ...) {
    char msg[SWAN_ERROR_MAX + 128];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    wire_fatal(msg);
}
