#include "rope.h"

#include <math.h>
#include <stdlib.h>

#include "parallel.h"

int rope_table_init(RopeTable *t, int head_dim, double theta, int max_rows) {
    t->head_dim = head_dim;
    t->theta = theta;
    t->rows = 0;
    t->cap = max_rows;
    t->cos_sin = malloc(sizeof(float) * (size_t)max_rows * head_dim);
    t->inv_freq = malloc(sizeof(double) * (size_t)(head_dim / 2 + 1));
    if (!t->cos_sin || !t->inv_freq) {
        rope_table_free(t);
        return -1;
    }
    for (int i = 0; i < head_dim / 2; i++) t->inv_freq[i] = pow(theta, -2.0 * i / head_dim);
    return 0;
}

void rope_table_free(RopeTable *t) {
    free(t->cos_sin);
    free(t->inv_freq);
    t->cos_sin = NULL;
    t->inv_freq = NULL;
}

void rope_table_fill(RopeTable *t, long pos0, int n) {
    int half = t->head_dim / 2;
    for (int r = 0; r < n; r++) {
        float *cs = t->cos_sin + (size_t)r * t->head_dim;
        double p = (double)(pos0 + r);
        for (int i = 0; i < half; i++) {
            double angle = p * t->inv_freq[i];
            cs[i] = (float)cos(angle);
            cs[half + i] = (float)sin(angle);
        }
    }
    t->rows = n;
}

typedef struct {
    const RopeTable *t;
    float *x;
    int row_stride, nheads;
} RopeArgs;

static void rope_range(void *p, int r0, int r1) {
    const RopeArgs *args = p;
    int hd = args->t->head_dim, half = hd / 2;
    for (int r = r0; r < r1; r++) {
        const float *cs = args->t->cos_sin + (size_t)r * hd;
        for (int h = 0; h < args->nheads; h++) {
            float *v = args->x + (size_t)r * args->row_stride + (size_t)h * hd;
            for (int i = 0; i < half; i++) {
                float a = v[i], b = v[half + i];
                float c = cs[i], s = cs[half + i];
                v[i] = a * c - b * s;
                v[half + i] = b * c + a * s;
            }
        }
    }
}

void rope_apply(const RopeTable *t, float *x, int n, int row_stride, int nheads) {
    RopeArgs a = {t, x, row_stride, nheads};
    parallel_rows(rope_range, &a, n, (size_t)nheads * t->head_dim);
}
