/* Global (NoPE) layers sharded by sequence position across a stage's group.
 *
 * Position p belongs to group rank (p / KV_PAGE_ROWS) % G: whole cache
 * pages rotate over the group, so every rank holds about 1/G of any long
 * document and a page is never split. For each chunk the leader sends every
 * member the chunk's scaled queries and the K/V rows it owns; each rank
 * appends its rows and computes partial attention (output, running max,
 * running sum) over everything it holds; the leader merges the partials by
 * log-sum-exp. Causality needs no extra care: masks use absolute positions.
 *
 * This file holds what both sides of the exchange use; shard_leader.c and
 * member.c hold each side. */
#ifndef SWAN_SHARD_H
#define SWAN_SHARD_H

#include <stdint.h>

#include "attention.h"
#include "config.h"

typedef struct {
    float *q; /* [KV][C grp][hd] (members: the queries received) */
    AttnAcc acc_all, acc_peer;
    float *scores;
    float *kv_rows;       /* [2][C][KV hd]: k rows, then v rows */
    int64_t *kv_pos;      /* [C] */
    int max_chunk, width; /* width: KV hd */
} ShardScratch;

int shard_scratch_init(ShardScratch *s, const SwanConfig *cfg, int max_chunk);
void shard_scratch_free(ShardScratch *s);
float *shard_k_rows(ShardScratch *s);
float *shard_v_rows(ShardScratch *s);

int shard_owner(long pos, int group_size);

/* Appends rows whose positions (pos, increasing) may skip: each run of
 * consecutive positions is one append. */
int shard_append_runs(KvCache *c, const float *k, const float *v, int ld, const int64_t *pos,
                      int count);

#endif
