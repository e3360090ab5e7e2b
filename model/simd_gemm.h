/* The register-tiled GEMM kernels for many-row products (prefill), where the
 * CPU has them; elsewhere products of many rows go to OpenBLAS's sgemm. */
#ifndef SWAN_SIMD_GEMM_H
#define SWAN_SIMD_GEMM_H

#include "simd.h"

/* y[j * ldy + r] = x[j] . W[r] for r in [r0, r1), j < n, on the calling
 * thread; W row-major with `cols` columns; `pack` has SIMD_GEMM_PACK_BYTES
 * for the packed blocks of both operands. */
typedef void (*SimdGemm)(MatDtype dtype, const void *w, int cols, int r0, int r1, const float *x,
                         int ldx, int n, float *y, int ldy, void *pack);

#define SIMD_GEMM_PACK_BYTES ((size_t)4 * (256 * 512 + 144 * 272))

/* Exact (f32 products and sums); NULL without AVX-512. */
SimdGemm simd_gemm_avx512(void);
/* x and W rounded to bf16, products summed in f32 (`--compute bf16`); NULL
 * without AVX512-BF16. */
SimdGemm simd_gemm_avx512_bf16(void);

/* C (+)= A B^T in f32 with any strides: attention's products. */
typedef struct {
    const float *a; /* [m][k], rows lda apart */
    int lda;
    const float *b; /* [n][k], rows ldb apart; b_by_k: [k][n] */
    int ldb, b_by_k;
    float *c; /* [m][n], rows ldc apart */
    int ldc;
    int m, n, k;
    int accumulate; /* c += instead of c = */
} GemmF32;
typedef void (*SimdGemmF32)(const GemmF32 *g, void *pack);

/* NULL without AVX-512. */
SimdGemmF32 simd_gemm_f32_avx512(void);

#endif
