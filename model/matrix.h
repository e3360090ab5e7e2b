/* A weight matrix where it lies: rows x cols, row-major, F32, F16 or BF16,
 * usually inside the mapped safetensors file. Products widen 16-bit weights
 * to f32 only inside the kernels: a panel at a time for GEMMs (prefill), a
 * register at a time for the few-row case (decode). */
#ifndef SWAN_MATRIX_H
#define SWAN_MATRIX_H

#include <stddef.h>

#include "simd.h"

typedef struct {
    MatDtype dtype;
    const void *data; /* not owned: the mapping's, or the loader's */
    int rows, cols;
} Matrix;

/* Rows of activations up to which a product streams each weight row once
 * with dot products instead of widening panels for sgemm. */
#define MATMUL_DOT_MAX_ROWS 4

/* Scratch for widening panels of 16-bit weights: one panel per worker of
 * the pool (parallel.h) as it was sized when the scratch was made. */
typedef struct {
    float **panels; /* [npanels][floats] */
    int npanels;
    size_t floats;
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
