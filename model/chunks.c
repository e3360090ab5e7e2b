#include "chunks.h"

#include <stdlib.h>

void chunk_cursor_init(ChunkCursor *c, const int *tokens, long pos0, long n, int chunk) {
    *c = (ChunkCursor){tokens, pos0, n, chunk, 0};
}

int chunk_cursor_next(ChunkCursor *c, Chunk *out) {
    if (c->next >= c->n) return 0;
    long left = c->n - c->next;
    out->n = left < c->chunk ? (int)left : c->chunk;
    out->offset = c->next;
    out->tokens = c->tokens + c->next;
    out->pos0 = c->pos0 + c->next;
    c->next += out->n;
    out->last = c->next == c->n;
    return 1;
}

long chunk_count(long n, int chunk) {
    return (n + chunk - 1) / chunk;
}

void chunk_targets(const ChunkCursor *c, const Chunk *k, int *targets) {
    for (int i = 0; i < k->n; i++) {
        long next = k->offset + i + 1;
        targets[i] = next < c->n ? c->tokens[next] : -1;
    }
}

int run_tokens(Stage *s, DocCaches *dc, const int *tokens, long n, int chunk, double *nll,
               float *logits, SwanError *err) {
    int max = forward_max_chunk(s->fwd);
    if (chunk > max) chunk = max;
    float *x = malloc(sizeof(float) * (size_t)chunk * s->cfg->hidden_size);
    int *targets = nll ? malloc(sizeof(int) * (size_t)chunk) : NULL;
    if (!x || (nll && !targets)) {
        free(x);
        free(targets);
        return swan_error_set(err, "out of memory allocating a chunk of %d tokens", chunk);
    }
    ChunkCursor cur;
    Chunk k;
    int rc = 0;
    chunk_cursor_init(&cur, tokens, dc->pos, n, chunk);
    while (rc == 0 && chunk_cursor_next(&cur, &k)) {
        if (nll) chunk_targets(&cur, &k, targets);
        StepIO io = {k.n,
                     k.tokens,
                     nll ? targets : NULL,
                     nll ? nll + k.offset : NULL,
                     logits && k.last ? k.n - 1 : -1,
                     logits};
        rc = stage_step(s, dc, x, &io, err);
    }
    free(x);
    free(targets);
    return rc;
}
