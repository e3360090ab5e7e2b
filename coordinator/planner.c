/* The planner: contiguous stages balanced by the cost model (cost_model.h).
 *
 * A pipeline runs as fast as its slowest stage, so the plan minimises the
 * largest stage time per token: compute at the calibrated rates, message
 * hops and bytes, and, when a link rate is given, a group's round trips
 * over the host links; activations between stages travel while the ranks
 * compute, so their links only bound a stage from below. For a
 * bound T, a DP over cut points finds the plan with every stage <= T that
 * needs the fewest ranks (each stage takes the smallest group that brings it
 * under T); bisection on T then finds the smallest T that fits the node
 * ranks. Cuts and group sizes are thus chosen together, which matters at
 * long context where splitting a global layer's attention over a group can
 * beat another pipeline cut, and on slow links where a group's members on
 * other hosts cost more wire than they save. --stages fixes the cuts and
 * --nope-group the group size; the same search fills in the rest. When the
 * request leaves the chunk open, every chunk from PLAN_MIN_CHUNK to
 * PLAN_MAX_CHUNK is planned and the one with the least time per token over
 * a batch (pipeline fill and drain included) wins. */
#include "planner.h"

#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cost_model.h"
#include "planner_impl.h"

/* Cost pieces prefix-summed over layers, so a stage [i, j) costs O(1). */
typedef struct {
    const SwanConfig *cfg;
    int nlayers;
    int node_ranks;
    int max_group;        /* largest G a stage may get */
    int fixed_group;      /* --nope-group, 0 = the planner picks per stage */
    const int *fixed_end; /* --stages: stage starting at i ends at fixed_end[i]; NULL = free */
    double *products;     /* [L+1] FLOPs of the weight products, at the chunk's rate */
    double *window;       /* [L+1] seconds: window attention */
    double *global;       /* [L+1] seconds: global attention, which a group divides */
    int *nglobal;         /* [L+1] global layer counts */
    double head;          /* FLOPs of the LM head, paid by the last stage */
    double gemm;          /* FLOP/s of the products at the chunk */
    double hop;           /* seconds per token of one message at the chunk */
    double byte_s;        /* seconds per byte a leader moves */
    double host_byte_s;   /* and more per byte that crosses hosts */
    int wire_bytes;       /* bytes per activation value */
    double wire;          /* seconds per byte per token on a host link; 0: no limit */
    RankHosts hosts;
    double act_bytes; /* activation bytes per token between stages */
} CostModel;

/* Best way found to cover layers [0, j): compared lexicographically. */
typedef struct {
    int ranks;
    int stages;
    double sumsq; /* sum of squared stage costs: evens out non-bottleneck stages */
    int prev;     /* start of the last stage, -1 = unreachable */
    int group;
} DpCell;

/* Keys seen by positions a .. a + n - 1: min(p + 1, w) each (w 0: all). */
static double keys_seen(long a, long n, long w) {
    double all = (double)n * a + (double)n * (n + 1) / 2.0;
    if (w <= 0 || a + n <= w) return all;
    if (a >= w) return (double)n * w;
    long m = w - a; /* positions still below the window */
    return (double)m * a + (double)m * (m + 1) / 2.0 + (double)(n - m) * w;
}

double plan_chunk_flops(const SwanConfig *cfg, const Plan *plan, int k, long pos0, long n) {
    const PlanStage *st = &plan->stages[k];
    double attn = 4.0 * cfg->num_heads * cfg->head_dim, flops = 0;
    for (int l = st->layer_begin; l < st->layer_end; l++) {
        long w = cfg->layer_kind[l] == LAYER_GLOBAL ? 0 : cfg->sliding_window;
        flops += cost_layer_weight_flops(cfg) * n + attn * keys_seen(pos0, n, w);
    }
    if (k == plan->nstages - 1) flops += 2.0 * cfg->vocab_size * cfg->hidden_size * n;
    return flops;
}

static int cost_model_init(CostModel *cm, const SwanConfig *cfg, const PlanRequest *req,
                           const Calibration *cal, SwanError *err) {
    int L = cfg->num_layers;
    memset(cm, 0, sizeof *cm);
    cm->cfg = cfg;
    cm->nlayers = L;
    cm->products = calloc((size_t)L + 1, sizeof *cm->products);
    cm->window = calloc((size_t)L + 1, sizeof *cm->window);
    cm->global = calloc((size_t)L + 1, sizeof *cm->global);
    cm->nglobal = calloc((size_t)L + 1, sizeof *cm->nglobal);
    if (!cm->products || !cm->window || !cm->global || !cm->nglobal)
        return swan_error_set(err, "plan: out of memory for %d layers", L);
    for (int i = 0; i < L; i++) {
        StageWork w = cost_stage_work(cfg, i, i + 1, req->context, 0);
        cm->products[i + 1] = cm->products[i] + w.products;
        cm->window[i + 1] = cm->window[i] + w.window_attn / (cal->attention_window_gflops * 1e9);
        cm->global[i + 1] = cm->global[i] + cost_member_seconds(&w, cal, 1);
        cm->nglobal[i + 1] = cm->nglobal[i] + w.nglobal;
    }
    cm->head = 2.0 * cfg->vocab_size * cfg->hidden_size;
    cm->gemm = cal->gemm_gflops * 1e9;
    cm->hosts = (RankHosts){req->hosts, req->host_of, req->nranks};
    cm->wire = req->link_rate > 0 && req->hosts > 1 ? 8.0 / req->link_rate : 0;
    cm->wire_bytes = req->wire_bytes > 0 ? req->wire_bytes : 4;
    cm->act_bytes = cost_activation_bytes(cfg, cm->wire_bytes);
    cm->byte_s = cal->byte_seconds;
    cm->host_byte_s = cal->host_byte_seconds;
    return 0;
}

static void cost_model_free(CostModel *cm) {
    free(cm->products);
    free(cm->window);
    free(cm->global);
    free(cm->nglobal);
}

static int has_global(const CostModel *cm, int i, int j) {
    return cm->nglobal[j] > cm->nglobal[i];
}

/* Bytes per token that stage [i, j) on g ranks led by world rank leader
 * moves across hosts: in from the previous stage's leader (prev_g ranks
 * back), out to the next, and its group's round trips with members on other
 * hosts. */
typedef struct {
    double in, out, round_trips;
} StageHostBytes;

static StageHostBytes stage_host_bytes(const CostModel *cm, int i, int j, int g, int prev_g,
                                       int leader) {
    const RankHosts *h = &cm->hosts;
    int ng = cm->nglobal[j] - cm->nglobal[i], away = 0;
    StageHostBytes b;
    b.in = i == 0 ? COST_TOKEN_BYTES * cost_crosses(h, 0, leader)
                  : cm->act_bytes * cost_crosses(h, leader - prev_g, leader);
    b.out = j == cm->nlayers ? COST_TOKEN_BYTES * cost_crosses(h, leader, 0)
                             : cm->act_bytes * cost_crosses(h, leader, leader + g);
    for (int m = 1; m < g; m++) away += cost_crosses(h, leader, leader + m);
    b.round_trips = away * (cost_member_bytes_out(cm->cfg, ng, g) + cost_member_bytes_in(cm->cfg, ng));
    return b;
}

/* Seconds per token of stage [i, j) on g ranks, led by world rank leader:
 * its compute, messages and bytes, the wire time of its round trips, and
 * never less than its activations' time on their links. */
static double stage_cost(const CostModel *cm, int i, int j, int g, int prev_g, int leader) {
    int ng = cm->nglobal[j] - cm->nglobal[i];
    double flops = cm->products[j] - cm->products[i] + (j == cm->nlayers ? cm->head : 0);
    double t = flops / cm->gemm + cm->window[j] - cm->window[i] + (cm->global[j] - cm->global[i]) / g;
    t += (2 + 2.0 * ng * (g - 1)) * cm->hop;
    t += cm->byte_s * cost_leader_bytes(cm->cfg, ng, g, i == 0, j == cm->nlayers, cm->wire_bytes);
    if (cm->hosts.hosts <= 1) return t;
    StageHostBytes b = stage_host_bytes(cm, i, j, g, prev_g, leader);
    t += cm->host_byte_s * (b.in + b.out + b.round_trips) + cm->wire * b.round_trips;
    double link = cm->wire * (b.in > b.out ? b.in : b.out);
    return t > link ? t : link;
}

/* Smallest group that brings stage [i, j) under t; 0 if none does. A
 * group's cost is not monotone in its size (members add hops and wire), so
 * every size is tried. */
static int stage_min_group(const CostModel *cm, int i, int j, double t, int prev_g, int leader) {
    if (!has_global(cm, i, j)) return stage_cost(cm, i, j, 1, prev_g, leader) <= t ? 1 : 0;
    if (cm->fixed_group)
        return stage_cost(cm, i, j, cm->fixed_group, prev_g, leader) <= t ? cm->fixed_group : 0;
    for (int g = 1; g <= cm->max_group; g++)
        if (stage_cost(cm, i, j, g, prev_g, leader) <= t) return g;
    return 0;
}

static int dp_better(const DpCell *a, const DpCell *b) {
    if (b->prev < 0) return 1;
    if (a->ranks != b->ranks) return a->ranks < b->ranks;
    if (a->stages != b->stages) return a->stages < b->stages;
    return a->sumsq < b->sumsq;
}

/* Fewest ranks covering all layers with every stage cost <= t; the plan
 * is read back from dp[] via prev. INT_MAX when no plan fits. */
static int dp_solve(const CostModel *cm, double t, DpCell *dp) {
    int L = cm->nlayers;
    for (int j = 0; j <= L; j++) dp[j] = (DpCell){0, 0, 0, -1, 0};
    dp[0] = (DpCell){0, 0, 0, 0, 1};
    for (int i = 0; i < L; i++) {
        if (dp[i].prev < 0 || dp[i].stages >= PLAN_MAX_STAGES) continue;
        if (cm->fixed_end && cm->fixed_end[i] <= i) continue;
        int jlo = cm->fixed_end ? cm->fixed_end[i] : i + 1;
        int jhi = cm->fixed_end ? cm->fixed_end[i] : L;
        int leader = dp[i].ranks + 1;
        for (int j = jlo; j <= jhi; j++) {
            int g = stage_min_group(cm, i, j, t, dp[i].group, leader);
            if (!g) continue;
            double c = stage_cost(cm, i, j, g, dp[i].group, leader);
            DpCell cand = {dp[i].ranks + g, dp[i].stages + 1, dp[i].sumsq + c * c, i, g};
            if (cand.ranks <= cm->node_ranks && dp_better(&cand, &dp[j])) dp[j] = cand;
        }
    }
    return dp[L].prev < 0 ? INT_MAX : dp[L].ranks;
}

/* Ranks the cheapest plan of this request takes, for the error message:
 * one rank per stage, G for stages holding global layers under --nope-group. */
static int min_ranks(const CostModel *cm) {
    if (!cm->fixed_end) return cm->fixed_group && has_global(cm, 0, cm->nlayers) ? cm->fixed_group : 1;
    int need = 0;
    for (int i = 0; i < cm->nlayers; i = cm->fixed_end[i])
        need += cm->fixed_group && has_global(cm, i, cm->fixed_end[i]) ? cm->fixed_group : 1;
    return need;
}

/* A bound every plan meets: each stage at most the whole model on one
 * rank with its hops and every byte it could send, times two. */
static double upper_bound(const CostModel *cm) {
    double all = stage_cost(cm, 0, cm->nlayers, 1, 1, 1);
    double g = cm->fixed_group ? cm->fixed_group : 1;
    double members = cost_member_bytes_out(cm->cfg, cm->nglobal[cm->nlayers], 1) +
                     cost_member_bytes_in(cm->cfg, cm->nglobal[cm->nlayers]);
    double per_byte = cm->wire + cm->byte_s + cm->host_byte_s;
    all += g * (2.0 * cm->nglobal[cm->nlayers] * cm->hop + per_byte * members);
    return 2 * (all + 2 * cm->hop + 2 * per_byte * cm->act_bytes);
}

/* Smallest bound that fits the node ranks; dp holds its plan, *period it. */
static int search(const CostModel *cm, DpCell *dp, double *period, SwanError *err) {
    double hi = upper_bound(cm), lo = 0;
    int need = dp_solve(cm, hi, dp);
    if (need == INT_MAX || need > cm->node_ranks) {
        need = min_ranks(cm);
        return swan_error_set(err,
                              "plan: needs %d node ranks (--ranks %d with the "
                              "coordinator), have %d (--ranks %d)",
                              need, need + 1, cm->node_ranks, cm->node_ranks + 1);
    }
    for (int it = 0; it < 200 && hi - lo > 1e-9 * hi; it++) {
        double mid = lo + (hi - lo) / 2;
        if (mid <= lo || mid >= hi) break;
        if (dp_solve(cm, mid, dp) <= cm->node_ranks)
            hi = mid;
        else
            lo = mid;
    }
    dp_solve(cm, hi, dp);
    *period = hi;
    return 0;
}

static void fill_plan(const CostModel *cm, const DpCell *dp, long context, Plan *plan) {
    int n = 0;
    for (int j = cm->nlayers; j > 0; j = dp[j].prev) n++;
    plan->nstages = n;
    int k = n;
    for (int j = cm->nlayers; j > 0; j = dp[j].prev) {
        PlanStage *st = &plan->stages[--k];
        st->layer_begin = dp[j].prev;
        st->layer_end = j;
        st->nranks = dp[j].group;
    }
    int rank = 1, prev_g = 1;
    plan->period = 0;
    for (k = 0; k < n; k++) {
        PlanStage *st = &plan->stages[k];
        for (int r = 0; r < st->nranks; r++) st->ranks[r] = rank++;
        plan_stage_estimates(cm->cfg, context, n - 1, k, st);
        st->seconds_per_token = stage_cost(cm, st->layer_begin, st->layer_end, st->nranks, prev_g,
                                           st->ranks[0]);
        if (st->seconds_per_token > plan->period) plan->period = st->seconds_per_token;
        prev_g = st->nranks;
    }
    plan->idle_ranks = cm->node_ranks - (rank - 1);
    plan->context = context;
}

static int check_request(const SwanConfig *cfg, const PlanRequest *req, SwanError *err) {
    if (cfg->num_layers < 1) return swan_error_set(err, "plan: the model has no layers");
    if (req->nranks < 2)
        return swan_error_set(err,
                              "plan: needs at least 2 ranks (rank 0 coordinates, "
                              "the others run stages), have %d",
                              req->nranks);
    if (req->context < 1)
        return swan_error_set(err, "plan: context must be at least 1 token, got %ld", req->context);
    if (req->nope_group < 0 || req->nope_group > WIRE_MAX_GROUP)
        return swan_error_set(err, "plan: --nope-group %d is outside 1..%d", req->nope_group,
                              WIRE_MAX_GROUP);
    if (req->chunk < 0 || req->in_flight < 0)
        return swan_error_set(err, "plan: chunk and documents in flight must be positive");
    return 0;
}

/* Documents in flight: enough that rank 0 always has the chunks it keeps
 * outstanding to send (and at least two, so one can start while another
 * drains), as many as memory allows up to that. */
static int choose_in_flight(const SwanConfig *cfg, Plan *plan) {
    long ahead = PLAN_OUTSTANDING(plan->nstages);
    long want = (ahead * plan->chunk + plan->context - 1) / plan->context;
    if (want < 2) want = 2;
    if (want > PLAN_MAX_IN_FLIGHT) want = PLAN_MAX_IN_FLIGHT;
    int fit = plan_docs_fit(cfg, plan, plan->chunk, plan->context, PLAN_MAX_IN_FLIGHT);
    int b = fit < want ? fit : (int)want;
    if (b < 1) b = 1;
    if (fit < want)
        snprintf(plan->why_in_flight, sizeof plan->why_in_flight,
                 "memory: %d of %ld tokens fit%s per rank; %ld would keep the %ld chunks rank 0 "
                 "sends ahead coming",
                 fit, plan->context, fit == 1 ? "s" : "", want, ahead);
    else
        snprintf(plan->why_in_flight, sizeof plan->why_in_flight,
                 "cost model: keeps the %ld chunks rank 0 sends ahead coming through %d stage%s%s",
                 ahead, plan->nstages, plan->nstages == 1 ? "" : "s",
                 plan->rank_memory > 0 ? "; memory allows more" : "");
    return b;
}

/* Seconds per token over a batch of the plan's documents in flight: the
 * slowest stage's, plus the pipeline filling and draining around it. */
static double batch_seconds(const Plan *plan) {
    return plan->period *
           (1 + cost_fill_fraction(plan->nstages, plan->chunk, plan->in_flight, plan->context));
}

/* The plan at one chunk; in flight as asked or chosen. */
static int plan_at_chunk(CostModel *cm, DpCell *dp, const PlanRequest *req, const Calibration *cal,
                         int chunk, Plan *plan, SwanError *err) {
    double period;
    cm->hop = cal->message_seconds / chunk;
    cm->gemm = calibration_gemm_gflops(cal, chunk) * 1e9;
    if (search(cm, dp, &period, err)) return -1;
    memset(plan, 0, sizeof *plan);
    fill_plan(cm, dp, req->context, plan);
    plan->rank_memory = req->rank_memory;
    plan->chunk = chunk;
    plan->in_flight = req->in_flight > 0 ? req->in_flight : choose_in_flight(cm->cfg, plan);
    return 0;
}

/* 1 when at least one document fits every rank beside this chunk's scratch. */
static int chunk_fits(const SwanConfig *cfg, const Plan *plan) {
    return plan_docs_fit(cfg, plan, plan->chunk, plan->context, 1) >= 1;
}

static void say_chunk(Plan *plan, const double *secs, const int *chunks, int n, int best) {
    char others[96] = "";
    size_t len = 0;
    for (int i = best - 1; i <= best + 1; i += 2)
        if (i >= 0 && i < n && len < sizeof others)
            len += (size_t)snprintf(others + len, sizeof others - len, "; %d: %.1f", chunks[i],
                                    secs[i] * 1e6);
    snprintf(plan->why_chunk, sizeof plan->why_chunk,
             "cost model: %.1f us/token over a batch, %.1f%% of it filling and draining the stages%s",
             secs[best] * 1e6, 100 * (1 - plan->period / secs[best]), others);
}

/* Every candidate chunk (or the one asked for); the best batch time wins,
 * among those whose scratch leaves room for a document when memory is known. */
static int choose_chunk(CostModel *cm, DpCell *dp, const PlanRequest *req, const Calibration *cal,
                        Plan *plan, Plan *trial, SwanError *err) {
    double secs[16];
    int chunks[16], n = 0, best = -1, best_fits = 0;
    for (int c = req->chunk ? req->chunk : PLAN_MIN_CHUNK; n < 16; c *= 2) {
        if (plan_at_chunk(cm, dp, req, cal, c, trial, err)) return -1;
        int fits = req->rank_memory <= 0 || chunk_fits(cm->cfg, trial);
        chunks[n] = c;
        secs[n] = batch_seconds(trial);
        if (best < 0 || (fits && !best_fits) || (fits == best_fits && secs[n] < secs[best])) {
            best = n;
            best_fits = fits;
            memcpy(plan, trial, sizeof *plan);
        }
        n++;
        if (req->chunk || c >= PLAN_MAX_CHUNK || c >= req->context) break;
    }
    if (!req->chunk) say_chunk(plan, secs, chunks, n, best);
    return 0;
}

static void say_layout(Plan *plan, const PlanRequest *req, const Calibration *cal) {
    char link[128] = "";
    if (req->hosts > 1 && req->link_rate > 0)
        snprintf(link, sizeof link, ", %s %d hosts, links %.3g bit/s (+%.2g ns a byte across them)",
                 req->host_of ? "ranks found on" : "ranks over", req->hosts, req->link_rate,
                 cal->host_byte_seconds * 1e9);
    else if (req->hosts > 1)
        snprintf(link, sizeof link, ", %s %d hosts (+%.2g ns a byte across them; no --link-rate)",
                 req->host_of ? "ranks found on" : "ranks over", req->hosts,
                 cal->host_byte_seconds * 1e9);
    snprintf(plan->why_layout, sizeof plan->why_layout,
             "stages and groups (cost model): slowest stage %.1f us/token at GEMM %.3g, "
             "attention %.3g/%.3g GFLOP/s, %.0f us a message + %.2g ns a byte (%s)%s",
             plan->period * 1e6, cal->gemm_gflops, cal->attention_window_gflops,
             cal->attention_global_gflops, cal->message_seconds * 1e6, cal->byte_seconds * 1e9,
             req->rates_from ? req->rates_from : "built-in rates", link);
}

int plan_make(const SwanConfig *cfg, const PlanRequest *req, Plan *plan, SwanError *err) {
    if (check_request(cfg, req, err)) return -1;
    Calibration builtin;
    calibration_defaults(&builtin);
    const Calibration *cal = req->cal ? req->cal : &builtin;
    CostModel cm;
    int *fixed_end = NULL;
    DpCell *dp = calloc((size_t)cfg->num_layers + 1, sizeof *dp);
    Plan *trial = malloc(sizeof *trial);
    int rc = cost_model_init(&cm, cfg, req, cal, err);
    if (!rc && (!dp || !trial)) rc = swan_error_set(err, "plan: out of memory");
    if (!rc && req->stages_spec) {
        fixed_end = calloc((size_t)cfg->num_layers + 1, sizeof *fixed_end);
        rc = fixed_end ? plan_parse_stages(req->stages_spec, cfg->num_layers, fixed_end, err)
                       : swan_error_set(err, "plan: out of memory");
        cm.fixed_end = fixed_end;
    }
    if (!rc) {
        cm.node_ranks = req->nranks - 1;
        cm.max_group = cm.node_ranks < WIRE_MAX_GROUP ? cm.node_ranks : WIRE_MAX_GROUP;
        cm.fixed_group = req->nope_group;
        rc = choose_chunk(&cm, dp, req, cal, plan, trial, err);
    }
    if (!rc) {
        if (!req->stages_spec || !req->nope_group) say_layout(plan, req, cal);
        for (int k = 0; k < plan->nstages && req->rank_memory > 0; k++)
            plan->stages[k].longest_doc = plan_stage_longest_doc(cfg, plan, k, plan->chunk);
    }
    cost_model_free(&cm);
    free(fixed_end);
    free(dp);
    free(trial);
    return rc;
}
