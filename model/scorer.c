#include "scorer.h"

#include <stdlib.h>

int score_tokens(Forward *f, Head *h, const int *tokens, long n, int chunk,
                 double *nll, DocCaches *caches, SwanError *err) {
    const SwanConfig *cfg = f->cfg;
    if (chunk > f->max_chunk) chunk = f->max_chunk;
    DocCaches dc;
    if (doc_caches_init(&dc, cfg, 0, cfg->num_layers, err) != 0) return -1;
    float *x = malloc(sizeof(float) * (size_t)chunk * cfg->hidden_size);
    int *targets = malloc(sizeof(int) * (size_t)chunk);
    double *chunk_nll = malloc(sizeof(double) * (size_t)chunk);
    int rc = 0;
    if (!x || !targets || !chunk_nll) {
        rc = swan_error_set(err, "out of memory allocating a chunk of %d tokens", chunk);
        goto done;
    }
    for (long p0 = 0; p0 < n; p0 += chunk) {
        int m = n - p0 < chunk ? (int)(n - p0) : chunk;
        forward_embed(f, tokens + p0, m, x);
        if (forward_layers(f, &dc, x, m, err) != 0) {
            rc = -1;
            goto done;
        }
        for (int r = 0; r < m; r++) targets[r] = p0 + r + 1 < n ? tokens[p0 + r + 1] : -1;
        head_nll(h, x, m, targets, chunk_nll);
        for (int r = 0; r < m && p0 + r < n - 1; r++) nll[p0 + r] = chunk_nll[r];
    }
done:
    free(x);
    free(targets);
    free(chunk_nll);
    if (rc == 0 && caches)
        *caches = dc;
    else
        doc_caches_free(&dc);
    return rc;
}
