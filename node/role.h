/* Where a node rank sits in the plan the coordinator sent: its stage, its
 * group and its neighbours. Every role reads it; nothing changes it after
 * Setup. */
#ifndef SWAN_ROLE_H
#define SWAN_ROLE_H

#include <stddef.h>

#include "wire.h"

typedef struct {
    int rank;
    int stage, nstages; /* stage index; -1: idle rank */
    int group_index;    /* 0 leads the stage */
    int group_size;
    int group_ranks[WIRE_MAX_GROUP];
    int next_leader; /* world rank of the next stage's leader; 0 (coordinator) after the last */
    int prev_leader; /* world rank chunks come from; 0 (coordinator) for stage 0 */
    int layer_begin, layer_end;
    int max_chunk;
    int activations_bf16; /* stage boundaries carry bf16 (Setup.activation_dtype) */
    size_t max_frame;
    double max_rank_memory; /* Setup's --max-rank-memory; 0: this host's share */
    double rank_timeout;    /* Setup's --rank-timeout */
} NodeRole;

#endif
