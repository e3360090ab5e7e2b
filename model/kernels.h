/* Dense building blocks of the forward pass. Matrices are row-major;
 * a weight W[out][in] is applied to a batch of rows as Y = X W^T, which is
 * how Hugging Face stores them and what one cblas_sgemm call computes. */
#ifndef SWAN_KERNELS_H
#define SWAN_KERNELS_H

#include <stddef.h>

/* y[n][out] = x[n][in] * w[out][in]^T */
void matmul_wt(float *y, const float *x, const float *w, int n, int in, int out);

/* out[r] = x[r] / sqrt(mean(x[r]^2) + eps) * g, for rows of length d. */
void rmsnorm_rows(float *out, const float *x, const float *g, int rows, int d, float eps);

/* out[r][i] = silu(gate_up[r][i]) * gate_up[r][I + i] */
void swiglu_rows(float *out, const float *gate_up, int rows, int inter);

/* x[i] += y[i] */
void add_inplace(float *x, const float *y, size_t n);

/* Sets the number of BLAS threads (T <= 0 keeps the library default), and
 * as many attention workers (parallel.h). */
void kernels_set_threads(int threads);

/* Around runs of small GEMMs: returns the thread count to restore. */
int kernels_single_thread_begin(void);
void kernels_single_thread_end(int threads);

#endif
