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

#include "calibration.h"
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
    double seconds_per_token;  /* the cost model's: compute, message hops and wire */
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
    int chunk;          /* tokens per chunk: the request's, or the cost model's choice */
    int in_flight;      /* documents in flight: the request's, or the cost model's choice */
    double period;      /* seconds per token of the slowest stage, by the cost model */
    /* Why the planner chose what the request left open, one line each
     * ("" where the request fixed it). */
    char why_layout[384], why_chunk[192], why_in_flight[192];
} Plan;

typedef struct {
    int nranks;              /* MPI world size, coordinator included (>= 2) */
    long context;            /* expected context length in tokens */
    const char *stages_spec; /* "0-3,4-7" or NULL: planner decides */
    int nope_group;          /* G for stages holding global layers; 0: planner decides */
    int chunk;               /* tokens per chunk; 0: the cost model chooses */
    double rank_memory;      /* bytes each rank may use: bounds documents in flight and the
                                chunk, and gives the longest documents (0: no limit) */
    int in_flight;           /* documents in flight; 0: the cost model chooses */
    const Calibration *cal;  /* rates; NULL: calibration_defaults() */
    const char *rates_from;  /* where cal came from, for the plan's reasons; NULL: built in */
    double link_rate;        /* bits/s of every host's link; 0: not a limit */
    int hosts;               /* hosts the ranks are spread over; 0 or 1: one host, no wire */
    const int *host_of;      /* [nranks]: each rank's host, 0 .. hosts - 1, when known;
                                NULL: rank r on host r mod hosts */
    int wire_bytes;          /* bytes per activation value between stages; 0: 4 (f32) */
} PlanRequest;

/* The chunks the planner chooses among when the request leaves it open. */
#define PLAN_MIN_CHUNK 64
#define PLAN_MAX_CHUNK 2048
/* The most documents in flight it chooses. */
#define PLAN_MAX_IN_FLIGHT 64
/* Chunks rank 0 keeps unanswered in a pipeline of nstages stages: enough
 * that every stage has one queued behind the one it computes. */
#define PLAN_OUTSTANDING(nstages) (2L * (nstages) + 2)

/* Makes a plan: stages and group sizes minimising the cost model's
 * pipeline period (cost_model.h), and, where the request leaves them at 0,
 * the chunk and documents in flight that minimise it over a batch of
 * in-flight documents of the context's length within the memory limit.
 * Errors (bad --stages syntax, ranges that do not tile the
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
