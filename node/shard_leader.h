/* A stage leader's side of sharded global attention: the hook forward.c
 * calls for each global layer and chunk (see shard.h for the scheme). */
#ifndef SWAN_SHARD_LEADER_H
#define SWAN_SHARD_LEADER_H

#include "forward.h"
#include "role.h"
#include "shard.h"

typedef struct {
    const NodeRole *role;
    const SwanConfig *cfg;
    ShardScratch s;
    uint64_t doc;     /* the document being computed ... */
    long *bytes_sent; /* ... and its shard traffic counter */
    long pos0;        /* the chunk's first position, for what a silent member owed */
} ShardLeader;

int shard_leader_init(ShardLeader *l, const NodeRole *role, const SwanConfig *cfg);
void shard_leader_free(ShardLeader *l);
/* GlobalAttentionFn with ctx = ShardLeader *. */
int shard_leader_attend(void *ctx, const GlobalAttention *ga, KvCache *cache, SwanError *err);

#endif
