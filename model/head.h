/* The last stage's tail: final RMSNorm, LM head, and what is made of the
 * logits (per-token NLL for scoring, a distribution for sampling). */
#ifndef SWAN_HEAD_H
#define SWAN_HEAD_H

#include "config.h"
#include "error.h"
#include "weights.h"

/* Logits materialised at once: as many rows as fit this many floats (at
 * least HEAD_MIN_ROWS), so a small vocabulary takes a whole chunk in one
 * product and a large one stays bounded in memory. */
#define HEAD_LOGITS_FLOATS (4 * 1024 * 1024)
#define HEAD_MIN_ROWS 32

typedef struct {
    const SwanConfig *cfg;
    const ModelWeights *w;
    int rows;      /* rows per product */
    float *xn;     /* [rows][d] */
    float *logits; /* [rows][V] */
    MatmulScratch mm;
} Head;

int head_init(Head *h, const SwanConfig *cfg, const ModelWeights *w, SwanError *err);
void head_free(Head *h);

/* nll[r] = -log softmax(logits(x[r]))[targets[r]] for r < n; a negative
 * target gives NAN (the last token of a document predicts nothing). */
void head_nll(Head *h, const float *x, int n, const int *targets, double *nll);

/* logits[V] of one row x[d]. */
void head_logits(Head *h, const float *x, float *logits);

#endif
