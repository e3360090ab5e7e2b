#include "attention.h"

#include <cblas.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "attention_avx512.h"
#include "matrix.h"
#include "simd.h"
#include "simd_gemm.h"

int attn_acc_init(AttnAcc *a, int rows, int head_dim) {
    a->rows = rows;
    a->head_dim = head_dim;
    a->o = malloc(sizeof(float) * (size_t)rows * head_dim);
    a->m = malloc(sizeof(float) * (size_t)rows);
    a->l = malloc(sizeof(float) * (size_t)rows);
    if (!a->o || !a->m || !a->l) {
        attn_acc_free(a);
        return -1;
    }
    return 0;
}

void attn_acc_free(AttnAcc *a) {
    free(a->o);
    free(a->m);
    free(a->l);
    a->o = a->m = a->l = NULL;
}

void attn_acc_reset(AttnAcc *a, int rows) {
    memset(a->o, 0, sizeof(float) * (size_t)rows * a->head_dim);
    for (int r = 0; r < rows; r++) {
        a->m[r] = -INFINITY;
        a->l[r] = 0.0f;
    }
}

static int query_tile_tokens(int grp) {
    int t = ATTN_QROWS / grp;
    return t > 0 ? t : 1;
}

static size_t score_floats(int grp) {
    return (size_t)query_tile_tokens(grp) * grp * ATTN_KTILE;
}

/* The score tile, then room for the GEMM kernel to pack its operands. */
size_t attn_scratch_floats(int grp) {
    return score_floats(grp) + SIMD_GEMM_PACK_BYTES / sizeof(float);
}

/* Masks one score tile in place; rows are tokens t0.. of the query block.
 * The query at position p sees keys [p - window + 1, p] (from 0 without a
 * window): one run of columns per row, the rest masked. */
static void mask_tile(float *s, int rows, int kn, int grp, long qpos0, long kpos0, long window) {
    for (int r = 0; r < rows; r++) {
        long p = qpos0 + r / grp;
        long first = window ? p - window + 1 - kpos0 : 0, end = p + 1 - kpos0;
        first = first < 0 ? 0 : first > kn ? kn : first;
        end = end < first ? first : end > kn ? kn : end;
        float *sr = s + (size_t)r * kn;
        for (long c = 0; c < first; c++) sr[c] = -INFINITY;
        for (long c = end; c < kn; c++) sr[c] = -INFINITY;
    }
}

/* Online softmax step: turns scores into weights relative to the new row
 * max and rescales what the row had accumulated so far. */
static void softmax_update(AttnAcc *a, int row0, float *s, int rows, int kn) {
    int hd = a->head_dim;
    for (int r = 0; r < rows; r++) {
        float *sr = s + (size_t)r * kn;
        float tile_max = -INFINITY;
        for (int c = 0; c < kn; c++) tile_max = sr[c] > tile_max ? sr[c] : tile_max;
        float m_old = a->m[row0 + r];
        float m_new = tile_max > m_old ? tile_max : m_old;
        if (m_new == -INFINITY) { /* nothing visible yet in this row */
            memset(sr, 0, sizeof(float) * (size_t)kn);
            continue;
        }
        float rescale = expf(m_old - m_new);
        float sum = simd_kernels()->exp_sum(sr, kn, m_new);
        if (rescale != 1.0f) {
            float *orow = a->o + (size_t)(row0 + r) * hd;
            for (int i = 0; i < hd; i++) orow[i] *= rescale;
        }
        a->l[row0 + r] = a->l[row0 + r] * rescale + sum;
        a->m[row0 + r] = m_new;
    }
}

/* c (+)= a b^T (b_by_k: a b) through the engine's GEMM kernel, or sgemm. */
static void tile_product(SimdGemmF32 gemm, const GemmF32 *g, float *pack) {
    if (gemm) {
        gemm(g, pack);
        return;
    }
    cblas_sgemm(CblasRowMajor, CblasNoTrans, g->b_by_k ? CblasNoTrans : CblasTrans, g->m, g->n, g->k,
                1.0f, g->a, g->lda, g->b, g->ldb, g->accumulate ? 1.0f : 0.0f, g->c, g->ldc);
}

static void attend_tile(AttnAcc *a, const AttnQueries *q, const KvSegment *seg, int t0, int nt, long j0,
                        int kn, float *s) {
    int grp = q->grp, hd = q->head_dim, rows = nt * grp;
    long pa = q->pos0 + t0, pb = pa + nt - 1;
    SimdGemmF32 gemm = matmul_f32_kernel();
    float *pack = s + score_floats(grp);
    const float *qt = q->q + (size_t)t0 * grp * hd;
    const float *kt = seg->k + (size_t)(j0 - seg->pos0) * seg->ld;
    const float *vt = seg->v + (size_t)(j0 - seg->pos0) * seg->ld;
    if (rows <= ATTN_GEMV_ROWS) /* decode: no packing for a product this small */
        for (int r = 0; r < rows; r++)
            cblas_sgemv(CblasRowMajor, CblasNoTrans, kn, hd, 1.0f, kt, seg->ld, qt + (size_t)r * hd, 1,
                        0.0f, s + (size_t)r * kn, 1);
    else
        tile_product(gemm,
                     &(GemmF32){.a = qt,
                                .lda = hd,
                                .b = kt,
                                .ldb = seg->ld,
                                .c = s,
                                .ldc = kn,
                                .m = rows,
                                .n = kn,
                                .k = hd},
                     pack);
    long jl = j0 + kn - 1;
    int whole = jl <= pa && (q->window == 0 || j0 > pb - q->window);
    if (!whole) mask_tile(s, rows, kn, grp, pa, j0, q->window);
    softmax_update(a, t0 * grp, s, rows, kn);
    float *o = a->o + (size_t)t0 * grp * hd;
    if (rows <= ATTN_GEMV_ROWS)
        for (int r = 0; r < rows; r++)
            cblas_sgemv(CblasRowMajor, CblasTrans, kn, hd, 1.0f, vt, seg->ld, s + (size_t)r * kn, 1,
                        1.0f, o + (size_t)r * hd, 1);
    else
        tile_product(gemm,
                     &(GemmF32){.a = s,
                                .lda = kn,
                                .b = vt,
                                .ldb = seg->ld,
                                .b_by_k = 1,
                                .c = o,
                                .ldc = hd,
                                .m = rows,
                                .n = hd,
                                .k = kn,
                                .accumulate = 1},
                     pack);
}

void attn_accumulate(AttnAcc *a, const AttnQueries *q, const KvSegment *seg, float *scratch) {
    int tile = query_tile_tokens(q->grp);
    AttnQueryTile fused = matmul_f32_kernel() ? attn_query_tile_avx512(matmul_compute() == COMPUTE_BF16)
                                              : NULL;
    for (int t0 = 0; t0 < q->ntok; t0 += tile) {
        int nt = q->ntok - t0 < tile ? q->ntok - t0 : tile;
        long pa = q->pos0 + t0, pb = pa + nt - 1;
        /* Keys any query of this tile can see, clipped to the segment. */
        long lo = q->window ? pa - q->window + 1 : seg->pos0;
        long hi = pb;
        if (lo < seg->pos0) lo = seg->pos0;
        if (hi > seg->pos0 + seg->len - 1) hi = seg->pos0 + seg->len - 1;
        if (fused && nt * q->grp > ATTN_GEMV_ROWS &&
            fused(a, q, seg, t0, nt, lo, hi, scratch + score_floats(q->grp),
                  SIMD_GEMM_PACK_BYTES / sizeof(float)) == 0)
            continue;
        for (long j0 = lo; j0 <= hi; j0 += ATTN_KTILE) {
            int kn = (int)(hi - j0 + 1 < ATTN_KTILE ? hi - j0 + 1 : ATTN_KTILE);
            attend_tile(a, q, seg, t0, nt, j0, kn, scratch);
        }
    }
}

void attn_cache_partial(AttnAcc *acc, const float *q, int kv_heads, int ntok, int grp, long pos0,
                        long window, const KvCache *cache, float *scratch) {
    int hd = acc->head_dim;
    size_t rows = (size_t)ntok * grp;
    attn_acc_reset(acc, (int)(rows * kv_heads));
    long nseg = kv_cache_nsegments(cache);
    for (int g = 0; g < kv_heads; g++) {
        /* a view of group g's rows inside the shared state */
        AttnAcc view = {(int)rows, hd, acc->o + g * rows * hd, acc->m + g * rows, acc->l + g * rows};
        AttnQueries qs = {q + g * rows * hd, ntok, grp, hd, pos0, window};
        for (long s = 0; s < nseg; s++) {
            KvSegment seg = kv_cache_segment(cache, s);
            seg.k += (size_t)g * hd;
            seg.v += (size_t)g * hd;
            attn_accumulate(&view, &qs, &seg, scratch);
        }
    }
}

void attn_merge(AttnAcc *dst, const AttnAcc *src, int rows) {
    int hd = dst->head_dim;
    for (int r = 0; r < rows; r++) {
        float m = dst->m[r] > src->m[r] ? dst->m[r] : src->m[r];
        if (m == -INFINITY) continue;
        float ad = expf(dst->m[r] - m), as = expf(src->m[r] - m);
        float *od = dst->o + (size_t)r * hd;
        const float *os = src->o + (size_t)r * hd;
        for (int i = 0; i < hd; i++) od[i] = od[i] * ad + os[i] * as;
        dst->l[r] = dst->l[r] * ad + src->l[r] * as;
        dst->m[r] = m;
    }
}

void attn_finish(const AttnAcc *a, int ntok, int grp, float *out, int row_stride) {
    int hd = a->head_dim;
    for (int t = 0; t < ntok; t++)
        for (int i = 0; i < grp; i++) {
            int r = t * grp + i;
            float inv = a->l[r] > 0.0f ? 1.0f / a->l[r] : 0.0f;
            const float *o = a->o + (size_t)r * hd;
            float *dst = out + (size_t)t * row_stride + (size_t)i * hd;
            for (int k = 0; k < hd; k++) dst[k] = o[k] * inv;
        }
}
