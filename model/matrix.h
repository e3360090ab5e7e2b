/* A weight matrix where it lies: rows x cols, row-major, F32, F16 or BF16,
 * usually inside the mapped safetensors file. Products widen 16-bit weights
 * to f32 only inside the kernels: a panel at a time for GEMMs (prefill), a
 * register at a time for the few-row case (decode). */
#ifndef SWAN_MATRIX_H
#define SWAN_MATRIX_H

#include <stddef.h>

#include "simd.h"
#include "simd_gemm.h"

typedef struct {
    MatDtype dtype;
    const void *data; /* not owned: the mapping's, or the loader's */
    int rows, cols;
} Matrix;

/* How products of many rows compute: exactly in f32 (the default), or with
 * activations and weights rounded to bf16 and products summed in f32
 * (`--compute bf16`, AVX512-BF16 only). Products of a few rows are exact in
 * both: they are bound by reading the weights, not by arithmetic. So is the
 * LM head (MatmulScratch.always_exact): rounding its inputs moves every
 * logit, and so every NLL, about five times as much as all the layers'. */
typedef enum { COMPUTE_EXACT = 0, COMPUTE_BF16 = 1 } ComputeMode;

/* Sets the mode of every later product; -1 (mode unchanged) where this CPU
 * cannot compute that way. */
int matmul_set_compute(ComputeMode mode);
ComputeMode matmul_compute(void);
/* "exact" or "bf16"; parsing returns -1 for anything else. */
const char *compute_mode_name(ComputeMode mode);
int compute_mode_parse(const char *name, ComputeMode *mode);
/* Which kernel does the many-row products now: "avx512", "avx512-bf16" or
 * "openblas" (SWAN_GEMM=openblas in the environment forces OpenBLAS in exact
 * mode, for comparison). */
const char *matmul_gemm_name(void);
/* The GEMM kernel for f32 products with strides (attention's), or NULL
 * where OpenBLAS's sgemm does them (no AVX-512, or SWAN_GEMM=openblas). */
SimdGemmF32 matmul_f32_kernel(void);

/* Exact products of many rows through OpenBLAS (1) or the kernel the CPU
 * allows (0), whatever SWAN_GEMM says (the benchmark measures both);
 * returns the setting it replaces. */
int matmul_force_openblas(int on);

/* Rows of activations up to which a product streams each weight row once
 * with dot products instead of widening panels for sgemm. */
#define MATMUL_DOT_MAX_ROWS 4

/* Scratch for widening panels of 16-bit weights: one panel per worker of
 * the pool (parallel.h) as it was sized when the scratch was made. */
typedef struct {
    float **panels; /* [npanels][floats] */
    int npanels;
    size_t floats;
    /* Products through this scratch stay exact in every compute mode (the
     * LM head's: its rounding would go straight into every NLL). */
    int always_exact;
} MatmulScratch;
/* A panel's size: about 1 MB of f32, so it stays in L2 while sgemm reads it. */
#define MATMUL_PANEL_FLOATS (256 * 1024)

/* Room for a panel of weights up to max_cols wide. */
int matmul_scratch_init(MatmulScratch *s, int max_cols);
void matmul_scratch_free(MatmulScratch *s);

size_t matrix_bytes(const Matrix *m);

/* y[j * ldy + r] = x[j] . W[r] for j < n, r < W.rows: Y = X W^T into the
 * first W.rows columns of rows of width ldy (so several products can fill
 * one wide buffer side by side). x rows are W.cols wide, ldx apart. */
void matmul(float *y, int ldy, const float *x, int ldx, int n, const Matrix *w, MatmulScratch *s);

/* One product of a group: its weights and where its outputs go. */
typedef struct {
    const Matrix *w;
    float *y;
    int ldy;
} MatmulOut;

/* Several products of the same x (q, k and v; gate and up) as one job, so
 * the few-row case wakes the worker threads once for all of them. */
void matmul_group(const MatmulOut *outs, int count, const float *x, int ldx, int n, MatmulScratch *s);

/* dst[cols] = row r of W as f32 (embedding lookup). */
void matrix_row(const Matrix *w, int r, float *dst);

#endif
