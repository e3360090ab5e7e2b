#include "plan_project.h"

#include <stdlib.h>
#include <string.h>

#include "cost_model.h"

static void add_link(Projection *p, int from, int to, double bytes, int round_trip) {
    if (p->nlinks == PROJECT_MAX_LINKS || bytes <= 0) return;
    p->links[p->nlinks++] = (ProjectLink){from, to, bytes, round_trip};
}

/* Bytes per token on every rank-to-rank path: token ids in, activations
 * between stages, queries and K/V rows to a group's members and their
 * partial results back, NLL out. */
static void plan_links(const SwanConfig *c, const Plan *plan, const ProjectOptions *o, Projection *p) {
    add_link(p, 0, plan->stages[0].ranks[0], COST_TOKEN_BYTES, 0);
    for (int s = 0; s < plan->nstages; s++) {
        const PlanStage *st = &plan->stages[s];
        int last = s + 1 == plan->nstages;
        double out = last ? COST_TOKEN_BYTES : cost_activation_bytes(c, o->wire_bytes);
        add_link(p, st->ranks[0], last ? 0 : plan->stages[s + 1].ranks[0], out, 0);
        int nglobal = cost_stage_work(c, st->layer_begin, st->layer_end, 1, 0).nglobal;
        for (int g = 1; g < st->nranks; g++) {
            add_link(p, st->ranks[0], st->ranks[g], cost_member_bytes_out(c, nglobal, st->nranks), 1);
            add_link(p, st->ranks[g], st->ranks[0], cost_member_bytes_in(c, nglobal), 1);
        }
    }
}

static RankHosts rank_hosts(const Projection *p, const ProjectOptions *o) {
    return (RankHosts){o->hosts > 0 ? o->hosts : p->nranks, o->hosts > 0 ? o->host_of : NULL,
                       p->nranks};
}

/* The busiest direction of the busiest host link, in bytes per token: a
 * path between two hosts crosses the sender's link out and the receiver's in. */
static double busiest_host_link(const Projection *p, const RankHosts *hosts) {
    int n = hosts->hosts;
    double *out = calloc((size_t)n, sizeof *out), *in = calloc((size_t)n, sizeof *in);
    double worst = 0;
    for (int i = 0; out && in && i < p->nlinks; i++) {
        int a = cost_host_of(hosts, p->links[i].from), b = cost_host_of(hosts, p->links[i].to);
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

/* Bytes per token rank r sends or receives across hosts; round_trips_only:
 * only its group's, which it waits on. */
static double host_bytes_of(const Projection *p, int r, const RankHosts *hosts, int round_trips_only) {
    double bytes = 0;
    for (int i = 0; i < p->nlinks; i++) {
        const ProjectLink *l = &p->links[i];
        if ((l->from == r || l->to == r) && cost_crosses(hosts, l->from, l->to) &&
            (l->round_trip || !round_trips_only))
            bytes += l->bytes_per_token;
    }
    return bytes;
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

/* Seconds per token of the pipeline: its slowest stage (compute, messages,
 * and the wire time of its group's round trips across hosts), its busiest
 * host link, or, when the ranks share fewer cores, all their work spread
 * over the cores: waiting ranks yield, so no core idles while a rank has
 * work. Records what bounds it. */
static double pipeline_period(const Plan *plan, const ProjectOptions *o, Projection *p, double work) {
    double t = 0;
    RankHosts hosts = rank_hosts(p, o);
    p->bound = "stage";
    for (int s = 0; s < plan->nstages; s++) {
        double wire = o->link_rate > 0
                          ? host_bytes_of(p, plan->stages[s].ranks[0], &hosts, 1) * 8 / o->link_rate
                          : 0;
        double stage = p->busy[s] + wire;
        if (stage > t) {
            t = stage;
            p->bound = stage > p->busy[s] * 2 ? "link" : "stage";
        }
    }
    double link = o->link_rate > 0 ? p->host_link_bytes * 8 / o->link_rate : 0;
    if (link > t) {
        t = link;
        p->bound = "link";
    }
    if (o->cores > 0 && p->nranks > o->cores && work / o->cores > t) {
        t = work / o->cores;
        p->bound = "cores";
    }
    return t;
}

/* Each stage's busy time per token, its members' (the busiest one's), and
 * the sum over all ranks. */
static double stage_times(const SwanConfig *cfg, const Plan *plan, const Calibration *cal,
                          const ProjectOptions *o, Projection *p) {
    RankHosts hosts = rank_hosts(p, o);
    double work = 0;
    for (int s = 0; s < plan->nstages; s++) {
        const PlanStage *st = &plan->stages[s];
        StageWork w = cost_stage_work(cfg, st->layer_begin, st->layer_end, plan->context,
                                      s + 1 == plan->nstages);
        double bytes = cost_leader_bytes(cfg, w.nglobal, st->nranks, s == 0, s + 1 == plan->nstages,
                                         o->wire_bytes);
        p->busy[s] = cost_leader_seconds(&w, cal, st->nranks, o->chunk) +
                     cost_hop_seconds(&w, cal, st->nranks, o->chunk, bytes,
                                      host_bytes_of(p, st->ranks[0], &hosts, 0));
        p->nglobal[s] = w.nglobal;
        work += p->busy[s];
        for (int g = 1; g < st->nranks; g++) {
            double m = cost_member_seconds(&w, cal, st->nranks) +
                       cost_member_hop_seconds(cfg, &w, cal, st->nranks, o->chunk,
                                               cost_crosses(&hosts, st->ranks[0], st->ranks[g]));
            if (m > p->member_busy[s]) p->member_busy[s] = m;
            work += m;
        }
    }
    return work;
}

void plan_project(const SwanConfig *cfg, const Plan *plan, const Calibration *cal,
                  const ProjectOptions *o, Projection *p) {
    memset(p, 0, sizeof *p);
    for (int s = 0; s < plan->nstages; s++) {
        const PlanStage *st = &plan->stages[s];
        if (st->ranks[st->nranks - 1] + 1 > p->nranks) p->nranks = st->ranks[st->nranks - 1] + 1;
    }
    plan_links(cfg, plan, o, p);
    double work = stage_times(cfg, plan, cal, o, p);
    RankHosts hosts = rank_hosts(p, o);
    p->host_link_bytes = busiest_host_link(p, &hosts);
    double t = pipeline_period(plan, o, p, work);
    p->tokens_per_s = t > 0 ? 1.0 / t : 0;
    double fill = cost_fill_fraction(plan->nstages, o->chunk, o->in_flight, plan->context);
    p->batch_tokens_per_s = p->tokens_per_s / (1 + fill);
    for (int s = 0; s < plan->nstages; s++) p->wait[s] = t - p->busy[s];
    rank_memory(plan, o, p);
}
