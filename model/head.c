#include "head.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "kernels.h"

int head_init(Head *h, const SwanConfig *cfg, const ModelWeights *w, SwanError *err) {
    memset(h, 0, sizeof *h);
    h->cfg = cfg;
    h->w = w;
    h->rows = HEAD_LOGITS_FLOATS / cfg->vocab_size;
    if (h->rows < HEAD_MIN_ROWS) h->rows = HEAD_MIN_ROWS;
    h->xn = malloc(sizeof(float) * (size_t)h->rows * (size_t)cfg->hidden_size);
    h->logits = malloc(sizeof(float) * (size_t)h->rows * (size_t)cfg->vocab_size);
    if (!h->xn || !h->logits || matmul_scratch_init(&h->mm, cfg->hidden_size) != 0) {
        head_free(h);
        return swan_error_set(err, "out of memory allocating LM head scratch");
    }
    h->mm.always_exact = 1;
    return 0;
}

void head_free(Head *h) {
    free(h->xn);
    free(h->logits);
    matmul_scratch_free(&h->mm);
    h->xn = h->logits = NULL;
}

static void logits_rows(Head *h, const float *x, int n) {
    int d = h->cfg->hidden_size, V = h->cfg->vocab_size;
    if (h->cfg->block.layer_norm)
        layernorm_rows(h->xn, x, h->w->final_norm, n, d, h->cfg->rms_norm_eps);
    else
        rmsnorm_rows(h->xn, x, h->w->final_norm, n, d, h->cfg->rms_norm_eps);
    matmul(h->logits, V, h->xn, d, n, &h->w->lm_head, &h->mm);
    float scale = (float)h->cfg->block.logit_scale;
    if (scale != 0.0f)
        for (size_t i = 0; i < (size_t)n * V; i++) h->logits[i] *= scale;
}

/* log-sum-exp in double: V terms of very different size. */
static double log_sum_exp(const float *z, int V) {
    float mx = z[0];
    for (int i = 1; i < V; i++) mx = z[i] > mx ? z[i] : mx;
    double s = 0.0;
    for (int i = 0; i < V; i++) s += exp((double)z[i] - mx);
    return mx + log(s);
}

void head_nll(Head *h, const float *x, int n, const int *targets, double *nll) {
    int d = h->cfg->hidden_size, V = h->cfg->vocab_size;
    for (int r0 = 0; r0 < n; r0 += h->rows) {
        int m = n - r0 < h->rows ? n - r0 : h->rows;
        logits_rows(h, x + (size_t)r0 * d, m);
        for (int r = 0; r < m; r++) {
            int t = targets[r0 + r];
            const float *z = h->logits + (size_t)r * V;
            nll[r0 + r] = t < 0 ? NAN : log_sum_exp(z, V) - z[t];
        }
    }
}

void head_logits(Head *h, const float *x, float *logits) {
    int V = h->cfg->vocab_size;
    logits_rows(h, x, 1);
    for (int i = 0; i < V; i++) logits[i] = h->logits[i];
}
