/* Blocked online-softmax attention and the K/V caches, against a naive
 * double-precision softmax attention written out in full: the fused AVX-512
 * kernel where the CPU has it, and (SWAN_SIMD=portable) the sgemm tiles. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "attention.h"
#include "check.h"
#include "kv_cache.h"

static unsigned rng = 12345;
static float frand(void) {
    rng = rng * 1103515245u + 12345u;
    return ((rng >> 8) & 0xFFFF) / 32768.0f - 1.0f;
}

/* out[t][i][:] for queries q[t*grp+i], keys at positions 0..nkeys-1. */
static void naive_attention(const float *q, int ntok, int grp, int hd, long pos0, const float *k,
                            const float *v, int ld, long nkeys, long window, double *out) {
    double *w = malloc(sizeof(double) * (size_t)nkeys);
    for (int t = 0; t < ntok; t++)
        for (int i = 0; i < grp; i++) {
            const float *qr = q + ((size_t)t * grp + i) * hd;
            long p = pos0 + t;
            double mx = -INFINITY, sum = 0.0;
            for (long j = 0; j < nkeys; j++) {
                int vis = j <= p && (window == 0 || j > p - window);
                double s = 0.0;
                for (int c = 0; c < hd; c++) s += (double)qr[c] * k[j * ld + c];
                w[j] = vis ? s : -INFINITY;
                if (w[j] > mx) mx = w[j];
            }
            for (long j = 0; j < nkeys; j++) sum += w[j] = exp(w[j] - mx);
            double *o = out + ((size_t)t * grp + i) * hd;
            for (int c = 0; c < hd; c++) {
                double acc = 0.0;
                for (long j = 0; j < nkeys; j++) acc += w[j] * v[j * ld + c];
                o[c] = acc / sum;
            }
        }
    free(w);
}

/* Queries for positions pos0.. over keys 0..pos0+ntok-1 split into segments
 * of seg_len, accumulated in one state or merged from two. */
static void check_blocked(int ntok, int grp, int hd, long pos0, long window, long seg_len, int merge) {
    long nkeys = pos0 + ntok;
    int ld = hd + 3; /* a stride wider than one head, as in the QKV buffer */
    float *q = malloc(sizeof(float) * (size_t)ntok * grp * hd);
    float *k = malloc(sizeof(float) * (size_t)nkeys * ld),
          *v = malloc(sizeof(float) * (size_t)nkeys * ld);
    for (long i = 0; i < (long)ntok * grp * hd; i++) q[i] = 2.0f * frand();
    for (long i = 0; i < nkeys * ld; i++) k[i] = frand(), v[i] = frand();
    double *want = malloc(sizeof(double) * (size_t)ntok * grp * hd);
    naive_attention(q, ntok, grp, hd, pos0, k, v, ld, nkeys, window, want);

    AttnAcc a, b;
    attn_acc_init(&a, ntok * grp, hd);
    attn_acc_init(&b, ntok * grp, hd);
    attn_acc_reset(&a, ntok * grp);
    attn_acc_reset(&b, ntok * grp);
    float *scratch = malloc(sizeof(float) * attn_scratch_floats(grp));
    AttnQueries qs = {q, ntok, grp, hd, pos0, window};
    long nseg = 0;
    for (long s0 = 0; s0 < nkeys; s0 += seg_len, nseg++) {
        long len = nkeys - s0 < seg_len ? nkeys - s0 : seg_len;
        KvSegment seg = {k + s0 * ld, v + s0 * ld, ld, s0, len};
        /* with merge, odd segments go to a second state, like another shard */
        attn_accumulate(merge && nseg % 2 ? &b : &a, &qs, &seg, scratch);
    }
    if (merge) attn_merge(&a, &b, ntok * grp);
    float *got = malloc(sizeof(float) * (size_t)ntok * grp * hd);
    attn_finish(&a, ntok, grp, got, grp * hd);
    double worst = 0.0;
    for (long i = 0; i < (long)ntok * grp * hd; i++) {
        double d = fabs(got[i] - want[i]);
        if (d > worst) worst = d;
    }
    CHECK(worst < 2e-5, "ntok %d grp %d hd %d pos0 %ld window %ld seg %ld merge %d: max diff %g", ntok,
          grp, hd, pos0, window, seg_len, merge, worst);
    attn_acc_free(&a);
    attn_acc_free(&b);
    free(q), free(k), free(v), free(want), free(got), free(scratch);
}

static void test_blocked_attention(void) {
    long windows[] = {0, 1, 7, 300, 1L << 30};
    for (size_t w = 0; w < sizeof windows / sizeof *windows; w++) {
        check_blocked(1, 1, 8, 0, windows[w], 64, 0);
        check_blocked(5, 4, 16, 0, windows[w], 3, 0);
        check_blocked(200, 2, 8, 37, windows[w], 1000, 0);
        check_blocked(130, 3, 6, 600, windows[w], 257, 1);
        check_blocked(1, 4, 32, 900, windows[w], 100, 1);
        /* the head sizes of real models, and sizes off every vector width */
        check_blocked(100, 3, 64, 50, windows[w], 700, 0);
        check_blocked(45, 2, 72, 10, windows[w], 300, 1);
        check_blocked(33, 4, 128, 5, windows[w], 520, 0);
    }
}

/* Appends positions 0..n-1 in chunks and checks the segments hold exactly
 * the expected positions with the right rows. */
static void check_cache(long window, long n, int chunk) {
    int width = 4;
    KvCache c;
    kv_cache_init(&c, width, window);
    float *rows = malloc(sizeof(float) * (size_t)chunk * width);
    for (long p0 = 0; p0 < n; p0 += chunk) {
        int m = n - p0 < chunk ? (int)(n - p0) : chunk;
        for (int r = 0; r < m; r++)
            for (int i = 0; i < width; i++) rows[r * width + i] = (float)(p0 + r) + i * 0.25f;
        CHECK(kv_cache_append(&c, rows, rows, width, p0, m) == 0, "append");
    }
    long expect_first = window && n > window ? n - window : 0, next = expect_first, bad = 0;
    for (long s = 0; s < kv_cache_nsegments(&c); s++) {
        KvSegment seg = kv_cache_segment(&c, s);
        if (seg.pos0 != next) bad++;
        for (long j = 0; j < seg.len; j++)
            if (seg.k[j * seg.ld + 1] != (float)(seg.pos0 + j) + 0.25f) bad++;
        next = seg.pos0 + seg.len;
    }
    CHECK(bad == 0 && next == n, "window %ld n %ld chunk %d: %ld bad rows, ends at %ld", window, n,
          chunk, bad, next);
    if (window) {
        long cap = window < n ? window : n;
        CHECK(kv_cache_bytes(&c) <= 2 * sizeof(float) * width * (size_t)(2 * cap > 64 ? 2 * cap : 64),
              "ring of window %ld holds %zu bytes for %ld positions", window, kv_cache_bytes(&c), n);
    }
    free(rows);
    kv_cache_free(&c);
}

static void test_caches(void) {
    check_cache(7, 100, 3);
    check_cache(7, 100, 50);
    check_cache(1, 10, 1);
    check_cache(128, 1000, 512);
    check_cache(1L << 30, 1000, 100); /* huge window: grows with the document */
    check_cache(0, 1000, 37);
    check_cache(0, 256, 256);
    KvCache big;
    kv_cache_init(&big, 8, 1L << 30);
    float row[8] = {0};
    kv_cache_append(&big, row, row, 8, 0, 1);
    CHECK(kv_cache_bytes(&big) <= 4096, "window 2^30 allocated %zu bytes for one position",
          kv_cache_bytes(&big));
    kv_cache_free(&big);
}

int main(void) {
    test_blocked_attention();
    test_caches();
    return check_summary();
}
