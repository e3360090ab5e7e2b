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

#include "attention.h"
#include "config.h"
#include "error.h"
#include "kv_cache.h"
#include "rope.h"
#include "weights.h"

typedef struct {
    int layer_begin, layer_end;
    KvCache *caches; /* [layer_end - layer_begin], owned */
    long pos;        /* position of the next token */
    double global_attention_seconds; /* spent in global layers' attention */
} DocCaches;

typedef struct Forward Forward;

/* What one thread needs to attend a slice of queries to a layer's keys. */
typedef struct {
    float *qgroup;   /* [C * grp][hd] scaled queries of one KV group */
    float *scores;   /* attention score tile */
    AttnAcc acc;
} AttnScratch;

/* Attention plus cache append of a global layer, for a stage whose global
 * caches are sharded across ranks. It reads the chunk's projections from
 * f->qkv (RoPE already applied where the layer uses it) and must leave the
 * attention output in f->att, [n][H hd]. */
typedef int (*GlobalAttentionFn)(void *ctx, Forward *f, int layer, KvCache *cache,
                                 int n, long pos0, SwanError *err);

struct Forward {
    const SwanConfig *cfg;
    const ModelWeights *w;
    int max_chunk;
    int qkv_width;   /* (H + 2 KV) * head_dim */
    /* scratch, all owned, sized for max_chunk rows */
    float *xn;       /* [C][d] normed input of a sublayer */
    float *qkv;      /* [C][qkv_width] */
    float *att;      /* [C][H hd] attention output before Wo */
    float *proj;     /* [C][d] */
    float *gate_up;  /* [C][2 I] */
    float *act;      /* [C][I] */
    AttnScratch *scratch; /* [nscratch]: one per worker thread of attention */
    int nscratch;
    RopeTable rope;
    GlobalAttentionFn global_attention; /* NULL: attention over the local cache */
    void *global_ctx;
};

int forward_init(Forward *f, const SwanConfig *cfg, const ModelWeights *w,
                 int max_chunk, SwanError *err);
void forward_free(Forward *f);

int doc_caches_init(DocCaches *dc, const SwanConfig *cfg, int layer_begin,
                    int layer_end, SwanError *err);
void doc_caches_free(DocCaches *dc);
/* Bytes held by the caches of layers of one kind. */
size_t doc_caches_bytes(const DocCaches *dc, const SwanConfig *cfg, LayerKind kind);

/* x[n][d] = embedding rows of tokens (ids already checked < vocab). */
void forward_embed(const Forward *f, const int *tokens, int n, float *x);

/* Runs the layers of f over x[n][d] (n <= max_chunk) in place, at
 * positions dc->pos .. dc->pos + n - 1, appending to the caches. */
int forward_layers(Forward *f, DocCaches *dc, float *x, int n, SwanError *err);

/* Scales query rows the way a layer does: 1/sqrt(hd), times s(p) on a
 * global layer without RoPE. Exposed for the sharded attention path. */
float forward_logit_scale(const SwanConfig *cfg, int layer, long pos);

/* The chunk's queries of every KV group, scaled, as dst[KV][n * grp][hd]
 * (row t * grp + i of group g is query head g * grp + i of token t). */
void forward_scaled_queries(const Forward *f, int layer, int n, long pos0, float *dst);

#endif
