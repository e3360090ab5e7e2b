/* The inner loops that touch weights where they lie: widening 16-bit rows
 * to f32, and dot products of a few activation rows with weight rows (the
 * bandwidth-bound decode case). One implementation per instruction set,
 * chosen once at run time from what the CPU has; SWAN_SIMD=portable|avx2|
 * avx512 in the environment forces one (tests run the portable one too). */
#ifndef SWAN_SIMD_H
#define SWAN_SIMD_H

#include <stddef.h>

typedef enum { MAT_F32 = 0, MAT_F16 = 1, MAT_BF16 = 2 } MatDtype;

typedef struct {
    const char *name;
    /* dst[i] = src[i] as f32, i < count; src little-endian of dtype. */
    void (*widen)(MatDtype dtype, const void *src, float *dst, size_t count);
    /* y[j * ldy + r] = sum_k x[j * ldx + k] * W[r][k] for r in [r0, r1),
     * j < n; W row-major with `cols` columns. */
    void (*dot_rows)(MatDtype dtype, const void *w, int cols, int r0, int r1, const float *x, int ldx,
                     int n, float *y, int ldy);
    /* s[i] = exp(s[i] - shift) for i < n (exp(-inf) = 0); returns their sum
     * (the softmax step of attention). */
    float (*exp_sum)(float *s, int n, float shift);
    /* out[i] = silu(gate[i]) * up[i], silu(g) = g / (1 + exp(-g)) (SwiGLU). */
    void (*silu_mul)(const float *gate, const float *up, float *out, int n);
} SimdKernels;

float simd_exp_sum_portable(float *s, int n, float shift);
void simd_silu_mul_portable(const float *gate, const float *up, float *out, int n);

/* The kernels in force (chosen on first use). */
const SimdKernels *simd_kernels(void);
/* A named implementation, or NULL when this CPU or build lacks it. */
const SimdKernels *simd_kernels_named(const char *name);

/* The implementations; NULL where the build or CPU cannot run them. */
const SimdKernels *simd_portable(void);
const SimdKernels *simd_avx2(void);
const SimdKernels *simd_avx512(void);

#endif
