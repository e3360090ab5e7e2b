/* How a run of a document's tokens is cut into chunks, and what each chunk
 * is asked to predict. Every path (one process, the MPI pipeline, scoring,
 * generation) cuts runs here, so they all see the same chunks. */
#ifndef SWAN_CHUNKS_H
#define SWAN_CHUNKS_H

#include "error.h"
#include "stage_step.h"

/* Tokens at positions pos0 .. pos0 + n - 1 of a document, tokens[0] being
 * the one at pos0; at most `chunk` of them per step. */
typedef struct {
    const int *tokens;
    long pos0, n;
    int chunk;
    long next; /* offset of the next chunk in tokens */
} ChunkCursor;

typedef struct {
    const int *tokens; /* [n] */
    long pos0;         /* absolute position of tokens[0] */
    int n;
    long offset; /* of tokens[0] in the run */
    int last;    /* the run's last chunk */
} Chunk;

void chunk_cursor_init(ChunkCursor *c, const int *tokens, long pos0, long n, int chunk);
/* 1 and the next chunk, or 0 when the run is done. */
int chunk_cursor_next(ChunkCursor *c, Chunk *out);
long chunk_count(long n, int chunk);

/* targets[i] = the token after chunk row i within the run, -1 past its end
 * (a scored document is one run: its last token predicts nothing). */
void chunk_targets(const ChunkCursor *c, const Chunk *k, int *targets);

/* The single-process chunk loop: runs the tokens through s (first and last
 * stage at once) with the document's caches dc. nll: NULL, or [n] where
 * nll[i] is the NLL of tokens[i + 1] (the last stays NAN). logits: NULL, or
 * [V] for the last token's. */
int run_tokens(Stage *s, DocCaches *dc, const int *tokens, long n, int chunk, double *nll,
               float *logits, SwanError *err);

#endif
