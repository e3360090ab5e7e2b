#include "rope.h"

#include <math.h>
#include <stdlib.h>

#include "parallel.h"

/* HF modeling_rope_utils' llama3 rule: long wavelengths (past the
 * original context / low_freq_factor) are stretched by factor, short ones
 * (below it / high_freq_factor) kept, and the band between blended. */
static double llama3_inv_freq(const RopeScaling *s, double inv_freq) {
    const double two_pi = 6.283185307179586476925;
    double wavelen = two_pi / inv_freq;
    double low_wavelen = s->original_max_position / s->low_freq_factor;
    double high_wavelen = s->original_max_position / s->high_freq_factor;
    if (wavelen < high_wavelen) return inv_freq;
    if (wavelen > low_wavelen) return inv_freq / s->factor;
    double smooth = (s->original_max_position / wavelen - s->low_freq_factor) /
                    (s->high_freq_factor - s->low_freq_factor);
    return (1.0 - smooth) * inv_freq / s->factor + smooth * inv_freq;
}

double rope_inv_freq(double theta, const RopeScaling *s, int head_dim, int i) {
    double inv_freq = pow(theta, -2.0 * i / head_dim);
    switch (s ? s->kind : ROPE_SCALING_NONE) {
    case ROPE_SCALING_LINEAR: return inv_freq / s->factor;
    case ROPE_SCALING_LLAMA3: return llama3_inv_freq(s, inv_freq);
    default: return inv_freq;
    }
}

int rope_table_init(RopeTable *t, int head_dim, double theta, const RopeScaling *scaling,
                    int max_rows) {
    t->head_dim = head_dim;
    t->theta = theta;
    t->interleaved = 0;
    t->rows = 0;
    t->cap = max_rows;
    t->cos_sin = malloc(sizeof(float) * (size_t)max_rows * head_dim);
    t->inv_freq = malloc(sizeof(double) * (size_t)(head_dim / 2 + 1));
    if (!t->cos_sin || !t->inv_freq) {
        rope_table_free(t);
        return -1;
    }
    for (int i = 0; i < head_dim / 2; i++) t->inv_freq[i] = rope_inv_freq(theta, scaling, head_dim, i);
    return 0;
}

void rope_table_interleave(RopeTable *t, int interleaved) {
    t->interleaved = interleaved;
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

/* Cohere's pairing: element 2i with 2i + 1, by pair i's angle. */
static void rotate_pairs(float *v, const float *cs, int half) {
    for (int i = 0; i < half; i++) {
        float a = v[2 * i], b = v[2 * i + 1];
        float c = cs[i], s = cs[half + i];
        v[2 * i] = a * c - b * s;
        v[2 * i + 1] = b * c + a * s;
    }
}

static void rope_range(void *p, int r0, int r1) {
    const RopeArgs *args = p;
    int hd = args->t->head_dim, half = hd / 2;
    for (int r = r0; r < r1; r++) {
        const float *cs = args->t->cos_sin + (size_t)r * hd;
        for (int h = 0; h < args->nheads; h++) {
            float *v = args->x + (size_t)r * args->row_stride + (size_t)h * hd;
            if (args->t->interleaved) {
                rotate_pairs(v, cs, half);
                continue;
            }
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
