/* Plain C: the reference the vector versions are tested against, and what
 * runs on CPUs without AVX2. */
#include <math.h>

#include "simd.h"
#include "simd_scalar.h"

static void widen_portable(MatDtype dtype, const void *src, float *dst, size_t count) {
    for (size_t i = 0; i < count; i++) dst[i] = simd_element(dtype, src, i);
}

static void dot_rows_portable(MatDtype dtype, const void *w, int cols, int r0, int r1, const float *x,
                              int ldx, int n, float *y, int ldy) {
    size_t width = dtype == MAT_F32 ? 4 : 2;
    for (int r = r0; r < r1; r++) {
        const unsigned char *row = (const unsigned char *)w + (size_t)r * cols * width;
        for (int j = 0; j < n; j++) {
            const float *xj = x + (size_t)j * ldx;
            float sum = 0.0f;
            for (int k = 0; k < cols; k++) sum += xj[k] * simd_element(dtype, row, (size_t)k);
            y[(size_t)j * ldy + r] = sum;
        }
    }
}

float simd_exp_sum_portable(float *s, int n, float shift) {
    float sum = 0.0f;
    for (int i = 0; i < n; i++) {
        s[i] = expf(s[i] - shift);
        sum += s[i];
    }
    return sum;
}

void simd_silu_mul_portable(const float *gate, const float *up, float *out, int n) {
    for (int i = 0; i < n; i++) out[i] = gate[i] / (1.0f + expf(-gate[i])) * up[i];
}

const SimdKernels *simd_portable(void) {
    static const SimdKernels k = {"portable", widen_portable, dot_rows_portable, simd_exp_sum_portable,
                                  simd_silu_mul_portable};
    return &k;
}
