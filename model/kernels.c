#include "kernels.h"

#include <cblas.h>
#include <math.h>

#include "parallel.h"

void matmul_wt(float *y, const float *x, const float *w, int n, int in, int out) {
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, n, out, in, 1.0f, x, in, w, in, 0.0f, y, out);
}

void rmsnorm_rows(float *out, const float *x, const float *g, int rows, int d, float eps) {
    for (int r = 0; r < rows; r++) {
        const float *xr = x + (size_t)r * d;
        float *or_ = out + (size_t)r * d;
        /* Double accumulation: d can be thousands wide and the scale feeds
         * every later layer. */
        double ss = 0.0;
        for (int i = 0; i < d; i++) ss += (double)xr[i] * xr[i];
        float inv = (float)(1.0 / sqrt(ss / d + eps));
        for (int i = 0; i < d; i++) or_[i] = xr[i] * inv * g[i];
    }
}

void swiglu_rows(float *out, const float *gate_up, int rows, int inter) {
    for (int r = 0; r < rows; r++) {
        const float *gate = gate_up + (size_t)r * 2 * inter;
        const float *up = gate + inter;
        float *o = out + (size_t)r * inter;
        for (int i = 0; i < inter; i++) {
            float gv = gate[i];
            o[i] = gv / (1.0f + expf(-gv)) * up[i];
        }
    }
}

void add_inplace(float *x, const float *y, size_t n) {
    for (size_t i = 0; i < n; i++) x[i] += y[i];
}

void kernels_set_threads(int threads) {
    if (threads > 0) openblas_set_num_threads(threads);
    /* Attention runs on as many threads of our own (see parallel.h). */
    parallel_set_workers(openblas_get_num_threads());
}

/* OpenBLAS threads even tiny products, and waking its threads costs more
 * than an attention tile (at most 128 x 256 x head_dim) takes to compute. */
int kernels_single_thread_begin(void) {
    int threads = openblas_get_num_threads();
    if (threads > 1) openblas_set_num_threads(1);
    return threads;
}

void kernels_single_thread_end(int threads) {
    if (threads > 1) openblas_set_num_threads(threads);
}
