#include "kernels.h"

#include <cblas.h>
#include <math.h>

#include "parallel.h"

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

/* One pool of threads does all the parallel work (parallel.h): BLAS runs
 * single-threaded inside its items, so BLAS's own threads never spin against
 * ours, and products split over the pool by blocks of weight rows. */
void kernels_set_threads(int threads) {
    static int library_default;
    if (!library_default) library_default = openblas_get_num_threads();
    openblas_set_num_threads(1);
    parallel_set_workers(threads > 0 ? threads : library_default);
}
