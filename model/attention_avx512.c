/* Flash-style attention of one query tile on AVX-512. The tile's queries
 * are transposed once (head_dim x rows); then, key tile by key tile, the
 * scores are computed transposed (keys x query rows) by register tiles, so
 * the online softmax runs down the columns with sixteen query rows to a
 * vector, and the weights it leaves in place are read directly by the
 * product with V, whose rows are used where the cache keeps them. Only the
 * key tile is copied (rows to a fixed stride, to keep the score tiles'
 * operand addresses constant).
 *
 * In the fast mode (--compute bf16) the scores take pairs of bf16 and
 * vdpbf16ps: queries and keys are rounded as they are packed. Each score
 * then depends only on its query and key, so results stay independent of
 * how keys are tiled or sharded; the weights, which are relative to a
 * running maximum that tiling does change, meet V in f32. */
#include "attention_avx512.h"

#include <math.h>

#include "simd.h"
#include "simd_gemm.h"

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include "avx512_kernels.h"

/* Where a query tile's working set lies in the scratch it is given. In the
 * bf16 mode qt and keys hold 32-bit words, pairs of bf16 along head_dim. */
typedef struct {
    int rows, rows_pad; /* query rows; rounded up to NR */
    int hd, key_stride; /* head_dim; words between packed key rows */
    int score_stride;   /* words between rows of the transposed scores */
    float *qt;          /* [hd][rows_pad] */
    float *keys;        /* [ATTN_KTILE + MR][key_stride] */
    float *scores;      /* [ATTN_KTILE + 1][score_stride] */
} TileSpace;

static size_t tile_space_floats(int rows, int hd, TileSpace *t) {
    t->rows = rows;
    t->rows_pad = (rows + NR - 1) / NR * NR;
    t->hd = hd;
    t->key_stride = (hd + 15) / 16 * 16 + 16;
    t->score_stride = t->rows_pad + 16; /* the PV tiles read up to MR - 1 past a row */
    return (size_t)hd * t->rows_pad + (size_t)(ATTN_KTILE + MR) * t->key_stride +
           (size_t)(ATTN_KTILE + 1) * t->score_stride;
}

static void tile_space_place(TileSpace *t, float *scratch) {
    t->qt = scratch;
    t->keys = t->qt + (size_t)t->hd * t->rows_pad;
    t->scores = t->keys + (size_t)(ATTN_KTILE + MR) * t->key_stride;
}

/* qt[d][r] = q[r][d], zeros past the tile's rows. */
TARGET static void transpose_queries(const TileSpace *t, const float *q) {
    for (int r0 = 0; r0 < t->rows_pad; r0 += 16)
        for (int d0 = 0; d0 < t->hd; d0 += 16) {
            __m512i v[16];
            for (int i = 0; i < 16; i++)
                v[i] = r0 + i < t->rows ? _mm512_castps_si512(
                                              _mm512_maskz_loadu_ps(mask16(t->hd - d0),
                                                                    q + (size_t)(r0 + i) * t->hd + d0))
                                        : _mm512_setzero_si512();
            transpose16(v);
            for (int j = 0; j < 16 && d0 + j < t->hd; j++)
                _mm512_storeu_si512(t->qt + (size_t)(d0 + j) * t->rows_pad + r0, v[j]);
        }
}

/* The key tile's rows at key_stride, zero rows up to a multiple of MR. */
TARGET static void copy_keys(const TileSpace *t, const float *k, int ld, int kn) {
    for (int j = 0; j < (kn + MR - 1) / MR * MR; j++)
        for (int d0 = 0; d0 < t->hd; d0 += 16) {
            __mmask16 m = mask16(t->hd - d0);
            __m512 v = j < kn ? _mm512_maskz_loadu_ps(m, k + (size_t)j * ld + d0) : _mm512_setzero_ps();
            _mm512_mask_storeu_ps(t->keys + (size_t)j * t->key_stride + d0, m, v);
        }
}

/* scores[j][r] = k_j . q_r for the kn keys and all padded rows. */
TARGET static void transposed_scores(const TileSpace *t, int kn) {
    for (int j0 = 0; j0 < kn; j0 += MR)
        for (int r0 = 0; r0 < t->rows_pad; r0 += NR)
            tile_f32(t->hd, t->keys + (size_t)j0 * t->key_stride, (size_t)t->key_stride, 1, t->qt + r0,
                     (size_t)t->rows_pad, t->scores + (size_t)j0 * t->score_stride + r0,
                     (size_t)t->score_stride, kn - j0 < MR ? kn - j0 : MR, NR, 0);
}

static void fill(float *s, long from, long to, float v) {
    for (long i = from; i < to; i++) s[i] = v;
}

/* Key j is seen by the queries at positions [j, j + window - 1] (to the end
 * without a window): one run of query rows per key row, the rest masked. */
static void mask_scores(const TileSpace *t, int kn, int grp, long qpos0, long kpos0, long window) {
    for (int j = 0; j < kn; j++) {
        long key = kpos0 + j, first = (key - qpos0) * grp;
        long end = window ? (key + window - qpos0) * grp : t->rows;
        first = first < 0 ? 0 : first > t->rows ? t->rows : first;
        end = end < first ? first : end > t->rows ? t->rows : end;
        float *row = t->scores + (size_t)j * t->score_stride;
        fill(row, 0, first, -INFINITY);
        fill(row, end, t->rows, -INFINITY);
    }
}

/* Online softmax down the columns of sixteen query rows at a time: the
 * scores become weights relative to the new row max, the rows' sums and
 * maxima move on, and what the rows had accumulated is rescaled. */
TARGET static void softmax_columns(const TileSpace *t, AttnAcc *a, int row0, int kn) {
    for (int r0 = 0; r0 < t->rows; r0 += 16) {
        __mmask16 m = mask16(t->rows - r0);
        float *col = t->scores + r0;
        __m512 top = _mm512_set1_ps(-INFINITY);
        for (int j = 0; j < kn; j++)
            top = _mm512_max_ps(top, _mm512_loadu_ps(col + (size_t)j * t->score_stride));
        __m512 m_old = _mm512_mask_loadu_ps(_mm512_set1_ps(-INFINITY), m, a->m + row0 + r0);
        __m512 m_new = _mm512_max_ps(m_old, top);
        /* rows that have seen no key yet shift by 0: exp(-inf - 0) = 0, not NaN */
        __mmask16 seen = _mm512_cmp_ps_mask(m_new, _mm512_set1_ps(-INFINITY), _CMP_NEQ_OQ);
        __m512 shift = _mm512_maskz_mov_ps(seen, m_new), sum = _mm512_setzero_ps();
        for (int j = 0; j < kn; j++) {
            float *s = col + (size_t)j * t->score_stride;
            __m512 e = exp512(_mm512_sub_ps(_mm512_loadu_ps(s), shift));
            _mm512_storeu_ps(s, e);
            sum = _mm512_add_ps(sum, e);
        }
        __m512 rescale = exp512(_mm512_sub_ps(m_old, shift));
        __m512 l = _mm512_maskz_loadu_ps(m, a->l + row0 + r0);
        _mm512_mask_storeu_ps(a->l + row0 + r0, m, _mm512_fmadd_ps(l, rescale, sum));
        _mm512_mask_storeu_ps(a->m + row0 + r0, m, m_new);
        float scale[16];
        _mm512_storeu_ps(scale, rescale);
        for (int i = 0; i < 16 && r0 + i < t->rows; i++) {
            if (scale[i] == 1.0f) continue;
            float *o = a->o + (size_t)(row0 + r0 + i) * t->hd;
            __m512 sc = _mm512_set1_ps(scale[i]);
            for (int d = 0; d < t->hd; d += 16)
                _mm512_mask_storeu_ps(o + d, mask16(t->hd - d),
                                      _mm512_mul_ps(sc,
                                                    _mm512_maskz_loadu_ps(mask16(t->hd - d), o + d)));
        }
    }
}

/* o[r] += sum_j weights[j][r] v_j: the weights read down their columns. */
TARGET static void add_weighted_values(const TileSpace *t, AttnAcc *a, int row0, const float *v, int ld,
                                       int kn) {
    for (int r0 = 0; r0 < t->rows; r0 += MR)
        for (int d0 = 0; d0 < t->hd; d0 += NR)
            tile_f32(kn, t->scores + r0, 1, (size_t)t->score_stride, v + d0, (size_t)ld,
                     a->o + (size_t)(row0 + r0) * t->hd + d0, (size_t)t->hd,
                     t->rows - r0 < MR ? t->rows - r0 : MR, t->hd - d0, 1);
}

/* ---- the bf16 scores ---- */

/* qt[d / 2][r]: q[r][d] and q[r][d + 1] as a pair, zeros past the rows. */
TARGET_BF16 static void transpose_queries_bf16(const TileSpace *t, const float *q) {
    uint32_t *qt = (uint32_t *)t->qt;
    int pairs = (t->hd + 1) / 2;
    for (int r0 = 0; r0 < t->rows_pad; r0 += 16)
        for (int p0 = 0; p0 < pairs; p0 += 16) {
            __m512i v[16];
            for (int i = 0; i < 16; i++)
                v[i] = r0 + i < t->rows
                           ? load32_bf16(MAT_F32, (const unsigned char *)(q + (size_t)(r0 + i) * t->hd),
                                         2 * p0, t->hd - 2 * p0)
                           : _mm512_setzero_si512();
            transpose16(v);
            for (int j = 0; j < 16 && p0 + j < pairs; j++)
                _mm512_storeu_si512(qt + (size_t)(p0 + j) * t->rows_pad + r0, v[j]);
        }
}

/* The key tile's rows as pairs of bf16, zero rows up to a multiple of MR. */
TARGET_BF16 static void copy_keys_bf16(const TileSpace *t, const float *k, int ld, int kn) {
    uint32_t *keys = (uint32_t *)t->keys;
    int pairs = (t->hd + 1) / 2;
    for (int j = 0; j < (kn + MR - 1) / MR * MR; j++)
        for (int p0 = 0; p0 < pairs; p0 += 16) {
            __m512i v = j < kn ? load32_bf16(MAT_F32, (const unsigned char *)(k + (size_t)j * ld),
                                             2 * p0, t->hd - 2 * p0)
                               : _mm512_setzero_si512();
            _mm512_mask_storeu_epi32(keys + (size_t)j * t->key_stride + p0, mask16(pairs - p0), v);
        }
}

TARGET_BF16 static void transposed_scores_bf16(const TileSpace *t, int kn) {
    const uint32_t *keys = (const uint32_t *)t->keys, *qt = (const uint32_t *)t->qt;
    for (int j0 = 0; j0 < kn; j0 += MR)
        for (int r0 = 0; r0 < t->rows_pad; r0 += NR)
            tile_bf16((t->hd + 1) / 2, keys + (size_t)j0 * t->key_stride, (size_t)t->key_stride, 1,
                      qt + r0, (size_t)t->rows_pad, t->scores + (size_t)j0 * t->score_stride + r0,
                      (size_t)t->score_stride, kn - j0 < MR ? kn - j0 : MR, NR, 0);
}

/* ---- one query tile ---- */

static int attend_query_tile(AttnAcc *a, const AttnQueries *q, const KvSegment *seg, int t0, int nt,
                             long lo, long hi, float *scratch, size_t scratch_floats, int bf16) {
    TileSpace t;
    if (tile_space_floats(nt * q->grp, q->head_dim, &t) > scratch_floats) return -1;
    tile_space_place(&t, scratch);
    int row0 = t0 * q->grp;
    long pa = q->pos0 + t0, pb = pa + nt - 1;
    (bf16 ? transpose_queries_bf16 : transpose_queries)(&t, q->q + (size_t)row0 * t.hd);
    for (long j0 = lo; j0 <= hi; j0 += ATTN_KTILE) {
        int kn = (int)(hi - j0 + 1 < ATTN_KTILE ? hi - j0 + 1 : ATTN_KTILE);
        const float *k = seg->k + (size_t)(j0 - seg->pos0) * seg->ld;
        const float *v = seg->v + (size_t)(j0 - seg->pos0) * seg->ld;
        (bf16 ? copy_keys_bf16 : copy_keys)(&t, k, seg->ld, kn);
        (bf16 ? transposed_scores_bf16 : transposed_scores)(&t, kn);
        long last = j0 + kn - 1;
        if (!(last <= pa && (q->window == 0 || j0 > pb - q->window)))
            mask_scores(&t, kn, q->grp, pa, j0, q->window);
        softmax_columns(&t, a, row0, kn);
        add_weighted_values(&t, a, row0, v, seg->ld, kn);
    }
    return 0;
}

static int attend_query_tile_f32(AttnAcc *a, const AttnQueries *q, const KvSegment *seg, int t0, int nt,
                                 long lo, long hi, float *scratch, size_t scratch_floats) {
    return attend_query_tile(a, q, seg, t0, nt, lo, hi, scratch, scratch_floats, 0);
}

static int attend_query_tile_bf16(AttnAcc *a, const AttnQueries *q, const KvSegment *seg, int t0,
                                  int nt, long lo, long hi, float *scratch, size_t scratch_floats) {
    return attend_query_tile(a, q, seg, t0, nt, lo, hi, scratch, scratch_floats, 1);
}

AttnQueryTile attn_query_tile_avx512(int bf16) {
    if (!simd_avx512()) return NULL;
    if (!bf16) return attend_query_tile_f32;
    return simd_gemm_avx512_bf16() ? attend_query_tile_bf16 : NULL;
}

#else

AttnQueryTile attn_query_tile_avx512(int bf16) {
    (void)bf16;
    return NULL;
}

#endif
