/* AVX-512 (F, BW, VL): 16 weights a step, widened in registers (bf16 by a
 * shift, f16 by vcvtph2ps) and multiplied in f32, so 16-bit weights are read
 * once at half the bytes and never stored as f32. Tails use masked loads. */
#include "simd.h"

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include "avx512_kernels.h"
#include "simd_scalar.h"

INLINE __m512 widen16(MatDtype dtype, __m256i h) {
    if (dtype == MAT_F16) return _mm512_cvtph_ps(h);
    return _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(h), 16));
}

/* 16 weights from k on: plain loads in the body of a row, masked in its tail. */
INLINE __m512 load_w(MatDtype dtype, const unsigned char *row, size_t k) {
    if (dtype == MAT_F32) return _mm512_loadu_ps(row + 4 * k);
    return widen16(dtype, _mm256_loadu_si256((const __m256i *)(const void *)(row + 2 * k)));
}

INLINE __m512 load_w_masked(MatDtype dtype, const unsigned char *row, size_t k, __mmask16 m) {
    if (dtype == MAT_F32) return _mm512_maskz_loadu_ps(m, row + 4 * k);
    return widen16(dtype, _mm256_maskz_loadu_epi16(m, row + 2 * k));
}

TARGET static void widen_avx512(MatDtype dtype, const void *src, float *dst, size_t count) {
    const unsigned char *p = src;
    for (size_t k = 0; k < count; k += 16) {
        size_t left = count - k;
        __mmask16 m = left >= 16 ? (__mmask16)0xffff : (__mmask16)((1u << left) - 1);
        _mm512_mask_storeu_ps(dst + k, m, load_w_masked(dtype, p, k, m));
    }
}

/* Four weight rows against one activation row: four independent FMA
 * chains keep the loads in flight. */
INLINE void dot4(MatDtype dtype, const unsigned char *const w[4], int cols, const float *x,
                 float out[4]) {
    __m512 a0 = _mm512_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
    int k = 0;
    size_t ahead = (dtype == MAT_F32 ? 4 : 2) * (size_t)cols * 4; /* the next four rows */
    for (; k + 16 <= cols; k += 16) {
        size_t at = (size_t)k * (dtype == MAT_F32 ? 4 : 2) + ahead;
        _mm_prefetch((const char *)w[0] + at, _MM_HINT_T0);
        _mm_prefetch((const char *)w[1] + at, _MM_HINT_T0);
        _mm_prefetch((const char *)w[2] + at, _MM_HINT_T0);
        _mm_prefetch((const char *)w[3] + at, _MM_HINT_T0);
        __m512 xv = _mm512_loadu_ps(x + k);
        a0 = _mm512_fmadd_ps(load_w(dtype, w[0], (size_t)k), xv, a0);
        a1 = _mm512_fmadd_ps(load_w(dtype, w[1], (size_t)k), xv, a1);
        a2 = _mm512_fmadd_ps(load_w(dtype, w[2], (size_t)k), xv, a2);
        a3 = _mm512_fmadd_ps(load_w(dtype, w[3], (size_t)k), xv, a3);
    }
    if (k < cols) {
        __mmask16 m = (__mmask16)((1u << (cols - k)) - 1);
        __m512 xv = _mm512_maskz_loadu_ps(m, x + k);
        a0 = _mm512_fmadd_ps(load_w_masked(dtype, w[0], (size_t)k, m), xv, a0);
        a1 = _mm512_fmadd_ps(load_w_masked(dtype, w[1], (size_t)k, m), xv, a1);
        a2 = _mm512_fmadd_ps(load_w_masked(dtype, w[2], (size_t)k, m), xv, a2);
        a3 = _mm512_fmadd_ps(load_w_masked(dtype, w[3], (size_t)k, m), xv, a3);
    }
    out[0] = _mm512_reduce_add_ps(a0);
    out[1] = _mm512_reduce_add_ps(a1);
    out[2] = _mm512_reduce_add_ps(a2);
    out[3] = _mm512_reduce_add_ps(a3);
}

INLINE float dot1(MatDtype dtype, const unsigned char *w, int cols, const float *x) {
    __m512 a = _mm512_setzero_ps(), b = a;
    int k = 0;
    for (; k + 32 <= cols; k += 32) {
        a = _mm512_fmadd_ps(load_w(dtype, w, (size_t)k), _mm512_loadu_ps(x + k), a);
        b = _mm512_fmadd_ps(load_w(dtype, w, (size_t)k + 16), _mm512_loadu_ps(x + k + 16), b);
    }
    for (; k < cols; k += 16) {
        int left = cols - k;
        __mmask16 m = left >= 16 ? (__mmask16)0xffff : (__mmask16)((1u << left) - 1);
        a = _mm512_fmadd_ps(load_w_masked(dtype, w, (size_t)k, m), _mm512_maskz_loadu_ps(m, x + k), a);
    }
    return _mm512_reduce_add_ps(_mm512_add_ps(a, b));
}

INLINE void dot_rows_typed(MatDtype dtype, const void *w, int cols, int r0, int r1, const float *x,
                           int ldx, int n, float *y, int ldy) {
    size_t stride = (size_t)cols * (dtype == MAT_F32 ? 4 : 2);
    const unsigned char *base = w;
    int r = r0;
    for (; r + 4 <= r1; r += 4) {
        const unsigned char *rows[4] = {base + r * stride, base + (r + 1) * stride,
                                        base + (r + 2) * stride, base + (r + 3) * stride};
        for (int j = 0; j < n; j++) {
            float out[4];
            dot4(dtype, rows, cols, x + (size_t)j * ldx, out);
            for (int i = 0; i < 4; i++) y[(size_t)j * ldy + r + i] = out[i];
        }
    }
    for (; r < r1; r++)
        for (int j = 0; j < n; j++)
            y[(size_t)j * ldy + r] = dot1(dtype, base + r * stride, cols, x + (size_t)j * ldx);
}

/* One copy of the loops per dtype, so the dtype test leaves the inner loop. */
TARGET static void dot_rows_avx512(MatDtype dtype, const void *w, int cols, int r0, int r1,
                                   const float *x, int ldx, int n, float *y, int ldy) {
    if (dtype == MAT_BF16)
        dot_rows_typed(MAT_BF16, w, cols, r0, r1, x, ldx, n, y, ldy);
    else if (dtype == MAT_F16)
        dot_rows_typed(MAT_F16, w, cols, r0, r1, x, ldx, n, y, ldy);
    else
        dot_rows_typed(MAT_F32, w, cols, r0, r1, x, ldx, n, y, ldy);
}

TARGET static float exp_sum_avx512(float *s, int n, float shift) {
    __m512 sum = _mm512_setzero_ps(), sh = _mm512_set1_ps(shift);
    for (int i = 0; i < n; i += 16) {
        int left = n - i;
        __mmask16 m = left >= 16 ? (__mmask16)0xffff : (__mmask16)((1u << left) - 1);
        __m512 e = exp512(_mm512_sub_ps(_mm512_maskz_loadu_ps(m, s + i), sh));
        _mm512_mask_storeu_ps(s + i, m, e);
        sum = _mm512_add_ps(sum, _mm512_maskz_mov_ps(m, e));
    }
    return _mm512_reduce_add_ps(sum);
}

/* exp512 saturates for |g| past 88, where silu is g or 0 to f32 precision. */
TARGET static void silu_mul_avx512(const float *gate, const float *up, float *out, int n) {
    const __m512 one = _mm512_set1_ps(1.0f);
    for (int i = 0; i < n; i += 16) {
        __mmask16 m = mask16(n - i);
        __m512 g = _mm512_maskz_loadu_ps(m, gate + i);
        __m512 silu = _mm512_div_ps(g,
                                    _mm512_add_ps(one, exp512(_mm512_sub_ps(_mm512_setzero_ps(), g))));
        _mm512_mask_storeu_ps(out + i, m, _mm512_mul_ps(silu, _mm512_maskz_loadu_ps(m, up + i)));
    }
}

const SimdKernels *simd_avx512(void) {
    static const SimdKernels k = {"avx512", widen_avx512, dot_rows_avx512, exp_sum_avx512,
                                  silu_mul_avx512};
    __builtin_cpu_init();
    /* Every CPU with AVX-512 has F16C and FMA (clang 14 cannot ask for F16C by name). */
    int ok = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
             __builtin_cpu_supports("avx512vl");
    return ok ? &k : NULL;
}

#else

const SimdKernels *simd_avx512(void) {
    return NULL;
}

#endif
