/* The planner: contiguous stages balanced by estimated per-token cost.
 *
 * A pipeline runs as fast as its slowest stage, so the plan minimises the
 * largest stage cost. For a bound T, a DP over cut points finds the plan
 * with every stage <= T that needs the fewest ranks (each stage takes the
 * smallest group that brings it under T); bisection on T then finds the
 * smallest T that fits the node ranks. Cuts and group sizes are thus chosen
 * together, which matters at long context where splitting a global layer's
 * attention over a group can beat another pipeline cut. --stages fixes the
 * cuts and --nope-group the group size; the same search fills in the rest. */
#include "planner.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Cost pieces prefix-summed over layers, so a stage [i, j) costs O(1). */
typedef struct {
    int nlayers;
    int node_ranks;
    int max_group;        /* largest G a stage may get */
    int fixed_group;      /* --nope-group, 0 = the planner picks per stage */
    const int *fixed_end; /* --stages: stage starting at i ends at fixed_end[i]; NULL = free */
    double *base;         /* [L+1] weight FLOPs + window attention */
    double *global;       /* [L+1] global attention, which a group divides */
    int *nglobal;         /* [L+1] global layer counts */
    double head;          /* LM head FLOPs, paid by the last stage */
} CostModel;

/* Best way found to cover layers [0, j): compared lexicographically. */
typedef struct {
    int ranks;
    int stages;
    double sumsq; /* sum of squared stage costs: evens out non-bottleneck stages */
    int prev;     /* start of the last stage, -1 = unreachable */
    int group;
} DpCell;

static double layer_weight_flops(const SwanConfig *c) {
    double d = c->hidden_size, hd = c->head_dim, h = c->num_heads, kv = c->num_kv_heads;
    return 2.0 * (d * (h + 2 * kv) * hd + h * hd * d + 3.0 * d * c->intermediate_size);
}

/* Visible keys min(p + 1, w) averaged over positions 0 .. n-1. */
static double window_mean_keys(long n, long w) {
    if (n <= w) return (n + 1) / 2.0;
    return ((double)w * (w + 1) / 2.0 + (double)(n - w) * w) / n;
}

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
        flops += layer_weight_flops(cfg) * n + attn * keys_seen(pos0, n, w);
    }
    if (k == plan->nstages - 1) flops += 2.0 * cfg->vocab_size * cfg->hidden_size * n;
    return flops;
}

static int cost_model_init(CostModel *cm, const SwanConfig *cfg, long context, SwanError *err) {
    int L = cfg->num_layers;
    memset(cm, 0, sizeof *cm);
    cm->nlayers = L;
    cm->base = calloc((size_t)L + 1, sizeof *cm->base);
    cm->global = calloc((size_t)L + 1, sizeof *cm->global);
    cm->nglobal = calloc((size_t)L + 1, sizeof *cm->nglobal);
    if (!cm->base || !cm->global || !cm->nglobal)
        return swan_error_set(err, "plan: out of memory for %d layers", L);
    double attn = 4.0 * cfg->num_heads * cfg->head_dim;
    double wflops = layer_weight_flops(cfg);
    double win = attn * window_mean_keys(context, cfg->sliding_window);
    double glob = attn * (context + 1) / 2.0;
    for (int i = 0; i < L; i++) {
        int g = cfg->layer_kind[i] == LAYER_GLOBAL;
        cm->base[i + 1] = cm->base[i] + wflops + (g ? 0 : win);
        cm->global[i + 1] = cm->global[i] + (g ? glob : 0);
        cm->nglobal[i + 1] = cm->nglobal[i] + g;
    }
    cm->head = 2.0 * cfg->vocab_size * cfg->hidden_size;
    return 0;
}

static void cost_model_free(CostModel *cm) {
    free(cm->base);
    free(cm->global);
    free(cm->nglobal);
}

static int has_global(const CostModel *cm, int i, int j) {
    return cm->nglobal[j] > cm->nglobal[i];
}

/* The part of a stage's cost that a group does not divide. */
static double stage_fixed_cost(const CostModel *cm, int i, int j) {
    double c = cm->base[j] - cm->base[i];
    return j == cm->nlayers ? c + cm->head : c;
}

static double stage_cost(const CostModel *cm, int i, int j, int g) {
    return stage_fixed_cost(cm, i, j) + (cm->global[j] - cm->global[i]) / g;
}

/* Smallest group that brings stage [i, j) under t; 0 if none does. */
static int stage_min_group(const CostModel *cm, int i, int j, double t) {
    if (!has_global(cm, i, j)) return stage_cost(cm, i, j, 1) <= t ? 1 : 0;
    if (cm->fixed_group) return stage_cost(cm, i, j, cm->fixed_group) <= t ? cm->fixed_group : 0;
    double rest = t - stage_fixed_cost(cm, i, j);
    if (rest <= 0) return 0;
    double want = ceil((cm->global[j] - cm->global[i]) / rest);
    int g = want < 1 ? 1 : want > cm->max_group ? cm->max_group + 1 : (int)want;
    /* the division above rounds; settle g against the cost we report */
    while (g > 1 && stage_cost(cm, i, j, g - 1) <= t) g--;
    while (g <= cm->max_group && stage_cost(cm, i, j, g) > t) g++;
    return g <= cm->max_group ? g : 0;
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
    dp[0].prev = 0;
    for (int i = 0; i < L; i++) {
        if (dp[i].prev < 0 || dp[i].stages >= PLAN_MAX_STAGES) continue;
        if (cm->fixed_end && cm->fixed_end[i] <= i) continue;
        int jlo = cm->fixed_end ? cm->fixed_end[i] : i + 1;
        int jhi = cm->fixed_end ? cm->fixed_end[i] : L;
        for (int j = jlo; j <= jhi; j++) {
            int g = stage_min_group(cm, i, j, t);
            if (!g) continue;
            double c = stage_cost(cm, i, j, g);
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

/* Smallest bound that fits the node ranks; dp holds its plan. */
static int search(const CostModel *cm, DpCell *dp, SwanError *err) {
    /* Every stage costs at most the whole model run on one rank. */
    double hi = stage_cost(cm, 0, cm->nlayers, 1), lo = 0;
    int need = dp_solve(cm, hi, dp);
    if (need == INT_MAX || need > cm->node_ranks) {
        need = min_ranks(cm);
        return swan_error_set(err,
                              "plan: needs %d node ranks (--ranks %d with the "
                              "coordinator), have %d (--ranks %d)",
                              need, need + 1, cm->node_ranks, cm->node_ranks + 1);
    }
    for (int it = 0; it < 200; it++) {
        double mid = lo + (hi - lo) / 2;
        if (mid <= lo || mid >= hi) break;
        if (dp_solve(cm, mid, dp) <= cm->node_ranks)
            hi = mid;
        else
            lo = mid;
    }
    dp_solve(cm, hi, dp);
    return 0;
}

/* One decimal layer index at *s; -1 (and *s unmoved) if none. */
static long parse_index(const char **s) {
    if (**s < '0' || **s > '9') return -1;
    char *end;
    errno = 0;
    long v = strtol(*s, &end, 10);
    if (errno) v = LONG_MAX;
    *s = end;
    return v;
}

static int parse_range(const char **s, const char *spec, long *a, long *b, SwanError *err) {
    *a = parse_index(s);
    *b = *a;
    if (*a >= 0 && **s == '-') {
        (*s)++;
        *b = parse_index(s);
    }
    if (*a >= 0 && *b >= 0 && (!**s || **s == ',')) return 0;
    if (!**s)
        return swan_error_set(err,
                              "--stages '%s': cannot read a layer range: it ends "
                              "early (expected e.g. 0-3,4-7)",
                              spec);
    return swan_error_set(err,
                          "--stages '%s': cannot read a layer range at character "
                          "%d '%c' (expected e.g. 0-3,4-7)",
                          spec, (int)(*s - spec) + 1, **s);
}

/* "a-b,c-d,..." (inclusive, single "5" allowed) -> fixed_end[begin] = end. */
static int parse_stages(const char *spec, int L, int *fixed_end, SwanError *err) {
    if (!*spec) return swan_error_set(err, "--stages is empty");
    const char *s = spec;
    long next = 0;
    int n = 0;
    for (;;) {
        long a, b;
        if (parse_range(&s, spec, &a, &b, err)) return -1;
        if (a > b) return swan_error_set(err, "--stages: range %ld-%ld runs backwards", a, b);
        if (b >= L)
            return swan_error_set(err,
                                  "--stages: layer %ld is out of range (the model "
                                  "has %d layers, 0-%d)",
                                  b, L, L - 1);
        if (a < next)
            return swan_error_set(err,
                                  "--stages: range %ld-%ld overlaps layers already "
                                  "staged (0-%ld); stages go in layer order",
                                  a, b, next - 1);
        if (a > next)
            return swan_error_set(err,
                                  "--stages: layers %ld-%ld are in no stage "
                                  "(gap before %ld-%ld)",
                                  next, a - 1, a, b);
        if (++n > PLAN_MAX_STAGES)
            return swan_error_set(err, "--stages: more than %d stages", PLAN_MAX_STAGES);
        fixed_end[a] = (int)b + 1;
        next = b + 1;
        if (!*s) break;
        s++;
    }
    if (next < L)
        return swan_error_set(err,
                              "--stages: layers %ld-%d are in no stage (the model "
                              "has %d layers)",
                              next, L - 1, L);
    return 0;
}

static double layer_weight_bytes(const SwanConfig *c) {
    double d = c->hidden_size, hd = c->head_dim;
    double attn = d * (c->num_heads + 2.0 * c->num_kv_heads) * hd + c->num_heads * hd * d;
    return 4.0 * (2 * d + attn + 3.0 * d * c->intermediate_size);
}

static void stage_estimates(const SwanConfig *cfg, const CostModel *cm, long context, int last,
                            int index, PlanStage *st) {
    double vd = (double)cfg->vocab_size * cfg->hidden_size;
    double kv_row = (double)cfg->num_kv_heads * cfg->head_dim * 2 * 4;
    long per_rank = (context + st->nranks - 1) / st->nranks;
    long window = context < cfg->sliding_window ? context : cfg->sliding_window;
    st->flops_per_token = stage_cost(cm, st->layer_begin, st->layer_end, st->nranks);
    st->weight_bytes = layer_weight_bytes(cfg) * (st->layer_end - st->layer_begin);
    st->window_cache_bytes = st->global_cache_bytes = 0;
    for (int i = st->layer_begin; i < st->layer_end; i++) {
        if (cfg->layer_kind[i] == LAYER_GLOBAL)
            st->global_cache_bytes += per_rank * kv_row;
        else
            st->window_cache_bytes += window * kv_row;
    }
    if (index == 0) st->weight_bytes += 4 * vd;
    /* a tied head reads the embedding, which stage 0 already counted */
    if (index == last)
        st->weight_bytes += 4 * (cfg->hidden_size + (cfg->tie_word_embeddings && index == 0 ? 0 : vd));
}

double plan_fixed_bytes(const SwanConfig *cfg, const Plan *plan, int k, int group_index, int chunk) {
    const PlanStage *st = &plan->stages[k];
    if (group_index > 0) return need_member_scratch_bytes(cfg, chunk);
    return st->weight_bytes +
           need_leader_scratch_bytes(cfg, chunk, k == plan->nstages - 1, st->nranks, 1);
}

/* The longest document every rank of stage k can take within rank_memory. */
static long stage_longest_doc(const SwanConfig *cfg, const Plan *plan, int k, int chunk) {
    const PlanStage *st = &plan->stages[k];
    long longest = NEED_ANY_LENGTH;
    for (int g = 0; g < st->nranks; g++) {
        double budget = plan->rank_memory - plan_fixed_bytes(cfg, plan, k, g, chunk);
        long n = need_longest_doc(cfg, st->layer_begin, st->layer_end, st->nranks, g, budget);
        if (n < longest) longest = n;
    }
    return longest;
}

static void fill_plan(const SwanConfig *cfg, const CostModel *cm, const DpCell *dp, long context,
                      Plan *plan) {
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
    int rank = 1;
    for (k = 0; k < n; k++) {
        PlanStage *st = &plan->stages[k];
        for (int r = 0; r < st->nranks; r++) st->ranks[r] = rank++;
        stage_estimates(cfg, cm, context, n - 1, k, st);
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
    return 0;
}

int plan_make(const SwanConfig *cfg, const PlanRequest *req, Plan *plan, SwanError *err) {
    if (check_request(cfg, req, err)) return -1;
    CostModel cm;
    int *fixed_end = NULL;
    DpCell *dp = calloc((size_t)cfg->num_layers + 1, sizeof *dp);
    int rc = cost_model_init(&cm, cfg, req->context, err);
    if (!rc && !dp) rc = swan_error_set(err, "plan: out of memory");
    if (!rc && req->stages_spec) {
        fixed_end = calloc((size_t)cfg->num_layers + 1, sizeof *fixed_end);
        rc = fixed_end ? parse_stages(req->stages_spec, cfg->num_layers, fixed_end, err)
                       : swan_error_set(err, "plan: out of memory");
        cm.fixed_end = fixed_end;
    }
    if (!rc) {
        cm.node_ranks = req->nranks - 1;
        cm.max_group = cm.node_ranks < WIRE_MAX_GROUP ? cm.node_ranks : WIRE_MAX_GROUP;
        cm.fixed_group = req->nope_group;
        memset(plan, 0, sizeof *plan);
        rc = search(&cm, dp, err);
    }
    if (!rc) {
        fill_plan(cfg, &cm, dp, req->context, plan);
        plan->rank_memory = req->rank_memory;
        for (int k = 0; k < plan->nstages && req->rank_memory > 0; k++)
            plan->stages[k].longest_doc = stage_longest_doc(cfg, plan, k,
                                                            req->chunk > 0 ? req->chunk : 512);
    }
    cost_model_free(&cm);
    free(fixed_end);
    free(dp);
    return rc;
}

/* Fixed point over the usual range so columns read at a glance. */
static void fmt_num(char *buf, size_t n, double v) {
    if (v == 0)
        snprintf(buf, n, "0");
    else if (v >= 100)
        snprintf(buf, n, "%.0f", v);
    else if (v >= 0.01)
        snprintf(buf, n, "%.2f", v);
    else
        snprintf(buf, n, "%.2g", v);
}

static void print_header(const SwanConfig *cfg, const Plan *plan, FILE *out) {
    int nglobal = 0, node_ranks = plan->idle_ranks;
    for (int i = 0; i < cfg->num_layers; i++) nglobal += cfg->layer_kind[i] == LAYER_GLOBAL;
    for (int k = 0; k < plan->nstages; k++) node_ranks += plan->stages[k].nranks;
    fprintf(out,
            "model: %d layers (%d sliding S, %d global N), d %d, heads %d/%d kv, "
            "head_dim %d, ffn %d, vocab %d, window %ld%s\n",
            cfg->num_layers, cfg->num_layers - nglobal, nglobal, cfg->hidden_size, cfg->num_heads,
            cfg->num_kv_heads, cfg->head_dim, cfg->intermediate_size, cfg->vocab_size,
            cfg->sliding_window, cfg->tie_word_embeddings ? ", tied head" : "");
    fprintf(out,
            "plan: context %ld tokens, %d ranks (rank 0 coordinates, %d nodes), "
            "%d stage%s\n",
            plan->context, node_ranks + 1, node_ranks, plan->nstages, plan->nstages == 1 ? "" : "s");
}

/* s/n mark a layer whose RoPE flag differs from its kind's default. */
static void stage_kinds(const SwanConfig *cfg, const PlanStage *st, char *buf) {
    int n = 0;
    for (int i = st->layer_begin; i < st->layer_end; i++) {
        int global = cfg->layer_kind[i] == LAYER_GLOBAL;
        int usual = cfg->layer_rope[i] == !global;
        buf[n++] = global ? (usual ? 'N' : 'n') : (usual ? 'S' : 's');
    }
    buf[n] = '\0';
}

static void stage_span(char *buf, size_t n, int a, int b) {
    if (a == b)
        snprintf(buf, n, "%d", a);
    else
        snprintf(buf, n, "%d-%d", a, b);
}

static void fmt_longest(char *buf, size_t n, long tokens) {
    if (tokens == NEED_ANY_LENGTH)
        snprintf(buf, n, "any");
    else if (tokens < 0)
        snprintf(buf, n, "none");
    else
        snprintf(buf, n, "%ld", tokens);
}

static void print_row(const SwanConfig *cfg, const Plan *plan, int k, int kinds_w, FILE *out) {
    const PlanStage *st = &plan->stages[k];
    char ranks[32], layers[32], fl[32], wb[32], wc[32], gc[32], longest[32] = "";
    char *kinds = malloc((size_t)(st->layer_end - st->layer_begin) + 1);
    if (!kinds) return;
    stage_kinds(cfg, st, kinds);
    stage_span(ranks, sizeof ranks, st->ranks[0], st->ranks[st->nranks - 1]);
    stage_span(layers, sizeof layers, st->layer_begin, st->layer_end - 1);
    fmt_num(fl, sizeof fl, st->flops_per_token / 1e9);
    fmt_num(wb, sizeof wb, st->weight_bytes / 1048576.0);
    fmt_num(wc, sizeof wc, st->window_cache_bytes / 1048576.0);
    fmt_num(gc, sizeof gc, st->global_cache_bytes / 1048576.0);
    fprintf(out, "%5d  %-7s  %-7s  %-*s  %10s  %10s  %13s  %18s", k, ranks, layers, kinds_w, kinds, fl,
            wb, wc, gc);
    if (plan->rank_memory > 0) fmt_longest(longest, sizeof longest, st->longest_doc);
    fprintf(out, plan->rank_memory > 0 ? "  %11s\n" : "%s\n", longest);
    free(kinds);
}

void plan_print(const SwanConfig *cfg, const Plan *plan, FILE *out) {
    print_header(cfg, plan, out);
    int kinds_w = 5, worst = 0;
    for (int k = 0; k < plan->nstages; k++) {
        const PlanStage *st = &plan->stages[k];
        if (st->layer_end - st->layer_begin > kinds_w) kinds_w = st->layer_end - st->layer_begin;
        if (st->flops_per_token > plan->stages[worst].flops_per_token) worst = k;
    }
    fprintf(out, "%5s  %-7s  %-7s  %-*s  %10s  %10s  %13s  %18s%s\n", "stage", "ranks", "layers",
            kinds_w, "kinds", "GFLOP/tok", "weights MB", "window MB/doc", "global MB/doc/rank",
            plan->rank_memory > 0 ? "  longest doc" : "");
    for (int k = 0; k < plan->nstages; k++) print_row(cfg, plan, k, kinds_w, out);
    char fl[32];
    fmt_num(fl, sizeof fl, plan->stages[worst].flops_per_token / 1e9);
    fprintf(out, "bottleneck: stage %d (%s GFLOP/token); idle ranks: %d\n", worst, fl,
            plan->idle_ranks);
    if (plan->rank_memory > 0)
        fprintf(out, "longest doc: tokens a rank of the stage can hold within %.1f MiB per rank\n",
                plan->rank_memory / 1048576.0);
}
