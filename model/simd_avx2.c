/* AVX2 + FMA + F16C: 8 weights a step, widened in registers; tails in
 * plain C. For x86 CPUs without AVX-512. */
#include "simd.h"

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>

#include "simd_scalar.h"

#define TARGET __attribute__((target("avx2,fma,f16c")))
#define INLINE TARGET static inline __attribute__((always_inline))

INLINE __m256 load_w(MatDtype dtype, const unsigned char *row, size_t k) {
    if (dtype == MAT_F32) return _mm256_loadu_ps((const float *)(const void *)(row + 4 * k));
    __m128i h = _mm_loadu_si128((const __m128i *)(const void *)(row + 2 * k));
    if (dtype == MAT_F16) return _mm256_cvtph_ps(h);
    return _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_cvtepu16_epi32(h), 16));
}

INLINE float hsum(__m256 v) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

TARGET static void widen_avx2(MatDtype dtype, const void *src, float *dst, size_t count) {
    const unsigned char *p = src;
    size_t k = 0;
    for (; k + 8 <= count; k += 8) _mm256_storeu_ps(dst + k, load_w(dtype, p, k));
    for (; k < count; k++) dst[k] = simd_element(dtype, p, k);
}

INLINE float dot1(MatDtype dtype, const unsigned char *w, int cols, const float *x) {
    __m256 a = _mm256_setzero_ps(), b = a;
    int k = 0;
    for (; k + 16 <= cols; k += 16) {
        a = _mm256_fmadd_ps(load_w(dtype, w, (size_t)k), _mm256_loadu_ps(x + k), a);
        b = _mm256_fmadd_ps(load_w(dtype, w, (size_t)k + 8), _mm256_loadu_ps(x + k + 8), b);
    }
    for (; k + 8 <= cols; k += 8)
        a = _mm256_fmadd_ps(load_w(dtype, w, (size_t)k), _mm256_loadu_ps(x + k), a);
    float sum = hsum(_mm256_add_ps(a, b));
    for (; k < cols; k++) sum += x[k] * simd_element(dtype, w, (size_t)k);
    return sum;
}

INLINE void dot_rows_typed(MatDtype dtype, const void *w, int cols, int r0, int r1, const float *x,
                           int ldx, int n, float *y, int ldy) {
    size_t stride = (size_t)cols * (dtype == MAT_F32 ? 4 : 2);
    const unsigned char *base = w;
    for (int r = r0; r < r1; r++)
        for (int j = 0; j < n; j++)
            y[(size_t)j * ldy + r] = dot1(dtype, base + r * stride, cols, x + (size_t)j * ldx);
}

TARGET static void dot_rows_avx2(MatDtype dtype, const void *w, int cols, int r0, int r1,
                                 const float *x, int ldx, int n, float *y, int ldy) {
    if (dtype == MAT_BF16)
        dot_rows_typed(MAT_BF16, w, cols, r0, r1, x, ldx, n, y, ldy);
    else if (dtype == MAT_F16)
        dot_rows_typed(MAT_F16, w, cols, r0, r1, x, ldx, n, y, ldy);
    else
        dot_rows_typed(MAT_F32, w, cols, r0, r1, x, ldx, n, y, ldy);
}

const SimdKernels *simd_avx2(void) {
    static const SimdKernels k = {"avx2", widen_avx2, dot_rows_avx2, simd_exp_sum_portable,
                                  simd_silu_mul_portable};
    __builtin_cpu_init();
    /* Every CPU with AVX2 has F16C (clang 14 cannot ask for it by name). */
    int ok = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    return ok ? &k : NULL;
}

#else

const SimdKernels *simd_avx2(void) {
    return NULL;
}

#endif
