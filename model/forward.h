/* The forward pass over a contiguous range of layers, chunk by chunk.
 *
 * A Forward holds the weights view and scratch for chunks of up to
 * max_chunk tokens; it is reused across documents. A DocCaches holds one
 * document's K/V caches for the same layer range and the position of its
 * next token. Feeding a document in any chunking gives the same result as
 * one pass, because every chunk attends over the cache of all earlier
 * chunks plus itself. */
#ifndef SWAN_FORWARD_H
#define SWAN_FORWARD_H

#include <stddef.h>

#include "config.h"
#include "error.h"
#include "kv_cache.h"
#include "weights.h"

typedef struct {
    int layer_begin, layer_end;
    KvCache *caches;                 /* [layer_end - layer_begin], owned */
    long pos;                        /* position of the next token */
    double global_attention_seconds; /* spent in global layers' attention */
    double window_attention_seconds; /* spent in window layers' attention */
} DocCaches;

typedef struct Forward Forward; /* scratch and weights view: private to forward.c */

/* One global layer's attention for a chunk, handed to a hook that keeps the
 * layer's cache elsewhere (sharded across ranks). Everything it needs is
 * here; it must write the attention output, [ntok][H hd], to `out`. */
typedef struct {
    int layer;
    long pos0;
    int ntok;
    const float *q; /* [KV][ntok * grp][hd]: queries by KV group, scaled (forward_logit_scale) */
    const float *k; /* the chunk's key rows: row t at k + t * kv_stride, KV * hd floats */
    const float *v; /* the chunk's value rows, same layout */
    int kv_stride;
    float *out; /* [ntok][H * hd] */
} GlobalAttention;

/* Attention plus cache append of a global layer. cache is the layer's cache
 * in the document's DocCaches (the hook decides which rows it keeps). */
typedef int (*GlobalAttentionFn)(void *ctx, const GlobalAttention *ga, KvCache *cache, SwanError *err);

/* NULL with err set when out of memory. */
Forward *forward_new(const SwanConfig *cfg, const ModelWeights *w, int max_chunk, SwanError *err);
void forward_delete(Forward *f);
int forward_max_chunk(const Forward *f);
/* Global layers without their cache here call fn instead of attending
 * locally (a stage leader whose global caches are sharded). */
int forward_set_global_attention(Forward *f, GlobalAttentionFn fn, void *ctx, SwanError *err);

int doc_caches_init(DocCaches *dc, const SwanConfig *cfg, int layer_begin, int layer_end,
                    SwanError *err);
void doc_caches_free(DocCaches *dc);
/* Bytes held by the caches of layers of one kind. */
size_t doc_caches_bytes(const DocCaches *dc, const SwanConfig *cfg, LayerKind kind);

/* x[n][d] = embedding rows of tokens (ids already checked < vocab). */
void forward_embed(const Forward *f, const int *tokens, int n, float *x);

/* Runs the layers of f over x[n][d] (n <= max_chunk) in place, at
 * positions dc->pos .. dc->pos + n - 1, appending to the caches. */
int forward_layers(Forward *f, DocCaches *dc, float *x, int n, SwanError *err);

/* Scales query rows the way a layer does: 1/sqrt(hd), times s(p) on a
 * global layer without RoPE. */
float forward_logit_scale(const SwanConfig *cfg, int layer, long pos);

#endif
