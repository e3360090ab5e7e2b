/* The pipeline engine: rank 0's side of a multi-rank run. It plans the
 * stages, sends the Setup, streams runs' chunks into stage 0 with several
 * documents in flight (at most max_outstanding chunks unanswered, round-robin
 * over runs), and collects NLL, logits and per-rank statistics as they come
 * back from the nodes. A node's Error ends the job here with one line. */
#include <math.h>
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chunks.h"
#include "cli.h"
#include "engine_impl.h"
#include "host_memory.h"
#include "memory_guard.h"
#include "rank_hosts.h"
#include "watch.h"
#include "watchdog.h"
#include "wire.h"

typedef struct {
    EngineRun *run; /* NULL: free slot */
    ChunkCursor cursor;
    long nchunks, done;
} Flight;

typedef struct {
    int used, ended;
    uint64_t doc;
    const char *label;
    int nstats;
    RankStats *stats; /* [plan_ranks] */
    long len;         /* tokens when it ends: what its caches will need */
    int admitted;     /* the memory guard let its chunks go */
} OpenDoc;

typedef struct {
    Engine base;
    const SwanConfig *cfg;
    EngineOptions o;
    Plan plan;
    int world;
    int plan_ranks;     /* ranks that report statistics for every document */
    long *weight_bytes; /* [world] from each rank's Ready */
    Flight *flights;    /* [in_flight]: runs in flight */
    OpenDoc *docs;      /* [in_flight]: documents with caches on the nodes */
    int slots;
    int next_flight; /* round-robin cursor */
    long outstanding, max_outstanding;
    WirePending *sends;
    int nsends, cap_sends;
    int *targets; /* [chunk] */
    size_t max_frame;
    RankStats *stats_out;         /* [plan_ranks]: the last DOC_STATS event's */
    char (*hosts)[SWAN_HOST_MAX]; /* [world] from each rank's Ready */
    int *plan_rank_ids;           /* [plan_ranks]: the ranks holding stages */
    int *node_ranks;              /* [world - 1]: every node */
    Watchdog watch;
    MemoryGuard guard;                  /* one entry per plan rank, filled from their Ready */
    double *fixed_bytes, *memory_limit; /* [world] from each rank's Ready */
    long *open_lens;                    /* [slots]: scratch for the memory guard */
} PipelineEngine;

static int nodes_released;

void pipeline_release_nodes(int world) {
    if (nodes_released || world <= 1) return;
    nodes_released = 1;
    for (int r = 1; r < world; r++) wire_send_shutdown(r);
}

/* ---- set-up ---- */

static void send_setup(PipelineEngine *p) {
    const Plan *plan = &p->plan;
    Swan__StagePlan stages[PLAN_MAX_STAGES], *stage_ptrs[PLAN_MAX_STAGES];
    for (int i = 0; i < plan->nstages; i++) {
        swan__stage_plan__init(&stages[i]);
        stages[i].layer_begin = plan->stages[i].layer_begin;
        stages[i].layer_end = plan->stages[i].layer_end;
        stages[i].n_ranks = (size_t)plan->stages[i].nranks;
        stages[i].ranks = (int32_t *)plan->stages[i].ranks;
        stage_ptrs[i] = &stages[i];
    }
    Swan__Setup s = SWAN__SETUP__INIT;
    s.model_dir = (char *)p->o.model_dir;
    s.n_stages = (size_t)plan->nstages;
    s.stages = stage_ptrs;
    s.max_chunk = p->o.chunk;
    s.threads = p->o.threads > 0 ? p->o.threads : 1;
    s.activation_dtype = p->o.activations_bf16 ? SWAN__DTYPE__DTYPE_BF16 : SWAN__DTYPE__DTYPE_F32;
    s.compute_dtype = p->o.compute == COMPUTE_BF16 ? SWAN__DTYPE__DTYPE_BF16 : SWAN__DTYPE__DTYPE_F32;
    s.max_rank_memory = (int64_t)p->o.max_rank_memory;
    s.rank_timeout = p->o.rank_timeout;
    Swan__Envelope env;
    wire_wrap(&env, SWAN__ENVELOPE__BODY_SETUP, &s);
    SwanError err;
    for (int r = 1; r < p->world; r++)
        if (wire_send(&env, r, TAG_PIPE, &err) != 0) wire_fatal(err.msg);
}

/* The stage a rank belongs to (-1: idle) and its index in the group. */
static int stage_of(const PipelineEngine *p, int rank, int *group_index) {
    for (int k = 0; k < p->plan.nstages; k++)
        for (int g = 0; g < p->plan.stages[k].nranks; g++)
            if (p->plan.stages[k].ranks[g] == rank) {
                *group_index = g;
                return k;
            }
    return -1;
}

static void describe_role(const PipelineEngine *p, int rank, const char *doing, char *buf, size_t n) {
    int g = 0, k = stage_of(p, rank, &g);
    if (k < 0) {
        snprintf(buf, n, "%s (an idle rank)", doing);
        return;
    }
    const PlanStage *st = &p->plan.stages[k];
    snprintf(buf, n, "%s%s stage %d (layers %d-%d)", doing, g ? " its share of" : "", k,
             st->layer_begin, st->layer_end - 1);
}

static void describe_loading(void *ctx, int rank, char *buf, size_t n) {
    describe_role(ctx, rank, "loading", buf, n);
}

/* What a silent rank was doing: its stage's work on the oldest document
 * still waiting for results. */
static void describe_working(void *ctx, int rank, char *buf, size_t n) {
    PipelineEngine *p = ctx;
    describe_role(p, rank, "computing", buf, n);
    for (int i = 0; i < p->slots; i++) {
        const Flight *f = &p->flights[i];
        if (!f->run || f->done >= f->nchunks) continue;
        size_t used = strlen(buf);
        snprintf(buf + used, n - used, " for document %s at position %ld",
                 f->run->label ? f->run->label : "?", f->run->pos0 + f->done * p->o.chunk);
        return;
    }
}

static void take_ready(PipelineEngine *p, int src, const Swan__Ready *r) {
    p->weight_bytes[src] = (long)r->weight_bytes;
    p->fixed_bytes[src] = (double)r->fixed_bytes;
    p->memory_limit[src] = (double)r->memory_limit;
    snprintf(p->hosts[src], sizeof p->hosts[src], "%s", r->host);
}

static void wait_ready(PipelineEngine *p) {
    watchdog_init(&p->watch, p->o.rank_timeout, p->node_ranks, p->world - 1, describe_loading, p);
    double bytes = 0;
    for (int k = 0; k < p->plan.nstages; k++) bytes += p->plan.stages[k].weight_bytes;
    watchdog_arm_load(&p->watch, bytes);
    for (int got = 0; got < p->world - 1; got++) {
        int src, backoff = 0;
        while (!wire_poll(MPI_ANY_SOURCE, TAG_COORD, &src, NULL)) {
            wire_idle(&backoff);
            watchdog_check(&p->watch);
        }
        Swan__Envelope *env = NULL;
        SwanError err;
        if (wire_recv(src, TAG_COORD, WIRE_SETUP_MAX_FRAME, &env, &err) != 0) wire_fatal(err.msg);
        if (env->body_case != SWAN__ENVELOPE__BODY_READY)
            wire_fatalf("rank %d sent something other than Ready during set-up", src);
        take_ready(p, src, env->ready);
        swan__envelope__free_unpacked(env, NULL);
    }
    watchdog_init(&p->watch, p->o.rank_timeout, p->plan_rank_ids, p->plan_ranks, describe_working, p);
}

/* ---- sending ---- */

static void track_send(PipelineEngine *p, Swan__Envelope *env, int dest) {
    if (p->nsends == p->cap_sends) {
        int cap = p->cap_sends ? 2 * p->cap_sends : 16;
        WirePending *grown = realloc(p->sends, sizeof *grown * (size_t)cap);
        if (!grown) wire_fatal("out of memory tracking sends");
        p->sends = grown;
        p->cap_sends = cap;
    }
    SwanError err;
    if (wire_isend(env, dest, TAG_PIPE, &p->sends[p->nsends], &err) != 0) wire_fatal(err.msg);
    p->nsends++;
}

static int reap_sends(PipelineEngine *p) {
    int reaped = 0;
    for (int i = 0; i < p->nsends;)
        if (wire_pending_done(&p->sends[i])) {
            p->sends[i] = p->sends[--p->nsends];
            reaped = 1;
        } else {
            i++;
        }
    return reaped;
}

static void send_chunk(PipelineEngine *p, Flight *f) {
    Chunk k;
    chunk_cursor_next(&f->cursor, &k);
    Swan__Activation a = SWAN__ACTIVATION__INIT;
    a.doc = f->run->doc;
    a.pos0 = k.pos0;
    a.ntok = k.n;
    a.n_tokens = (size_t)k.n;
    a.tokens = (int32_t *)k.tokens;
    if (f->run->nll) { /* targets only when NLL is wanted: the last stage computes what is asked */
        chunk_targets(&f->cursor, &k, p->targets);
        a.n_targets = (size_t)k.n;
        a.targets = p->targets;
    }
    a.want_logits = f->run->logits && k.last;
    Swan__Envelope env;
    wire_wrap(&env, SWAN__ENVELOPE__BODY_ACTIVATION, &a);
    track_send(p, &env, p->plan.stages[0].ranks[0]);
    p->outstanding++;
}

static OpenDoc *doc_of(PipelineEngine *p, uint64_t doc);

/* A document's chunks go only once its caches fit beside those of the
 * documents already going (it fits alone: pipeline_submit checked). */
static int admitted(PipelineEngine *p, const EngineRun *run) {
    OpenDoc *d = doc_of(p, run->doc);
    if (!d || d->admitted) return 1;
    int nopen = 0;
    for (int i = 0; i < p->slots; i++)
        if (p->docs[i].used && p->docs[i].admitted) p->open_lens[nopen++] = p->docs[i].len;
    d->admitted = nopen == 0 || memory_guard_fits_with(&p->guard, d->len, p->open_lens, nopen);
    return d->admitted;
}

static int send_chunks(PipelineEngine *p) {
    int sent = 0;
    while (p->outstanding < p->max_outstanding) {
        Flight *f = NULL;
        for (int k = 0; k < p->slots && !f; k++) {
            Flight *cand = &p->flights[(p->next_flight + k) % p->slots];
            if (cand->run && cand->cursor.next < cand->cursor.n && admitted(p, cand->run)) {
                f = cand;
                p->next_flight = (p->next_flight + k + 1) % p->slots;
            }
        }
        if (!f) break;
        send_chunk(p, f);
        sent = 1;
    }
    return sent;
}

/* ---- receiving ---- */

static Flight *flight_of(PipelineEngine *p, uint64_t doc, int src) {
    for (int i = 0; i < p->slots; i++)
        if (p->flights[i].run && p->flights[i].run->doc == doc) return &p->flights[i];
    wire_fatalf("rank %d reported on document %llu, which has no run in flight", src,
                (unsigned long long)doc);
}

static OpenDoc *doc_of(PipelineEngine *p, uint64_t doc) {
    for (int i = 0; i < p->slots; i++)
        if (p->docs[i].used && p->docs[i].doc == doc) return &p->docs[i];
    return NULL;
}

static void take_result(PipelineEngine *p, int src, const Swan__ChunkResult *r) {
    Flight *f = flight_of(p, r->doc, src);
    const EngineRun *run = f->run;
    long chunk = p->o.chunk, offset = r->pos0 - run->pos0;
    long expect = run->n - offset < chunk ? run->n - offset : chunk;
    int last = offset + expect == run->n;
    if (offset < 0 || offset % chunk || offset >= run->n || (run->nll && (long)r->n_nll != expect) ||
        (!run->nll && r->n_nll) || (run->logits && last && r->n_logits != (size_t)p->cfg->vocab_size))
        wire_fatalf("rank %d sent %zu NLL values and %zu logits at position %lld, expected %ld and %d",
                    src, r->n_nll, r->n_logits, (long long)r->pos0, run->nll ? expect : 0,
                    run->logits && last ? p->cfg->vocab_size : 0);
    if (run->nll) memcpy(run->nll + offset, r->nll, sizeof(double) * r->n_nll);
    if (run->logits && last) memcpy(run->logits, r->logits, sizeof(float) * r->n_logits);
    f->done++;
    p->outstanding--;
    progress_tokens(p->o.progress, expect);
}

static void take_stats(PipelineEngine *p, int src, const Swan__DocStats *s) {
    OpenDoc *d = doc_of(p, s->doc);
    if (!d || !d->ended || d->nstats >= p->plan_ranks)
        wire_fatalf("rank %d reported cache statistics for document %llu out of turn", src,
                    (unsigned long long)s->doc);
    RankStats *st = &d->stats[d->nstats++];
    *st = (RankStats){.rank = src,
                      .window_cache_bytes = (long)s->window_cache_bytes,
                      .global_cache_bytes = (long)s->global_cache_bytes,
                      .global_attention_seconds = s->global_attention_seconds,
                      .pipe_bytes_sent = (long)s->pipe_bytes_sent,
                      .shard_bytes_sent = (long)s->shard_bytes_sent,
                      .weight_bytes = p->weight_bytes[src],
                      .peak_rss_bytes = (long)s->peak_rss_bytes,
                      .cpu_seconds = s->cpu_seconds};
    memcpy(st->host, p->hosts[src], sizeof st->host);
}

static int collect(PipelineEngine *p) {
    int src, got = 0;
    while (wire_poll(MPI_ANY_SOURCE, TAG_COORD, &src, NULL)) {
        Swan__Envelope *env = NULL;
        SwanError err;
        if (wire_recv(src, TAG_COORD, p->max_frame, &env, &err) != 0) wire_fatal(err.msg);
        if (env->body_case == SWAN__ENVELOPE__BODY_CHUNK_RESULT)
            take_result(p, src, env->chunk_result);
        else if (env->body_case == SWAN__ENVELOPE__BODY_DOC_STATS)
            take_stats(p, src, env->doc_stats);
        else
            wire_fatalf("unexpected message (case %d) from rank %d", (int)env->body_case, src);
        swan__envelope__free_unpacked(env, NULL);
        got = 1;
    }
    return got;
}

/* ---- events ---- */

static int compare_stats(const void *a, const void *b) {
    return ((const RankStats *)a)->rank - ((const RankStats *)b)->rank;
}

/* A finished run or a document whose every rank has reported, if any. */
static int finished_event(PipelineEngine *p, EngineEvent *ev) {
    memset(ev, 0, sizeof *ev);
    for (int i = 0; i < p->slots; i++) {
        Flight *f = &p->flights[i];
        if (!f->run || f->done < f->nchunks) continue;
        ev->kind = ENGINE_RUN_DONE;
        ev->run = f->run;
        f->run = NULL;
        return 1;
    }
    for (int i = 0; i < p->slots; i++) {
        OpenDoc *d = &p->docs[i];
        if (!d->used || !d->ended || d->nstats < p->plan_ranks) continue;
        memcpy(p->stats_out, d->stats, sizeof *d->stats * (size_t)d->nstats);
        qsort(p->stats_out, (size_t)d->nstats, sizeof *p->stats_out, compare_stats);
        ev->kind = ENGINE_DOC_STATS;
        ev->doc = d->doc;
        ev->stats = p->stats_out;
        ev->nstats = d->nstats;
        d->used = 0;
        return 1;
    }
    return 0;
}

static int anything_pending(const PipelineEngine *p) {
    for (int i = 0; i < p->slots; i++)
        if (p->flights[i].run || (p->docs[i].used && p->docs[i].ended)) return 1;
    return p->nsends > 0;
}

/* The next answer is due within the time the oldest chunk of any run
 * takes through every stage: the watchdog's clock restarts with it. */
static void rearm(PipelineEngine *p) {
    double worst = 0;
    for (int i = 0; i < p->slots; i++) {
        const Flight *f = &p->flights[i];
        if (!f->run || f->done >= f->nchunks) continue;
        long offset = f->done * p->o.chunk, n = f->run->n - offset;
        if (n > p->o.chunk) n = p->o.chunk;
        double flops = 0;
        for (int k = 0; k < p->plan.nstages; k++)
            flops += plan_chunk_flops(p->cfg, &p->plan, k, f->run->pos0 + offset, n);
        if (flops > worst) worst = flops;
    }
    watchdog_arm(&p->watch, worst);
}

static int pipeline_next_event(Engine *e, EngineEvent *ev) {
    PipelineEngine *p = (PipelineEngine *)e;
    rearm(p); /* time rank 0 spent elsewhere is not the nodes' */
    for (int backoff = 0;;) {
        if (finished_event(p, ev)) return 1;
        if (!anything_pending(p)) return 0;
        int progress = send_chunks(p);
        int answered = reap_sends(p) | collect(p);
        if (answered) rearm(p);
        if (progress || answered) {
            backoff = 0;
        } else {
            wire_idle(&backoff);
            watchdog_check(&p->watch);
        }
    }
}

static int pipeline_can_open(const Engine *e) {
    const PipelineEngine *p = (const PipelineEngine *)e;
    for (int i = 0; i < p->slots; i++)
        if (!p->docs[i].used) return 1;
    return 0;
}

static int pipeline_submit(Engine *e, EngineRun *run, SwanError *err) {
    PipelineEngine *p = (PipelineEngine *)e;
    OpenDoc *d = doc_of(p, run->doc);
    if (d && d->ended) return swan_error_set(err, "a run after the document ended");
    long len = run->expect_len > 0 ? run->expect_len : run->pos0 + run->n;
    if (!d && memory_guard_check(&p->guard, len, err) != 0) return -1;
    for (int i = 0; !d && i < p->slots; i++)
        if (!p->docs[i].used) {
            d = &p->docs[i];
            *d = (OpenDoc){1, 0, run->doc, run->label, 0, d->stats, len, 0};
        }
    if (!d) return swan_error_set(err, "more documents open than --in-flight allows");
    for (int i = 0; i < p->slots; i++) {
        Flight *f = &p->flights[i];
        if (f->run && f->run->doc == run->doc)
            return swan_error_set(err, "a second run of a document in flight");
    }
    for (int i = 0; i < p->slots; i++) {
        Flight *f = &p->flights[i];
        if (f->run) continue;
        f->run = run;
        chunk_cursor_init(&f->cursor, run->tokens, run->pos0, run->n, p->o.chunk);
        f->nchunks = chunk_count(run->n, p->o.chunk);
        f->done = 0;
        send_chunks(p);
        return 0;
    }
    return swan_error_set(err, "more runs in flight than --in-flight allows");
}

static void pipeline_end_document(Engine *e, uint64_t doc) {
    PipelineEngine *p = (PipelineEngine *)e;
    OpenDoc *d = doc_of(p, doc);
    if (!d || d->ended) return;
    d->ended = 1;
    /* Same channel as the chunks: arrives after them. */
    Swan__DocEnd end = SWAN__DOC_END__INIT;
    end.doc = doc;
    Swan__Envelope env;
    wire_wrap(&env, SWAN__ENVELOPE__BODY_DOC_END, &end);
    track_send(p, &env, p->plan.stages[0].ranks[0]);
}

/* Every node gets the new scaling and acknowledges it before the next
 * chunk leaves, so no chunk can meet a stage still on the old one. */
static int pipeline_set_log_a(Engine *e, double a, SwanError *err) {
    PipelineEngine *p = (PipelineEngine *)e;
    for (int i = 0; i < p->slots; i++)
        if (p->docs[i].used || p->flights[i].run)
            return swan_error_set(err, "the scaling changes only between documents");
    if (a != 0 && !(a > 1 && a < HUGE_VAL))
        return swan_error_set(err, "a = %g is neither 0 nor a number > 1", a);
    Swan__Rescale r = SWAN__RESCALE__INIT;
    r.log_a = a;
    Swan__Envelope env;
    wire_wrap(&env, SWAN__ENVELOPE__BODY_RESCALE, &r);
    for (int rank = 1; rank < p->world; rank++)
        if (wire_send(&env, rank, TAG_PIPE, err) != 0) wire_fatal(err->msg);
    wait_ready(p);
    return 0;
}

/* A node's Error: one line naming the rank and the reason, then every
 * document not yet written is marked failed; wire.c ends the job. */
static void on_peer_error(void *ctx, int rank, const char *host, const char *msg) {
    PipelineEngine *p = ctx;
    if (host)
        cli_error("rank %d (host %s): %s", rank, host, msg);
    else
        cli_error("rank %d: %s", rank, msg);
    for (int i = 0; i < p->slots; i++)
        if (p->docs[i].used)
            fprintf(stderr, "swan: document %s: failed (in flight when rank %d stopped the job)\n",
                    p->docs[i].label ? p->docs[i].label : "?", rank);
}

static void pipeline_close(Engine *e) {
    PipelineEngine *p = (PipelineEngine *)e;
    /* Stage 0 takes what is still on its way, or the watchdog names it. */
    if (p->watch.ranks) watchdog_arm(&p->watch, 0);
    for (int backoff = 0; p->nsends;) {
        if (reap_sends(p)) continue;
        wire_idle(&backoff);
        if (p->watch.ranks) watchdog_check(&p->watch);
    }
    wire_on_peer_error(NULL, NULL);
    pipeline_release_nodes(p->world);
    memory_guard_free(&p->guard);
    free(p->plan_rank_ids);
    free(p->node_ranks);
    free(p->fixed_bytes);
    free(p->memory_limit);
    free(p->open_lens);
    for (int i = 0; p->docs && i < p->slots; i++) free(p->docs[i].stats);
    free(p->docs);
    free(p->flights);
    free(p->sends);
    free(p->targets);
    free(p->stats_out);
    free(p->weight_bytes);
    free(p->hosts);
    free(p);
}

static const EngineOps pipeline_ops = {pipeline_close,        pipeline_can_open,   pipeline_submit,
                                       pipeline_end_document, pipeline_next_event, pipeline_set_log_a};

/* The default limit as the nodes on this host will work it out. */
static double rank_memory(const PipelineEngine *p) {
    return p->o.max_rank_memory > 0 ? p->o.max_rank_memory : host_rank_share(watch_ranks_on_host(0));
}

/* The plan, with the chunk and documents in flight the cost model chose
 * where the options left them open (0). */
static int plan_pipeline(PipelineEngine *p) {
    Calibration cal;
    const char *from;
    SwanError err;
    if (calibration_find(&cal, p->o.calibration, &from, &err) != 0) {
        cli_error("%s", err.msg);
        return -1;
    }
    PlanRequest req = {.nranks = p->world,
                       .context = p->o.context,
                       .stages_spec = p->o.stages,
                       .nope_group = p->o.nope_group,
                       .chunk = p->o.chunk,
                       .rank_memory = rank_memory(p),
                       .in_flight = p->o.in_flight,
                       .cal = &cal,
                       .rates_from = from,
                       .link_rate = p->o.link_rate,
                       /* --hosts says rank r is on host r mod H; else where they are */
                       .hosts = p->o.hosts ? p->o.hosts : rank_hosts_count(),
                       .host_of = p->o.hosts ? NULL : rank_hosts_index(),
                       .wire_bytes = p->o.activations_bf16 ? 2 : 4};
    if (plan_make(p->cfg, &req, &p->plan, &err) != 0) {
        cli_error("%s", err.msg);
        return -1;
    }
    p->o.chunk = p->base.chunk = p->plan.chunk;
    p->o.in_flight = p->base.in_flight = p->plan.in_flight;
    plan_print(p->cfg, &p->plan, stderr);
    for (int i = 0; i < p->plan.nstages; i++) p->plan_ranks += p->plan.stages[i].nranks;
    return 0;
}

static int alloc_tables(PipelineEngine *p) {
    p->slots = p->o.in_flight > 0 ? p->o.in_flight : 1;
    p->flights = calloc((size_t)p->slots, sizeof *p->flights);
    p->docs = calloc((size_t)p->slots, sizeof *p->docs);
    p->targets = malloc(sizeof(int) * (size_t)p->o.chunk);
    p->stats_out = calloc((size_t)p->plan_ranks, sizeof(RankStats));
    p->weight_bytes = calloc((size_t)p->world, sizeof(long));
    p->hosts = calloc((size_t)p->world, sizeof *p->hosts);
    p->fixed_bytes = calloc((size_t)p->world, sizeof(double));
    p->memory_limit = calloc((size_t)p->world, sizeof(double));
    p->plan_rank_ids = calloc((size_t)p->plan_ranks, sizeof(int));
    p->node_ranks = calloc((size_t)p->world, sizeof(int));
    p->open_lens = calloc((size_t)p->slots, sizeof(long));
    if (!p->flights || !p->docs || !p->targets || !p->stats_out || !p->weight_bytes || !p->hosts ||
        !p->fixed_bytes || !p->memory_limit || !p->plan_rank_ids || !p->node_ranks || !p->open_lens ||
        memory_guard_init(&p->guard, p->cfg, p->plan_ranks) != 0)
        return -1;
    for (int r = 1; r < p->world; r++) p->node_ranks[r - 1] = r;
    for (int k = 0, i = 0; k < p->plan.nstages; k++)
        for (int g = 0; g < p->plan.stages[k].nranks; g++)
            p->plan_rank_ids[i++] = p->plan.stages[k].ranks[g];
    for (int i = 0; i < p->slots; i++)
        if (!(p->docs[i].stats = calloc((size_t)p->plan_ranks, sizeof(RankStats)))) return -1;
    return 0;
}

/* Each plan rank's layers, place in its group, and what its Ready said. */
static void fill_guard(PipelineEngine *p) {
    for (int i = 0; i < p->plan_ranks; i++) {
        int r = p->plan_rank_ids[i], g = 0, k = stage_of(p, r, &g);
        const PlanStage *st = &p->plan.stages[k];
        p->guard.ranks[i] = (GuardRank){r, st->layer_begin,   st->layer_end,     st->nranks,
                                        g, p->fixed_bytes[r], p->memory_limit[r]};
    }
}

Engine *pipeline_engine_open(const SwanConfig *cfg, const EngineOptions *o, int world) {
    PipelineEngine *p = calloc(1, sizeof *p);
    if (!p) {
        cli_error("out of memory");
        return NULL;
    }
    p->base.ops = &pipeline_ops;
    p->cfg = cfg;
    p->o = *o;
    p->world = world;
    if (plan_pipeline(p) != 0 || alloc_tables(p) != 0) {
        if (p->plan_ranks && !p->weight_bytes) cli_error("out of memory");
        pipeline_close(&p->base);
        return NULL;
    }
    p->max_outstanding = PLAN_OUTSTANDING(p->plan.nstages);
    p->max_frame = wire_frame_limit(cfg, p->o.chunk);
    wire_on_peer_error(on_peer_error, p);
    send_setup(p);
    wait_ready(p);
    fill_guard(p);
    return &p->base;
}
