#include "gguf_writer.h"

#include <stdlib.h>
#include <string.h>

/* Metadata value types of the format. */
enum { KV_UINT32 = 4, KV_INT32 = 5, KV_FLOAT32 = 6, KV_BOOL = 7, KV_STRING = 8, KV_ARRAY = 9 };

static void put(GgufBuf *b, const void *src, size_t n) {
    if (b->oom) return;
    if (b->n + n > b->cap) {
        size_t cap = b->cap ? b->cap : 4096;
        while (cap < b->n + n) cap *= 2;
        unsigned char *grown = realloc(b->p, cap);
        if (!grown) {
            b->oom = 1;
            return;
        }
        b->p = grown;
        b->cap = cap;
    }
    memcpy(b->p + b->n, src, n);
    b->n += n;
}

static void put_u32(GgufBuf *b, uint32_t v) {
    put(b, &v, 4);
}
static void put_u64(GgufBuf *b, uint64_t v) {
    put(b, &v, 8);
}
static void put_string(GgufBuf *b, const char *s) {
    put_u64(b, strlen(s));
    put(b, s, strlen(s));
}

static void key(GgufWriter *g, const char *k, uint32_t type) {
    put_string(&g->kv, k);
    put_u32(&g->kv, type);
    g->n_kv++;
}

void gguf_u32(GgufWriter *g, const char *k, uint32_t v) {
    key(g, k, KV_UINT32);
    put_u32(&g->kv, v);
}

void gguf_f32(GgufWriter *g, const char *k, float v) {
    key(g, k, KV_FLOAT32);
    put(&g->kv, &v, 4);
}

void gguf_bool(GgufWriter *g, const char *k, int v) {
    unsigned char c = v ? 1 : 0;
    key(g, k, KV_BOOL);
    put(&g->kv, &c, 1);
}

void gguf_str(GgufWriter *g, const char *k, const char *v) {
    key(g, k, KV_STRING);
    put_string(&g->kv, v);
}

void gguf_bool_array(GgufWriter *g, const char *k, const unsigned char *v, int n) {
    key(g, k, KV_ARRAY);
    put_u32(&g->kv, KV_BOOL);
    put_u64(&g->kv, (uint64_t)n);
    for (int i = 0; i < n; i++) {
        unsigned char c = v[i] ? 1 : 0;
        put(&g->kv, &c, 1);
    }
}

void gguf_i32_array(GgufWriter *g, const char *k, const int32_t *v, int n) {
    key(g, k, KV_ARRAY);
    put_u32(&g->kv, KV_INT32);
    put_u64(&g->kv, (uint64_t)n);
    for (int i = 0; i < n; i++) put_u32(&g->kv, (uint32_t)v[i]);
}

void gguf_str_array(GgufWriter *g, const char *k, const char *const *v, int n) {
    key(g, k, KV_ARRAY);
    put_u32(&g->kv, KV_STRING);
    put_u64(&g->kv, (uint64_t)n);
    for (int i = 0; i < n; i++) put_string(&g->kv, v[i]);
}

static uint64_t aligned(uint64_t n) {
    return (n + GGUF_ALIGN - 1) / GGUF_ALIGN * GGUF_ALIGN;
}

uint64_t gguf_tensor(GgufWriter *g, const char *name, int ndim, const int64_t *ne, int type) {
    uint64_t bytes = type == GGUF_TYPE_F32 ? 4 : 2;
    put_string(&g->infos, name);
    put_u32(&g->infos, (uint32_t)ndim);
    for (int i = 0; i < ndim; i++) {
        put_u64(&g->infos, (uint64_t)ne[i]);
        bytes *= (uint64_t)ne[i];
    }
    put_u32(&g->infos, (uint32_t)type);
    put_u64(&g->infos, g->data_bytes);
    g->data_bytes += aligned(bytes);
    g->n_tensors++;
    return bytes;
}

int gguf_pad(FILE *f, uint64_t bytes) {
    static const unsigned char zeros[GGUF_ALIGN];
    size_t pad = (size_t)(aligned(bytes) - bytes);
    return fwrite(zeros, 1, pad, f) == pad ? 0 : -1;
}

int gguf_write_head(GgufWriter *g, FILE *f) {
    if (g->kv.oom || g->infos.oom) return -1;
    GgufBuf head = {0};
    put(&head, "GGUF", 4);
    put_u32(&head, 3);
    put_u64(&head, g->n_tensors);
    put_u64(&head, g->n_kv);
    int rc = head.oom || fwrite(head.p, 1, head.n, f) != head.n ||
                     fwrite(g->kv.p, 1, g->kv.n, f) != g->kv.n ||
                     fwrite(g->infos.p, 1, g->infos.n, f) != g->infos.n ||
                     gguf_pad(f, head.n + g->kv.n + g->infos.n) != 0
                 ? -1
                 : 0;
    free(head.p);
    return rc;
}

void gguf_writer_free(GgufWriter *g) {
    free(g->kv.p);
    free(g->infos.p);
    memset(g, 0, sizeof *g);
}
