/* `swan plan --project`: what the cost model (cost_model.h, the one the
 * planner chose the plan by) predicts for a plan, from the rates `swan
 * bench calibrate` measured and the link rate: the steady-state throughput
 * with every stage busy, and over a batch of the plan's documents in flight.
 * A rank's time per token is its products and attention at the calibrated
 * rates plus a fixed cost per message and a cost per byte (more for a byte
 * that crosses hosts); a link's is its bytes per token over its rate.
 * Activations between stages travel while the ranks compute (a leader's
 * send hands them to the kernel and returns), so their links bound the
 * period on their own; a group's round trips are waited on, so their wire
 * time is the leader's. Throughput is set by the slowest stage, the busiest
 * link, or the cores when ranks share them. */
#ifndef SWAN_PLAN_PROJECT_H
#define SWAN_PLAN_PROJECT_H

#include <stdio.h>

#include "calibration.h"
#include "planner.h"

typedef struct {
    double link_rate;   /* bits/s of every host's link; 0: not a limit */
    int wire_bytes;     /* bytes per activation value between stages: 4 (f32) or 2 (bf16) */
    int hosts;          /* hosts the ranks are spread over, rank r on r mod hosts; 0: one each */
    const int *host_of; /* each rank's host when known (as PlanRequest's); NULL: r mod hosts */
    int cores;          /* cores all ranks share; 0: a core of its own for each */
    long chunk;         /* tokens per chunk */
    int in_flight;      /* documents in flight: each holds caches on every rank */
} ProjectOptions;

typedef struct {
    int from, to; /* world ranks */
    double bytes_per_token;
    int round_trip; /* a leader and a member of its group: waited on */
} ProjectLink;

#define PROJECT_MAX_RANKS (PLAN_MAX_STAGES * WIRE_MAX_GROUP + 1)
#define PROJECT_MAX_LINKS (2 * PROJECT_MAX_RANKS + 1)

typedef struct {
    double tokens_per_s;       /* steady state: every stage has work */
    double batch_tokens_per_s; /* over a batch of in_flight documents of the plan's context,
                                  pipeline fill and drain included */
    const char *bound;         /* "stage", "cores" or "link" */
    int nranks;                /* world size */
    double busy[PLAN_MAX_STAGES], wait[PLAN_MAX_STAGES]; /* seconds per token, per stage */
    double member_busy[PLAN_MAX_STAGES];                 /* seconds per token of each member */
    int nglobal[PLAN_MAX_STAGES];                        /* global layers of each stage */
    double host_link_bytes; /* bytes per token on the busiest host link (one direction) */
    int nlinks;
    ProjectLink links[PROJECT_MAX_LINKS];
    double rank_memory[PROJECT_MAX_RANKS]; /* bytes held, by world rank */
} Projection;

void plan_project(const SwanConfig *cfg, const Plan *plan, const Calibration *cal,
                  const ProjectOptions *o, Projection *p);

void project_print(const Plan *plan, const ProjectOptions *o, const Projection *p, FILE *out);
void project_print_json(const Plan *plan, const ProjectOptions *o, const Projection *p, FILE *out);

#endif
