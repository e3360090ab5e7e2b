/* The one cost model: seconds per token a rank spends on a stage's layers,
 * on messages and on the wire, from the rates of `swan bench calibrate`
 * (calibration.h). The planner minimises it to choose stages, group sizes,
 * the chunk and documents in flight; `swan plan --project` reports it
 * (plan_project.h). Both read these functions, so what is chosen is what is
 * predicted. */
#ifndef SWAN_COST_MODEL_H
#define SWAN_COST_MODEL_H

#include "calibration.h"
#include "config.h"

/* Per-token FLOPs of a run of layers, split by the rate each part runs at. */
typedef struct {
    double products;    /* weight matmuls (and the LM head on the last stage) */
    double window_attn; /* window layers' attention */
    double global_attn; /* global layers' attention, which a group divides */
    int nglobal;
} StageWork;

double cost_layer_weight_flops(const SwanConfig *c);

/* Work of layers [begin, end) per token, averaged over a document of
 * context tokens; last adds the LM head. */
StageWork cost_stage_work(const SwanConfig *c, int begin, int end, long context, int last);

/* Seconds per token a group of g ranks needs for w at chunk tokens a
 * chunk: the leader's products and window attention plus its share of the
 * global attention. */
double cost_leader_seconds(const StageWork *w, const Calibration *cal, int g, long chunk);
/* The same for a member: its share of the global attention. */
double cost_member_seconds(const StageWork *w, const Calibration *cal, int g);

/* Bytes per token a leader of a stage with nglobal global layers on g
 * ranks moves: activations (token ids on the first stage, NLL on the last)
 * in and out, and every member's traffic both ways. */
double cost_leader_bytes(const SwanConfig *c, int nglobal, int g, int first, int last, int wire_bytes);

/* Seconds per token a leader's core spends on messages at chunk tokens
 * each: one in, one out and a round trip per member and global layer, each
 * at the calibrated fixed cost, plus the cost of the bytes it moves, and
 * more for the host_bytes of them that cross to other hosts. The time the
 * bytes take on a link is not in it: the kernel moves them while the rank
 * computes (plan_project.h). */
double cost_hop_seconds(const StageWork *w, const Calibration *cal, int g, long chunk, double bytes,
                        double host_bytes);
/* The same for a member: a round trip per global layer and its bytes, which
 * cross hosts when away. */
double cost_member_hop_seconds(const SwanConfig *c, const StageWork *w, const Calibration *cal, int g,
                               long chunk, int away);

/* Bytes per token between ranks: activations across a stage boundary, and
 * each way between a leader and one member of a group of g. */
double cost_activation_bytes(const SwanConfig *c, int wire_bytes);
double cost_member_bytes_out(const SwanConfig *c, int nglobal, int g);
double cost_member_bytes_in(const SwanConfig *c, int nglobal);
#define COST_TOKEN_BYTES 8.0 /* a token id and its target, or an NLL */

/* Where the ranks run: world rank r on host_of[r] when the placement is
 * known (swan gathers it under MPI), else on host r mod hosts (Open MPI's
 * --map-by node). hosts <= 1: all on one host. */
typedef struct {
    int hosts;
    const int *host_of; /* [nranks] or NULL */
    int nranks;
} RankHosts;

int cost_host_of(const RankHosts *h, int r);
/* 1 when a message between ranks a and b crosses hosts. */
int cost_crosses(const RankHosts *h, int a, int b);

/* The share of a batch's time lost to filling and draining a pipeline of
 * nstages stages: the last chunk still has nstages - 1 stages to pass when
 * the first stage runs dry; a batch is in_flight documents of context tokens. */
double cost_fill_fraction(int nstages, long chunk, int in_flight, long context);

#endif
