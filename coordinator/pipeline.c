#include "pipeline.h"

#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "wire.h"

typedef struct {
    int used;
    Document doc;
    double *nll;        /* [ntokens]; the last stays unused */
    long nchunks, sent, done;
    int end_sent;
    int nstats;
    RankStats *stats;   /* [plan ranks] */
    double t0;
} Flight;

typedef struct {
    const SwanConfig *cfg;
    const Plan *plan;
    const PipelineOptions *o;
    DocReader *reader;
    ResultSink *sink;
    int world;
    int plan_ranks;       /* ranks that report stats for every document */
    Flight *flights;      /* [in_flight] */
    int nflights;
    int reader_done;
    int next_flight;      /* round-robin cursor */
    long outstanding;     /* chunks sent whose result has not come back */
    long max_outstanding;
    WirePending *sends;
    int nsends, cap_sends;
    int failed;
} Coord;

static int nodes_released;

/* The largest ChunkResult a correct last stage sends. */
static size_t result_frame_limit(const Coord *c) {
    return (size_t)c->o->chunk * 16 + (size_t)c->cfg->vocab_size * 5 + 65536;
}

static void send_to_all_nodes(Swan__Envelope *env, int world) {
    SwanError err;
    for (int r = 1; r < world; r++)
        if (wire_send(env, r, TAG_PIPE, &err) != 0) wire_fatal(err.msg);
}

void pipeline_release_nodes(int world) {
    if (nodes_released || world <= 1) return;
    nodes_released = 1;
    Swan__Shutdown s = SWAN__SHUTDOWN__INIT;
    Swan__Envelope env = SWAN__ENVELOPE__INIT;
    env.body_case = SWAN__ENVELOPE__BODY_SHUTDOWN;
    env.shutdown = &s;
    send_to_all_nodes(&env, world);
}

static void send_setup(Coord *c) {
    const Plan *plan = c->plan;
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
    s.model_dir = (char *)c->o->model_dir;
    s.n_stages = (size_t)plan->nstages;
    s.stages = stage_ptrs;
    s.max_chunk = c->o->chunk;
    s.threads = c->o->threads;
    s.activation_dtype = c->o->activations_bf16 ? SWAN__DTYPE__DTYPE_BF16 : SWAN__DTYPE__DTYPE_F32;
    Swan__Envelope env = SWAN__ENVELOPE__INIT;
    env.body_case = SWAN__ENVELOPE__BODY_SETUP;
    env.setup = &s;
    send_to_all_nodes(&env, c->world);
}

static void wait_ready(Coord *c) {
    for (int got = 0; got < c->world - 1;) {
        int src;
        wire_wait(MPI_ANY_SOURCE, TAG_COORD, &src, NULL);
        Swan__Envelope *env = NULL;
        SwanError err;
        if (wire_recv(src, TAG_COORD, WIRE_SETUP_MAX_FRAME, &env, &err) != 0) wire_fatal(err.msg);
        if (env->body_case != SWAN__ENVELOPE__BODY_READY) {
            swan_error_set(&err, "rank %d sent something other than Ready during set-up", src);
            wire_fatal(err.msg);
        }
        swan__envelope__free_unpacked(env, NULL);
        got++;
    }
}

static int track_send(Coord *c, Swan__Envelope *env, int dest) {
    if (c->nsends == c->cap_sends) {
        int cap = c->cap_sends ? 2 * c->cap_sends : 16;
        WirePending *p = realloc(c->sends, sizeof *p * (size_t)cap);
        if (!p) wire_fatal("out of memory tracking sends");
        c->sends = p;
        c->cap_sends = cap;
    }
    SwanError err;
    if (wire_isend(env, dest, TAG_PIPE, &c->sends[c->nsends], &err) != 0) wire_fatal(err.msg);
    c->nsends++;
    return 0;
}

static int reap_sends(Coord *c) {
    int reaped = 0;
    for (int i = 0; i < c->nsends;)
        if (wire_pending_done(&c->sends[i])) {
            c->sends[i] = c->sends[--c->nsends];
            reaped = 1;
        } else {
            i++;
        }
    return reaped;
}

static void send_chunk(Coord *c, Flight *f) {
    long chunk = c->o->chunk, p0 = f->sent * chunk;
    int m = f->doc.ntokens - p0 < chunk ? (int)(f->doc.ntokens - p0) : (int)chunk;
    int32_t *targets = malloc(sizeof(int32_t) * (size_t)m);
    if (!targets) wire_fatal("out of memory building a chunk");
    for (int i = 0; i < m; i++) targets[i] = p0 + i + 1 < f->doc.ntokens ? f->doc.tokens[p0 + i + 1] : -1;
    Swan__Activation a = SWAN__ACTIVATION__INIT;
    a.doc = (uint64_t)f->doc.seq;
    a.pos0 = p0;
    a.ntok = m;
    a.n_tokens = (size_t)m;
    a.tokens = f->doc.tokens + p0;
    a.n_targets = (size_t)m;
    a.targets = targets;
    Swan__Envelope env = SWAN__ENVELOPE__INIT;
    env.body_case = SWAN__ENVELOPE__BODY_ACTIVATION;
    env.activation = &a;
    track_send(c, &env, c->plan->stages[0].ranks[0]);
    free(targets);
    f->sent++;
    c->outstanding++;
    if (f->sent == f->nchunks) { /* same channel as the chunks: arrives after them */
        Swan__DocEnd e = SWAN__DOC_END__INIT;
        e.doc = (uint64_t)f->doc.seq;
        Swan__Envelope end = SWAN__ENVELOPE__INIT;
        end.body_case = SWAN__ENVELOPE__BODY_DOC_END;
        end.doc_end = &e;
        track_send(c, &end, c->plan->stages[0].ranks[0]);
        f->end_sent = 1;
    }
}

static int start_documents(Coord *c) {
    int started = 0;
    for (int i = 0; i < c->nflights && !c->reader_done; i++) {
        Flight *f = &c->flights[i];
        if (f->used) continue;
        int rc;
        while ((rc = doc_reader_next(c->reader, &f->doc)) < 0) {
            c->failed++;
            sink_skip(c->sink, f->doc.seq);
            progress_document(c->o->progress, 0);
        }
        if (rc == 0) {
            c->reader_done = 1;
            break;
        }
        f->nll = malloc(sizeof(double) * (size_t)f->doc.ntokens);
        if (!f->nll) wire_fatal("out of memory for a document's NLL");
        f->nchunks = (f->doc.ntokens + c->o->chunk - 1) / c->o->chunk;
        f->sent = f->done = f->end_sent = f->nstats = 0;
        f->t0 = cli_now();
        f->used = 1;
        started = 1;
    }
    return started;
}

static int send_chunks(Coord *c) {
    int sent = 0;
    while (c->outstanding < c->max_outstanding) {
        Flight *f = NULL;
        for (int k = 0; k < c->nflights && !f; k++) {
            Flight *cand = &c->flights[(c->next_flight + k) % c->nflights];
            if (cand->used && cand->sent < cand->nchunks) {
                f = cand;
                c->next_flight = (c->next_flight + k + 1) % c->nflights;
            }
        }
        if (!f) break;
        send_chunk(c, f);
        sent = 1;
    }
    return sent;
}

static Flight *flight_of(Coord *c, uint64_t doc, int src) {
    for (int i = 0; i < c->nflights; i++)
        if (c->flights[i].used && (uint64_t)c->flights[i].doc.seq == doc) return &c->flights[i];
    char msg[120];
    snprintf(msg, sizeof msg, "rank %d reported on document %llu, which is not in flight", src,
             (unsigned long long)doc);
    wire_fatal(msg);
}

static void take_result(Coord *c, int src, const Swan__ChunkResult *r) {
    Flight *f = flight_of(c, r->doc, src);
    long chunk = c->o->chunk;
    long expect = f->doc.ntokens - r->pos0 < chunk ? f->doc.ntokens - r->pos0 : chunk;
    if (r->pos0 < 0 || r->pos0 % chunk || r->pos0 >= f->doc.ntokens || (long)r->n_nll != expect) {
        char msg[160];
        snprintf(msg, sizeof msg, "rank %d sent %zu NLL values at position %lld, expected %ld", src,
                 r->n_nll, (long long)r->pos0, expect);
        wire_fatal(msg);
    }
    memcpy(f->nll + r->pos0, r->nll, sizeof(double) * r->n_nll);
    f->done++;
    c->outstanding--;
    progress_tokens(c->o->progress, (long)r->n_nll);
}

static void take_stats(Coord *c, int src, const Swan__DocStats *s) {
    Flight *f = flight_of(c, s->doc, src);
    if (f->nstats >= c->plan_ranks) wire_fatal("more cache reports than ranks for a document");
    f->stats[f->nstats++] = (RankStats){src, (long)s->window_cache_bytes, (long)s->global_cache_bytes,
                                        s->global_attention_seconds, (long)s->pipe_bytes_sent,
                                        (long)s->shard_bytes_sent};
}

static int collect(Coord *c, size_t max_frame) {
    int src, got = 0;
    while (wire_poll(MPI_ANY_SOURCE, TAG_COORD, &src, NULL)) {
        Swan__Envelope *env = NULL;
        SwanError err;
        if (wire_recv(src, TAG_COORD, max_frame, &env, &err) != 0) wire_fatal(err.msg);
        if (env->body_case == SWAN__ENVELOPE__BODY_CHUNK_RESULT)
            take_result(c, src, env->chunk_result);
        else if (env->body_case == SWAN__ENVELOPE__BODY_DOC_STATS)
            take_stats(c, src, env->doc_stats);
        else {
            swan_error_set(&err, "unexpected message (case %d) from rank %d", (int)env->body_case, src);
            wire_fatal(err.msg);
        }
        swan__envelope__free_unpacked(env, NULL);
        got = 1;
    }
    return got;
}

static int compare_stats(const void *a, const void *b) {
    return ((const RankStats *)a)->rank - ((const RankStats *)b)->rank;
}

static int finish_documents(Coord *c) {
    int finished = 0;
    for (int i = 0; i < c->nflights; i++) {
        Flight *f = &c->flights[i];
        if (!f->used || f->done < f->nchunks || f->nstats < c->plan_ranks) continue;
        qsort(f->stats, (size_t)f->nstats, sizeof *f->stats, compare_stats);
        if (sink_document(c->sink, f->doc.seq, f->doc.id, f->doc.ntokens, f->nll, cli_now() - f->t0,
                          f->stats, f->nstats) != 0)
            wire_fatal("cannot record a finished document");
        progress_document(c->o->progress, 1);
        document_free(&f->doc);
        free(f->nll);
        f->nll = NULL;
        f->used = 0;
        finished = 1;
    }
    return finished;
}

static int any_in_flight(const Coord *c) {
    for (int i = 0; i < c->nflights; i++)
        if (c->flights[i].used) return 1;
    return 0;
}

int pipeline_score(const SwanConfig *cfg, const Plan *plan, const PipelineOptions *o,
                   DocReader *reader, ResultSink *sink, int world) {
    Coord c;
    memset(&c, 0, sizeof c);
    c.cfg = cfg, c.plan = plan, c.o = o, c.reader = reader, c.sink = sink, c.world = world;
    for (int i = 0; i < plan->nstages; i++) c.plan_ranks += plan->stages[i].nranks;
    c.nflights = o->in_flight;
    c.max_outstanding = 2L * plan->nstages + 2;
    c.flights = calloc((size_t)c.nflights, sizeof *c.flights);
    for (int i = 0; c.flights && i < c.nflights; i++)
        if (!(c.flights[i].stats = calloc((size_t)c.plan_ranks, sizeof(RankStats)))) wire_fatal("out of memory");
    if (!c.flights) wire_fatal("out of memory");
    send_setup(&c);
    wait_ready(&c);
    size_t max_frame = result_frame_limit(&c);
    for (int backoff = 0; !c.reader_done || any_in_flight(&c) || c.nsends;) {
        int progress = start_documents(&c);
        progress |= send_chunks(&c);
        progress |= reap_sends(&c);
        progress |= collect(&c, max_frame);
        progress |= finish_documents(&c);
        if (progress)
            backoff = 0;
        else
            wire_idle(&backoff);
    }
    pipeline_release_nodes(world);
    for (int i = 0; i < c.nflights; i++) free(c.flights[i].stats);
    free(c.flights);
    free(c.sends);
    return c.failed;
}

/* ---- one document at a time, with logits back: generation ---- */

struct PipelineSession {
    Coord c;
    size_t max_frame;
};

PipelineSession *pipeline_open(const SwanConfig *cfg, const Plan *plan, const PipelineOptions *o, int world) {
    PipelineSession *s = calloc(1, sizeof *s);
    if (!s) wire_fatal("out of memory");
    s->c.cfg = cfg, s->c.plan = plan, s->c.o = o, s->c.world = world;
    for (int i = 0; i < plan->nstages; i++) s->c.plan_ranks += plan->stages[i].nranks;
    s->c.max_outstanding = 2L * plan->nstages + 2;
    s->max_frame = result_frame_limit(&s->c);
    send_setup(&s->c);
    wait_ready(&s->c);
    return s;
}

static void send_tokens(PipelineSession *s, uint64_t doc, const int *tokens, long pos0, int m, int want_logits) {
    int32_t *targets = malloc(sizeof(int32_t) * (size_t)m);
    if (!targets) wire_fatal("out of memory building a chunk");
    for (int i = 0; i < m; i++) targets[i] = -1;
    Swan__Activation a = SWAN__ACTIVATION__INIT;
    a.doc = doc;
    a.pos0 = pos0;
    a.ntok = m;
    a.n_tokens = (size_t)m;
    a.tokens = (int32_t *)tokens;
    a.n_targets = (size_t)m;
    a.targets = targets;
    a.want_logits = want_logits;
    Swan__Envelope env = SWAN__ENVELOPE__INIT;
    env.body_case = SWAN__ENVELOPE__BODY_ACTIVATION;
    env.activation = &a;
    track_send(&s->c, &env, s->c.plan->stages[0].ranks[0]);
    free(targets);
}

/* Waits for the next message from the nodes; returns it (caller frees). */
static Swan__Envelope *next_report(PipelineSession *s, int *src) {
    int backoff = 0;
    while (!wire_poll(MPI_ANY_SOURCE, TAG_COORD, src, NULL)) {
        reap_sends(&s->c);
        wire_idle(&backoff);
    }
    Swan__Envelope *env = NULL;
    SwanError err;
    if (wire_recv(*src, TAG_COORD, s->max_frame, &env, &err) != 0) wire_fatal(err.msg);
    return env;
}

int pipeline_run_tokens(PipelineSession *s, uint64_t doc, const int *tokens, long pos0, long n,
                        float *logits) {
    long chunk = s->c.o->chunk, sent = 0, done = 0, nchunks = (n + chunk - 1) / chunk;
    while (done < nchunks) {
        while (sent < nchunks && sent - done < s->c.max_outstanding) {
            long p = sent * chunk;
            int m = n - p < chunk ? (int)(n - p) : (int)chunk;
            send_tokens(s, doc, tokens + p, pos0 + p, m, sent == nchunks - 1);
            sent++;
        }
        int src;
        Swan__Envelope *env = next_report(s, &src);
        Swan__ChunkResult *r = env->chunk_result;
        if (env->body_case != SWAN__ENVELOPE__BODY_CHUNK_RESULT || r->doc != doc)
            wire_fatal("unexpected report from the last stage during generation");
        if (r->pos0 == pos0 + (nchunks - 1) * chunk) {
            if (r->n_logits != (size_t)s->c.cfg->vocab_size) wire_fatal("last stage sent no logits");
            memcpy(logits, r->logits, sizeof(float) * r->n_logits);
        }
        swan__envelope__free_unpacked(env, NULL);
        done++;
    }
    while (s->c.nsends) reap_sends(&s->c);
    return 0;
}

void pipeline_end_document(PipelineSession *s, uint64_t doc) {
    Swan__DocEnd e = SWAN__DOC_END__INIT;
    e.doc = doc;
    Swan__Envelope end = SWAN__ENVELOPE__INIT;
    end.body_case = SWAN__ENVELOPE__BODY_DOC_END;
    end.doc_end = &e;
    track_send(&s->c, &end, s->c.plan->stages[0].ranks[0]);
    for (int stats = 0; stats < s->c.plan_ranks;) {
        int src;
        Swan__Envelope *env = next_report(s, &src);
        if (env->body_case != SWAN__ENVELOPE__BODY_DOC_STATS) wire_fatal("unexpected report at document end");
        swan__envelope__free_unpacked(env, NULL);
        stats++;
    }
    while (s->c.nsends) reap_sends(&s->c);
}

void pipeline_close(PipelineSession *s) {
    pipeline_release_nodes(s->c.world);
    free(s->c.sends);
    free(s);
}
