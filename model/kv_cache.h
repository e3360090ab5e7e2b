/* Per-layer K/V cache of one document. Rows are token-major: row j holds
 * the KV heads of position j side by side (width = KV * head_dim floats),
 * which is the layout the QKV GEMM produces, so appending is a row copy and
 * attention reads one head as a strided matrix.
 *
 * Window layers use a ring of at most `window` rows: a position lives in
 * slot pos % cap. The ring grows by doubling up to the window, so a window
 * far larger than the document (2^30 is used to mean "no window") costs only
 * what the document needs.
 *
 * Global layers use fixed-size pages, so memory grows linearly with the
 * document and a page never moves once written. A page holds consecutive
 * positions; an append that does not continue the last page starts a new
 * one, which lets a shard hold a non-contiguous set of positions. */
#ifndef SWAN_KV_CACHE_H
#define SWAN_KV_CACHE_H

#include <stddef.h>

#define KV_PAGE_ROWS 256

/* A run of consecutive positions stored contiguously (row stride ld). */
typedef struct {
    const float *k, *v;
    int ld;
    long pos0, len;
} KvSegment;

typedef struct {
    float *k, *v;
    long pos0, len;
} KvPage;

typedef struct {
    int width;    /* floats per row of K (and of V) */
    long window;  /* > 0: ring of that many positions; 0: paged, keeps all */
    long count;   /* positions appended so far */
    long end_pos; /* one past the last position appended */
    /* ring */
    long cap;
    float *ring_k, *ring_v;
    /* pages */
    KvPage *pages;
    long npages, pages_cap;
} KvCache;

void kv_cache_init(KvCache *c, int width, long window);
void kv_cache_free(KvCache *c);

/* Appends n rows (row stride ld) for positions pos0 .. pos0 + n - 1.
 * Returns -1 on allocation failure (the cache is left as it was). */
int kv_cache_append(KvCache *c, const float *k, const float *v, int ld, long pos0, int n);

/* The stored positions as contiguous segments, oldest first. */
long kv_cache_nsegments(const KvCache *c);
KvSegment kv_cache_segment(const KvCache *c, long i);

/* Bytes allocated for K and V. */
size_t kv_cache_bytes(const KvCache *c);

#endif
