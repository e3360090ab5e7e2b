/* The last stage's tail: final RMSNorm, LM head, and what is made of the
 * logits (per-token NLL for scoring, a distribution for sampling). */
#ifndef SWAN_HEAD_H
#define SWAN_HEAD_H

#include "config.h"
#include "error.h"
#include "weights.h"

/* Rows of logits materialised at once: bounds memory at HEAD_ROWS x V. */
#define HEAD_ROWS 32

typedef struct {
    const SwanConfig *cfg;
    const ModelWeights *w;
    float *xn;     /* [HEAD_ROWS][d] */
    float *logits; /* [HEAD_ROWS][V] */
} Head;

int head_init(Head *h, const SwanConfig *cfg, const ModelWeights *w, SwanError *err);
void head_free(Head *h);

/* nll[r] = -log softmax(logits(x[r]))[targets[r]] for r < n; a negative
 * target gives NAN (the last token of a document predicts nothing). */
void head_nll(Head *h, const float *x, int n, const int *targets, double *nll);

/* logits[V] of one row x[d]. */
void head_logits(Head *h, const float *x, float *logits);

#endif
