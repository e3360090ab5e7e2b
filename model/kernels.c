#include "kernels.h"

#include <cblas.h>
#include <math.h>

#include "parallel.h"
#include "simd.h"

typedef struct {
    float *out;
    const float *x, *g;
    int d;
    float eps;
} NormArgs;

static void rmsnorm_range(void *p, int r0, int r1) {
    const NormArgs *a = p;
    int d = a->d;
    for (int r = r0; r < r1; r++) {
        const float *xr = a->x + (size_t)r * d;
        float *or_ = a->out + (size_t)r * d;
        /* Double accumulation: d can be thousands wide and the scale feeds
         * every later layer. */
        double ss = 0.0;
        for (int i = 0; i < d; i++) ss += (double)xr[i] * xr[i];
        float inv = (float)(1.0 / sqrt(ss / d + a->eps));
        for (int i = 0; i < d; i++) or_[i] = xr[i] * inv * a->g[i];
    }
}

void rmsnorm_rows(float *out, const float *x, const float *g, int rows, int d, float eps) {
    NormArgs a = {out, x, g, d, eps};
    parallel_rows(rmsnorm_range, &a, rows, (size_t)d);
}

/* Two passes (mean, then variance about it) in double: one pass of
 * sum x^2 - n mean^2 cancels when the mean is large. */
static void layernorm_range(void *p, int r0, int r1) {
    const NormArgs *a = p;
    int d = a->d;
    for (int r = r0; r < r1; r++) {
        const float *xr = a->x + (size_t)r * d;
        float *or_ = a->out + (size_t)r * d;
        double sum = 0.0, ss = 0.0;
        for (int i = 0; i < d; i++) sum += xr[i];
        double mean = sum / d;
        for (int i = 0; i < d; i++) ss += ((double)xr[i] - mean) * ((double)xr[i] - mean);
        double inv = 1.0 / sqrt(ss / d + a->eps);
        for (int i = 0; i < d; i++) or_[i] = (float)(((double)xr[i] - mean) * inv) * a->g[i];
    }
}

void layernorm_rows(float *out, const float *x, const float *g, int rows, int d, float eps) {
    NormArgs a = {out, x, g, d, eps};
    parallel_rows(layernorm_range, &a, rows, (size_t)d);
}

typedef struct {
    float *out;
    const float *gate_up;
    int inter;
} SwigluArgs;

static void swiglu_range(void *p, int r0, int r1) {
    const SwigluArgs *a = p;
    for (int r = r0; r < r1; r++) {
        const float *gate = a->gate_up + (size_t)r * 2 * a->inter;
        simd_kernels()->silu_mul(gate, gate + a->inter, a->out + (size_t)r * a->inter, a->inter);
    }
}

void swiglu_rows(float *out, const float *gate_up, int rows, int inter) {
    SwigluArgs a = {out, gate_up, inter};
    parallel_rows(swiglu_range, &a, rows, (size_t)inter);
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
