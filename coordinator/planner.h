/* Cutting the layer stack into pipeline stages (DESIGN.md section 3).
 *
 * Ranks 1 .. nranks-1 are nodes (rank 0 coordinates). Each stage is a
 * contiguous run of layers on a group of ranks: the first rank leads (runs
 * the projections and MLP, holds window-layer ring caches), the others only
 * hold shards of the stage's global-layer K/V caches and compute partial
 * attention over them. A stage without global layers has one rank. */
#ifndef SWAN_PLANNER_H
#define SWAN_PLANNER_H

#include <stddef.h>
#include <stdio.h>

#include "config.h"
#include "error.h"
#include "memory_need.h"
#include "wire.h" /* WIRE_MAX_GROUP: the largest group the nodes accept */

#define PLAN_MAX_STAGES 256

typedef struct {
    int layer_begin, layer_end; /* [begin, end) */
    int nranks;                 /* group size G (1 when no global layers) */
    int ranks[WIRE_MAX_GROUP];  /* world ranks; ranks[0] leads */
    /* estimates at the planned context */
    double flops_per_token;    /* weight matmuls plus attention at the context */
    double weight_bytes;       /* f32 bytes the leader holds */
    double window_cache_bytes; /* per document, on the leader */
    double global_cache_bytes; /* per document, per group rank */
    long longest_doc;          /* tokens the stage's fullest rank can hold; NEED_ANY_LENGTH:
                                  any; -1: none; 0 when no memory limit was given */
} PlanStage;

typedef struct {
    int nstages;
    PlanStage stages[PLAN_MAX_STAGES];
    int idle_ranks;     /* node ranks the plan leaves unused */
    long context;       /* expected document length planned for */
    double rank_memory; /* bytes each rank may use (0: not known) */
} Plan;

typedef struct {
    int nranks;              /* MPI world size, coordinator included (>= 2) */
    long context;            /* expected context length in tokens */
    const char *stages_spec; /* "0-3,4-7" or NULL: planner decides */
    int nope_group;          /* G for stages holding global layers; 0: planner decides */
    int chunk;               /* tokens per chunk, for the scratch estimate (0: 512) */
    double rank_memory;      /* bytes each rank may use, for the longest documents (0: skip) */
} PlanRequest;

/* Makes a plan; errors (bad --stages syntax, ranges that do not tile the
 * layers, too few ranks for the request) are one line in err. */
int plan_make(const SwanConfig *cfg, const PlanRequest *req, Plan *plan, SwanError *err);

/* FLOPs stage st (index k of the plan) spends on a chunk of n tokens at
 * positions pos0 .. pos0 + n - 1: weight products, attention over the keys
 * each position sees (a group's share undivided), the LM head on the last
 * stage. */
double plan_chunk_flops(const SwanConfig *cfg, const Plan *plan, int k, long pos0, long n);

/* Bytes a rank of stage st holds whatever the documents (weights as the
 * planner estimates them, chunk scratch); group_index 0 leads. */
double plan_fixed_bytes(const SwanConfig *cfg, const Plan *plan, int k, int group_index, int chunk);

/* Writes a human-readable table of the plan (stages, ranks, layers with
 * their kinds as S/N letters, GFLOP per token, weight and cache MB, and the
 * longest document a rank of the stage can take when rank_memory is known). */
void plan_print(const SwanConfig *cfg, const Plan *plan, FILE *out);

#endif
