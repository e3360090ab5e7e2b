/* One pipeline stage's work on one chunk, the same in every process layout:
 * the first stage embeds token ids, every stage runs its layers, the last
 * stage turns rows into NLL or logits. A single process is the one stage
 * that is first and last at once; a node's stage leader is any one of them. */
#ifndef SWAN_STAGE_STEP_H
#define SWAN_STAGE_STEP_H

#include "forward.h"
#include "head.h"

typedef struct {
    const SwanConfig *cfg;
    Forward *fwd; /* owned */
    Head head;    /* last stage only (has_head) */
    int has_head;
    int embeds; /* first stage: takes token ids */
} Stage;

/* A stage over the layers w holds: it embeds when w has the embedding table
 * and ends in the LM head when w has it. cfg and w must outlive the stage. */
int stage_open(Stage *s, const SwanConfig *cfg, const ModelWeights *w, int max_chunk, SwanError *err);
void stage_close(Stage *s);

/* What one step takes in and gives back. Output wanted from the last stage
 * only: NLL rows when targets is set, one row's logits when logits_row >= 0. */
typedef struct {
    int n;              /* rows, 1 .. max_chunk */
    const int *tokens;  /* first stage: [n] ids (checked < vocab), embedded into x */
    const int *targets; /* NULL, or [n] next-token ids (-1: none) */
    double *nll;        /* [n] out when targets: NAN where the target is -1 */
    int logits_row;     /* -1, or the row whose logits go to logits */
    float *logits;      /* [V] out */
} StepIO;

/* x[n][d]: in, the previous stage's activations (or filled by the embedding);
 * out, this stage's. The rows are at positions dc->pos .. dc->pos + n - 1. */
int stage_step(Stage *s, DocCaches *dc, float *x, const StepIO *io, SwanError *err);

#endif
