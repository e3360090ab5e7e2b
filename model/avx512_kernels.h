/* The AVX-512 pieces the GEMM and attention kernels share: masks for row
 * tails, a 16 x 16 register transpose, the register tile (an MR x NR block
 * of outputs kept in 24 registers) and a vector exp. Included only by the
 * files that compile them for AVX-512 (function by function, with target
 * attributes, so the rest of the build needs no AVX-512 flags). */
#ifndef SWAN_AVX512_KERNELS_H
#define SWAN_AVX512_KERNELS_H

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>
#include <stddef.h>
#include <stdint.h>

#include "simd.h"

#define TARGET __attribute__((target("avx512f,avx512bw,avx512vl,f16c,fma")))
#define TARGET_BF16 __attribute__((target("avx512f,avx512bw,avx512vl,avx512bf16,f16c,fma")))
#define INLINE TARGET static inline __attribute__((always_inline))

#define MR 12 /* rows of a register tile */
#define NR 32 /* columns of a register tile: two vectors */

static inline __mmask16 mask16(int count) {
    return count >= 16 ? (__mmask16)0xffff : (__mmask16)((1u << (count > 0 ? count : 0)) - 1);
}

static inline __mmask32 mask32(int count) {
    return count >= 32 ? (__mmask32)0xffffffffu : (__mmask32)((1u << (count > 0 ? count : 0)) - 1);
}

/* r[i][j] <- r[j][i] for 16 vectors of 16 32-bit words. */
INLINE void transpose16(__m512i r[16]) {
    __m512i t[16];
    for (int i = 0; i < 16; i += 2) {
        t[i] = _mm512_unpacklo_epi32(r[i], r[i + 1]);
        t[i + 1] = _mm512_unpackhi_epi32(r[i], r[i + 1]);
    }
    for (int i = 0; i < 16; i += 4) {
        r[i] = _mm512_unpacklo_epi64(t[i], t[i + 2]);
        r[i + 1] = _mm512_unpackhi_epi64(t[i], t[i + 2]);
        r[i + 2] = _mm512_unpacklo_epi64(t[i + 1], t[i + 3]);
        r[i + 3] = _mm512_unpackhi_epi64(t[i + 1], t[i + 3]);
    }
    for (int i = 0; i < 4; i++) {
        t[i] = _mm512_shuffle_i32x4(r[i], r[i + 4], 0x88);
        t[i + 4] = _mm512_shuffle_i32x4(r[i], r[i + 4], 0xdd);
        t[i + 8] = _mm512_shuffle_i32x4(r[i + 8], r[i + 12], 0x88);
        t[i + 12] = _mm512_shuffle_i32x4(r[i + 8], r[i + 12], 0xdd);
    }
    for (int i = 0; i < 8; i++) {
        r[i] = _mm512_shuffle_i32x4(t[i], t[i + 8], 0x88);
        r[i + 8] = _mm512_shuffle_i32x4(t[i], t[i + 8], 0xdd);
    }
}

/* 16 weights of a row from column k on as f32, zeros past `left`. */
TARGET static inline __attribute__((always_inline)) __m512
load16_f32(MatDtype d, const unsigned char *row, int k, int left) {
    __mmask16 m = mask16(left);
    if (d == MAT_F32) return _mm512_maskz_loadu_ps(m, row + 4 * (size_t)k);
    __m256i h = _mm256_maskz_loadu_epi16(m, row + 2 * (size_t)k);
    if (d == MAT_F16) return _mm512_cvtph_ps(h);
    return _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(h), 16));
}

/* Adds (or, for the first block of the shared dimension, stores) a tile.
 * The loop runs over all MR rows so the compiler unrolls it and the
 * accumulators stay in registers (a loop to `rows` would index them). */
#define STORE_TILE(acc, c, ldc, rows, cols, accumulate)                     \
    do {                                                                    \
        __mmask16 m0 = mask16(cols), m1 = mask16((cols)-16);                \
        _Pragma("GCC unroll 12") for (int i = 0; i < MR; i++) {             \
            if (i >= (rows)) break;                                         \
            float *ci = (c) + (size_t)i * (ldc);                            \
            __m512 v0 = acc[i][0], v1 = acc[i][1];                          \
            if (accumulate) {                                               \
                v0 = _mm512_add_ps(v0, _mm512_maskz_loadu_ps(m0, ci));      \
                v1 = _mm512_add_ps(v1, _mm512_maskz_loadu_ps(m1, ci + 16)); \
            }                                                               \
            _mm512_mask_storeu_ps(ci, m0, v0);                              \
            _mm512_mask_storeu_ps(ci + 16, m1, v1);                         \
        }                                                                   \
    } while (0)

/* An MR x NR tile: c (+)= sum over k < kb of a[i][k] b[k][j], where a[i][k]
 * is at a + i * a_row + k * a_k (one of the two is 1 in practice, and the
 * other a constant the compiler sees) and b's rows are ldb apart, read only
 * in their first `cols` columns. Rows past `rows` are computed but not
 * stored; columns past `cols` are neither read nor stored. */
INLINE void tile_f32(int kb, const float *a, size_t a_row, size_t a_k, const float *b, size_t ldb,
                     float *c, size_t ldc, int rows, int cols, int accumulate) {
    __m512 acc[MR][2];
    __mmask16 bm0 = mask16(cols), bm1 = mask16(cols - 16);
#pragma GCC unroll 12
    for (int i = 0; i < MR; i++) acc[i][0] = acc[i][1] = _mm512_setzero_ps();
    for (int k = 0; k < kb; k++, a += a_k, b += ldb) {
        __m512 b0 = _mm512_maskz_loadu_ps(bm0, b), b1 = _mm512_maskz_loadu_ps(bm1, b + 16);
#pragma GCC unroll 12
        for (int i = 0; i < MR; i++) {
            __m512 ai = _mm512_set1_ps(a[i * a_row]);
            acc[i][0] = _mm512_fmadd_ps(ai, b0, acc[i][0]);
            acc[i][1] = _mm512_fmadd_ps(ai, b1, acc[i][1]);
        }
    }
    STORE_TILE(acc, c, ldc, rows, cols, accumulate);
}

#define INLINE_BF16 TARGET_BF16 static inline __attribute__((always_inline))

/* 32 values of a row from column k on as 16 pairs of bf16 (nearest even),
 * zeros past `left`. */
INLINE_BF16 __m512i load32_bf16(MatDtype d, const unsigned char *row, int k, int left) {
    if (d == MAT_BF16) return _mm512_maskz_loadu_epi16(mask32(left), row + 2 * (size_t)k);
    __m512 lo = load16_f32(d, row, k, left), hi = load16_f32(d, row, k + 16, left - 16);
    return (__m512i)_mm512_cvtne2ps_pbh(hi, lo);
}

/* tile_f32 with pairs of bf16 in 32-bit words for a and b (pairs of the
 * shared dimension), vdpbf16ps adding both products into f32 sums; kp is
 * the number of pairs, strides count words. */
INLINE_BF16 void tile_bf16(int kp, const uint32_t *a, size_t a_row, size_t a_k, const uint32_t *b,
                           size_t ldb, float *c, size_t ldc, int rows, int cols, int accumulate) {
    __m512 acc[MR][2];
    __mmask16 bm0 = mask16(cols), bm1 = mask16(cols - 16);
#pragma GCC unroll 12
    for (int i = 0; i < MR; i++) acc[i][0] = acc[i][1] = _mm512_setzero_ps();
    for (int k = 0; k < kp; k++, a += a_k, b += ldb) {
        __m512bh b0 = (__m512bh)_mm512_maskz_loadu_epi32(bm0, b);
        __m512bh b1 = (__m512bh)_mm512_maskz_loadu_epi32(bm1, b + 16);
#pragma GCC unroll 12
        for (int i = 0; i < MR; i++) {
            __m512bh ai = (__m512bh)_mm512_set1_epi32((int)a[i * a_row]);
            acc[i][0] = _mm512_dpbf16_ps(acc[i][0], ai, b0);
            acc[i][1] = _mm512_dpbf16_ps(acc[i][1], ai, b1);
        }
    }
    STORE_TILE(acc, c, ldc, rows, cols, accumulate);
}

/* exp(x) = 2^k e^r with k = round(x / ln 2), |r| <= ln 2 / 2, and e^r by
 * Cephes' expf polynomial (about 1 ulp); below -87.3 the result is 0 (as
 * exp(-inf) must be for masked scores). */
INLINE __m512 exp512(__m512 x) {
    const __m512 log2e = _mm512_set1_ps(1.44269504088896341f);
    const __m512 ln2_hi = _mm512_set1_ps(0.693359375f), ln2_lo = _mm512_set1_ps(-2.12194440e-4f);
    __mmask16 tiny = _mm512_cmp_ps_mask(x, _mm512_set1_ps(-87.3f), _CMP_LT_OQ);
    x = _mm512_min_ps(x, _mm512_set1_ps(88.3f));
    __m512 k = _mm512_roundscale_ps(_mm512_mul_ps(x, log2e),
                                    _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    __m512 r = _mm512_fnmadd_ps(k, ln2_hi, x);
    r = _mm512_fnmadd_ps(k, ln2_lo, r);
    __m512 p = _mm512_set1_ps(1.9875691500e-4f);
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.3981999507e-3f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(8.3334519073e-3f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(4.1665795894e-2f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.6666665459e-1f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(5.0000001201e-1f));
    p = _mm512_fmadd_ps(p, _mm512_mul_ps(r, r), _mm512_add_ps(r, _mm512_set1_ps(1.0f)));
    return _mm512_maskz_mov_ps((__mmask16)~tiny, _mm512_scalef_ps(p, k));
}

#endif
#endif
