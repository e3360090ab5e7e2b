/* The plan as a table for people: stages, ranks, layers, estimates, the
 * bottleneck, and one line for each value the cost model chose. */
#include <stdlib.h>

#include "planner.h"

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
        if (st->seconds_per_token > plan->stages[worst].seconds_per_token) worst = k;
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
    if (plan->why_layout[0]) fprintf(out, "%s\n", plan->why_layout);
    fprintf(out, "chunk %d (%s)\n", plan->chunk, plan->why_chunk[0] ? plan->why_chunk : "given");
    fprintf(out, "in flight %d (%s)\n", plan->in_flight,
            plan->why_in_flight[0] ? plan->why_in_flight : "given");
}
