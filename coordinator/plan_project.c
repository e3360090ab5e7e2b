#include "plan_project.h"

#include <stdlib.h>
#include <string.h>

/* Per-token FLOPs of a stage, split by the rate each part runs at. */
typedef struct {
    double products, window_attn, global_attn;
    int nglobal;
} StageWork;

static double layer_weight_flops(const SwanConfig *c) {
    double d = c->hidden_size, hd = c->head_dim, h = c->num_heads, kv = c->num_kv_heads;
    return 2.0 * (d * (h + 2 * kv) * hd + h * hd * d + 3.0 * d * c->intermediate_size);
}

/* Mean visible keys over positions 0 .. n-1 of a document of n tokens. */
static double mean_keys(const SwanConfig *c, LayerKind kind, long n) {
    double w = (double)c->sliding_window;
    if (kind == LAYER_GLOBAL || n <= w) return (n + 1) / 2.0;
    return (w * (w + 1) / 2.0 + (n - w) * w) / n;
}

static StageWork stage_work(const SwanConfig *c, const PlanStage *st, long context, int last) {
    StageWork w = {0};
    double attn = 4.0 * c->num_heads * c->head_dim;
    for (int i = st->layer_begin; i < st->layer_end; i++) {
        w.products += layer_weight_flops(c);
        if (c->layer_kind[i] == LAYER_GLOBAL) {
            w.global_attn += attn * mean_keys(c, LAYER_GLOBAL, context);
            w.nglobal++;
        } else {
            w.window_attn += attn * mean_keys(c, LAYER_WINDOW, context);
        }
    }
    if (last) w.products += 2.0 * c->vocab_size * c->hidden_size;
    return w;
}

static void add_link(Projection *p, int from, int to, double bytes) {
    if (p->nlinks == PROJECT_MAX_LINKS || bytes <= 0) return;
    p->links[p->nlinks++] = (ProjectLink){from, to, bytes};
}

/* Bytes per token on every rank-to-rank path: token ids in, activations
 * between stages, queries and K/V rows to a group's members and their
 * partial results back, NLL out. */
static void plan_links(const SwanConfig *c, const Plan *plan, const ProjectOptions *o, Projection *p) {
    double q = (double)c->num_heads * c->head_dim * 4, kv = 2.0 * c->num_kv_heads * c->head_dim * 4;
    add_link(p, 0, plan->stages[0].ranks[0], 8); /* token id and target */
    for (int s = 0; s < plan->nstages; s++) {
        const PlanStage *st = &plan->stages[s];
        int last = s + 1 == plan->nstages;
        double out = last ? 8 : (double)c->hidden_size * o->wire_bytes;
        add_link(p, st->ranks[0], last ? 0 : plan->stages[s + 1].ranks[0], out);
        int nglobal = 0;
        for (int i = st->layer_begin; i < st->layer_end; i++)
            nglobal += c->layer_kind[i] == LAYER_GLOBAL;
        for (int g = 1; g < st->nranks; g++) {
            add_link(p, st->ranks[0], st->ranks[g], nglobal * (q + kv / st->nranks));
            add_link(p, st->ranks[g], st->ranks[0], nglobal * (q + 2.0 * c->num_heads * 4));
        }
    }
}

/* The busiest direction of the busiest host link, in bytes per token: a
 * path between two hosts crosses the sender's link out and the receiver's in. */
static double busiest_host_link(const Projection *p, int hosts) {
    int n = hosts > 0 ? hosts : p->nranks;
    double *out = calloc((size_t)n, sizeof *out), *in = calloc((size_t)n, sizeof *in);
    double worst = 0;
    for (int i = 0; out && in && i < p->nlinks; i++) {
        int a = p->links[i].from % n, b = p->links[i].to % n;
        if (a == b) continue;
        out[a] += p->links[i].bytes_per_token;
        in[b] += p->links[i].bytes_per_token;
    }
    for (int h = 0; out && in && h < n; h++) {
        if (out[h] > worst) worst = out[h];
        if (in[h] > worst) worst = in[h];
    }
    free(out);
    free(in);
    return worst;
}

/* Seconds per token a leader spends moving bytes to and from other hosts. */
static double leader_wire_seconds(const Projection *p, int leader, const ProjectOptions *o) {
    if (o->link_rate <= 0) return 0;
    int n = o->hosts > 0 ? o->hosts : p->nranks;
    double bytes = 0;
    for (int i = 0; i < p->nlinks; i++) {
        const ProjectLink *l = &p->links[i];
        if ((l->from == leader || l->to == leader) && l->from % n != l->to % n)
            bytes += l->bytes_per_token;
    }
    return bytes * 8 / o->link_rate;
}

static void rank_memory(const Plan *plan, const ProjectOptions *o, Projection *p) {
    int docs = o->in_flight > 0 ? o->in_flight : 1;
    for (int s = 0; s < plan->nstages; s++) {
        const PlanStage *st = &plan->stages[s];
        for (int g = 0; g < st->nranks && st->ranks[g] < PROJECT_MAX_RANKS; g++)
            p->rank_memory[st->ranks[g]] = docs * st->global_cache_bytes +
                                           (g == 0 ? st->weight_bytes + docs * st->window_cache_bytes
                                                   : 0);
    }
}

/* Seconds per token of the slowest stage, which sets the pipeline's pace;
 * records what bounds it. */
static double pipeline_period(const Plan *plan, const ProjectOptions *o, Projection *p) {
    /* Ranks sharing cores: a waiting rank polls (yielding) instead of
     * sleeping, so it stays runnable and each rank gets an equal share. */
    double share = o->cores > 0 && p->nranks > o->cores ? (double)p->nranks / o->cores : 1;
    double t = 0;
    p->bound = "stage";
    for (int s = 0; s < plan->nstages; s++) {
        /* MPI moves a chunk only while its ranks are inside MPI, so a
         * leader's transfers add to its compute instead of hiding under it;
         * while it waits on the wire, the others have its share of a core. */
        double wire = leader_wire_seconds(p, plan->stages[s].ranks[0], o);
        double own = p->busy[s] + wire, shared = p->busy[s] * share;
        double stage = own > shared ? own : shared;
        if (stage > t) {
            t = stage;
            p->bound = own > shared ? (wire > p->busy[s] ? "link" : "stage") : "cores";
        }
    }
    return t;
}

void plan_project(const SwanConfig *cfg, const Plan *plan, const Calibration *cal,
                  const ProjectOptions *o, Projection *p) {
    memset(p, 0, sizeof *p);
    double gemm = cal->gemm_gflops * 1e9, aw = cal->attention_window_gflops * 1e9;
    double ag = cal->attention_global_gflops * 1e9, hop = cal->message_seconds / o->chunk;
    for (int s = 0; s < plan->nstages; s++) {
        const PlanStage *st = &plan->stages[s];
        StageWork w = stage_work(cfg, st, plan->context, s + 1 == plan->nstages);
        double shard = w.global_attn / st->nranks / ag;
        /* Every chunk: one hop in, one out, and a round trip per member and global layer. */
        double msgs = 2 + 2.0 * w.nglobal * (st->nranks - 1);
        p->busy[s] = w.products / gemm + w.window_attn / aw + shard + msgs * hop;
        if (st->ranks[st->nranks - 1] + 1 > p->nranks) p->nranks = st->ranks[st->nranks - 1] + 1;
    }
    plan_links(cfg, plan, o, p);
    p->host_link_bytes = busiest_host_link(p, o->hosts);
    double t = pipeline_period(plan, o, p);
    p->tokens_per_s = t > 0 ? 1.0 / t : 0;
    for (int s = 0; s < plan->nstages; s++) p->wait[s] = t - p->busy[s];
    rank_memory(plan, o, p);
}
