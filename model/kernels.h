/* Row-wise building blocks of the forward pass (norms, activations) and the
 * thread count of the worker pool; weight products are in matrix.h. */
#ifndef SWAN_KERNELS_H
#define SWAN_KERNELS_H

#include <stddef.h>

/* out[r] = x[r] / sqrt(mean(x[r]^2) + eps) * g, for rows of length d. */
void rmsnorm_rows(float *out, const float *x, const float *g, int rows, int d, float eps);
/* LayerNorm without bias (Cohere): (x - mean) / sqrt(var + eps) * g per row. */
void layernorm_rows(float *out, const float *x, const float *g, int rows, int d, float eps);

/* out[r][i] = silu(gate_up[r][i]) * gate_up[r][I + i] */
void swiglu_rows(float *out, const float *gate_up, int rows, int inter);

/* x[i] += y[i] */
void add_inplace(float *x, const float *y, size_t n);

/* Sets the threads of the worker pool that runs products and attention
 * (T <= 0: the BLAS library's default count); BLAS itself runs on one. */
void kernels_set_threads(int threads);

#endif
