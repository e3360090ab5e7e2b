/* Causal attention of a chunk of queries over segments of keys, blocked
 * with an online softmax: scores exist only one tile at a time, never as an
 * n x n matrix. The running state (unnormalised output, row max, row sum)
 * is exactly what a shard of a global layer returns, so partial results from
 * different key sets merge by log-sum-exp in any order. */
#ifndef SWAN_ATTENTION_H
#define SWAN_ATTENTION_H

#include "kv_cache.h"

/* Query tile: about this many rows (tokens x heads of a KV group). */
#define ATTN_QROWS 128
#define ATTN_KTILE 256
/* Up to this many query rows a tile uses matrix-vector products: sgemm's
 * packing costs more than such a product (one token of a KV group). */
#define ATTN_GEMV_ROWS 8

typedef struct {
    int rows, head_dim;
    float *o; /* [rows][head_dim], not yet divided by l */
    float *m; /* [rows] running max of logits (-inf: no key seen) */
    float *l; /* [rows] running sum of exp(logit - m) */
} AttnAcc;

/* The queries of one KV group for ntok consecutive tokens: row t * grp + i
 * is query head i of the group for the token at position pos0 + t, already
 * multiplied by its logit scale. */
typedef struct {
    const float *q;
    int ntok, grp, head_dim;
    long pos0;
    long window; /* key j visible to query p iff j <= p and (window == 0 or j > p - window) */
} AttnQueries;

int attn_acc_init(AttnAcc *a, int rows, int head_dim);
void attn_acc_free(AttnAcc *a);
void attn_acc_reset(AttnAcc *a, int rows);

/* Floats of score scratch attn_accumulate needs for a group size. */
size_t attn_scratch_floats(int grp);

void attn_accumulate(AttnAcc *a, const AttnQueries *q, const KvSegment *seg, float *scratch);

/* Partial attention of the queries of every KV group, q[KV][ntok * grp][hd]
 * (scaled), over all positions a cache holds; acc has KV * ntok * grp rows
 * in the same order and is reset first. This is one shard's contribution. */
void attn_cache_partial(AttnAcc *acc, const float *q, int kv_heads, int ntok, int grp, long pos0,
                        long window, const KvCache *cache, float *scratch);

/* dst = merge(dst, src) for the first `rows` rows. */
void attn_merge(AttnAcc *dst, const AttnAcc *src, int rows);

/* Writes o / l: row t * grp + i goes to out + t * row_stride + i * head_dim. */
void attn_finish(const AttnAcc *a, int ntok, int grp, float *out, int row_stride);

#endif
