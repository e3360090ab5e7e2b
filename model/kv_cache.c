#include "kv_cache.h"

#include <stdlib.h>
#include <string.h>

void kv_cache_init(KvCache *c, int width, long window) {
    memset(c, 0, sizeof *c);
    c->width = width;
    c->window = window;
}

void kv_cache_free(KvCache *c) {
    free(c->ring_k);
    free(c->ring_v);
    for (long i = 0; i < c->npages; i++) {
        free(c->pages[i].k);
        free(c->pages[i].v);
    }
    free(c->pages);
    memset(c, 0, sizeof *c);
}

static size_t row_bytes(const KvCache *c) {
    return sizeof(float) * (size_t)c->width;
}

/* Before any wrap (count <= cap < window) every position p sits at slot p,
 * and it still does at slot p % new_cap, so growing is a plain copy. */
static int ring_reserve(KvCache *c, long need) {
    if (need <= c->cap || c->cap == c->window) return 0;
    long new_cap = c->cap ? c->cap * 2 : 64;
    if (new_cap < need) new_cap = need;
    if (new_cap > c->window) new_cap = c->window;
    float *k = malloc(row_bytes(c) * (size_t)new_cap);
    float *v = malloc(row_bytes(c) * (size_t)new_cap);
    if (!k || !v) {
        free(k);
        free(v);
        return -1;
    }
    if (c->count) {
        memcpy(k, c->ring_k, row_bytes(c) * (size_t)c->count);
        memcpy(v, c->ring_v, row_bytes(c) * (size_t)c->count);
    }
    free(c->ring_k);
    free(c->ring_v);
    c->ring_k = k;
    c->ring_v = v;
    c->cap = new_cap;
    return 0;
}

static int ring_append(KvCache *c, const float *k, const float *v, int ld, long pos0, int n) {
    /* Only the last `window` rows of a long chunk can ever be seen again. */
    long skip = n > c->window ? n - c->window : 0;
    if (ring_reserve(c, pos0 + n) != 0) return -1;
    for (long r = skip; r < n; r++) {
        long slot = (pos0 + r) % c->cap;
        memcpy(c->ring_k + slot * c->width, k + r * ld, row_bytes(c));
        memcpy(c->ring_v + slot * c->width, v + r * ld, row_bytes(c));
    }
    return 0;
}

static KvPage *new_page(KvCache *c, long pos0) {
    if (c->npages == c->pages_cap) {
        long cap = c->pages_cap ? c->pages_cap * 2 : 8;
        KvPage *p = realloc(c->pages, sizeof *p * (size_t)cap);
        if (!p) return NULL;
        c->pages = p;
        c->pages_cap = cap;
    }
    KvPage *pg = &c->pages[c->npages];
    pg->k = malloc(row_bytes(c) * KV_PAGE_ROWS);
    pg->v = malloc(row_bytes(c) * KV_PAGE_ROWS);
    if (!pg->k || !pg->v) {
        free(pg->k);
        free(pg->v);
        return NULL;
    }
    pg->pos0 = pos0;
    pg->len = 0;
    c->npages++;
    return pg;
}

static int paged_append(KvCache *c, const float *k, const float *v, int ld, long pos0, int n) {
    long first_new = c->npages;
    for (long r = 0; r < n; r++) {
        long pos = pos0 + r;
        KvPage *pg = c->npages ? &c->pages[c->npages - 1] : NULL;
        if (!pg || pg->len == KV_PAGE_ROWS || pg->pos0 + pg->len != pos) {
            pg = new_page(c, pos);
            if (!pg) goto fail;
        }
        memcpy(pg->k + pg->len * c->width, k + r * ld, row_bytes(c));
        memcpy(pg->v + pg->len * c->width, v + r * ld, row_bytes(c));
        pg->len++;
    }
    return 0;
fail:
    /* Pages opened by this call go; rows added to an older page are past
     * its recorded length only if we roll it back too. */
    while (c->npages > first_new) {
        c->npages--;
        free(c->pages[c->npages].k);
        free(c->pages[c->npages].v);
    }
    if (first_new > 0) {
        KvPage *last = &c->pages[first_new - 1];
        if (last->pos0 + last->len > pos0) last->len = pos0 - last->pos0;
    }
    return -1;
}

int kv_cache_append(KvCache *c, const float *k, const float *v, int ld, long pos0, int n) {
    if (n <= 0) return 0;
    int rc = c->window > 0 ? ring_append(c, k, v, ld, pos0, n) : paged_append(c, k, v, ld, pos0, n);
    if (rc == 0) {
        c->count += n;
        c->end_pos = pos0 + n;
    }
    return rc;
}

/* The ring holds positions [end - held, end), at most two runs in memory. */
static long ring_held(const KvCache *c) {
    return c->count < c->cap ? c->count : c->cap;
}

long kv_cache_nsegments(const KvCache *c) {
    if (c->window == 0) return c->npages;
    long held = ring_held(c);
    if (held == 0) return 0;
    long first_slot = (c->end_pos - held) % c->cap;
    return first_slot + held > c->cap ? 2 : 1;
}

KvSegment kv_cache_segment(const KvCache *c, long i) {
    KvSegment s = {0};
    s.ld = c->width;
    if (c->window == 0) {
        const KvPage *pg = &c->pages[i];
        s.k = pg->k;
        s.v = pg->v;
        s.pos0 = pg->pos0;
        s.len = pg->len;
        return s;
    }
    long held = ring_held(c);
    long first_pos = c->end_pos - held;
    long first_slot = first_pos % c->cap;
    long run1 = held < c->cap - first_slot ? held : c->cap - first_slot;
    long slot = i == 0 ? first_slot : 0;
    s.pos0 = i == 0 ? first_pos : first_pos + run1;
    s.len = i == 0 ? run1 : held - run1;
    s.k = c->ring_k + slot * c->width;
    s.v = c->ring_v + slot * c->width;
    return s;
}

size_t kv_cache_bytes(const KvCache *c) {
    size_t rows = c->window > 0 ? (size_t)c->cap : (size_t)c->npages * KV_PAGE_ROWS;
    return 2 * row_bytes(c) * rows;
}
