/* The local engine: the whole model in this process as one stage, one
 * document at a time. Runs are computed when submitted; their events wait
 * in a short queue. */
#include <stdlib.h>
#include <string.h>

#include "chunks.h"
#include "cli.h"
#include "engine_impl.h"
#include "host_memory.h"
#include "kernels.h"
#include "memory_guard.h"
#include "memory_need.h"
#include "model.h"
#include "parallel.h"
#include "process_usage.h"

#define LOCAL_QUEUE 4

typedef struct {
    Engine base;
    EngineOptions o;
    SwanModel model;
    Stage stage;
    int open; /* a document has caches here */
    uint64_t doc;
    DocCaches caches;
    RankStats stats;
    EngineEvent queue[LOCAL_QUEUE];
    int nqueue;
    MemoryGuard guard; /* this process, the whole model */
} LocalEngine;

static void push_event(LocalEngine *l, const EngineEvent *ev) {
    if (l->nqueue < LOCAL_QUEUE) l->queue[l->nqueue++] = *ev;
}

static int local_can_open(const Engine *e) {
    return !((const LocalEngine *)e)->open;
}

static int open_document(LocalEngine *l, const EngineRun *run, SwanError *err) {
    if (l->open && l->doc != run->doc)
        return swan_error_set(err, "a second document while one is open (one at a time here)");
    if (l->open) return 0;
    if (run->pos0 != 0) return swan_error_set(err, "a document must start at position 0");
    if (memory_guard_check(&l->guard, run->expect_len > 0 ? run->expect_len : run->n, err) != 0)
        return -1;
    const SwanConfig *cfg = &l->model.cfg;
    if (doc_caches_init(&l->caches, cfg, 0, cfg->num_layers, err) != 0) return -1;
    l->open = 1;
    l->doc = run->doc;
    return 0;
}

static int local_submit(Engine *e, EngineRun *run, SwanError *err) {
    LocalEngine *l = (LocalEngine *)e;
    if (open_document(l, run, err) != 0) return -1;
    if (run->pos0 != l->caches.pos)
        return swan_error_set(err, "run at position %ld, the document is at %ld", run->pos0,
                              l->caches.pos);
    EngineEvent ev;
    memset(&ev, 0, sizeof ev);
    ev.run = run;
    ev.kind = ENGINE_RUN_DONE;
    if (run_tokens(&l->stage, &l->caches, run->tokens, run->n, l->o.chunk, run->nll, run->logits,
                   err) != 0) {
        ev.kind = ENGINE_RUN_FAILED;
        snprintf(ev.error, sizeof ev.error, "%s", err->msg);
    }
    if (ev.kind == ENGINE_RUN_DONE) progress_tokens(l->o.progress, run->n);
    push_event(l, &ev);
    return 0;
}

static void local_end_document(Engine *e, uint64_t doc) {
    LocalEngine *l = (LocalEngine *)e;
    if (!l->open || l->doc != doc) return;
    const SwanConfig *cfg = &l->model.cfg;
    l->stats = (RankStats){.rank = 0,
                           .window_cache_bytes = (long)doc_caches_bytes(&l->caches, cfg, LAYER_WINDOW),
                           .global_cache_bytes = (long)doc_caches_bytes(&l->caches, cfg, LAYER_GLOBAL),
                           .global_attention_seconds = l->caches.global_attention_seconds,
                           .weight_bytes = (long)l->model.w.bytes,
                           .peak_rss_bytes = peak_rss_bytes(),
                           .cpu_seconds = process_cpu_seconds()};
    host_name(l->stats.host, sizeof l->stats.host);
    doc_caches_free(&l->caches);
    l->open = 0;
    EngineEvent ev;
    memset(&ev, 0, sizeof ev);
    ev.kind = ENGINE_DOC_STATS;
    ev.doc = doc;
    ev.stats = &l->stats;
    ev.nstats = 1;
    push_event(l, &ev);
}

static int local_next_event(Engine *e, EngineEvent *ev) {
    LocalEngine *l = (LocalEngine *)e;
    if (l->nqueue == 0) return 0;
    *ev = l->queue[0];
    memmove(l->queue, l->queue + 1, sizeof *l->queue * (size_t)--l->nqueue);
    return 1;
}

static int local_set_log_a(Engine *e, double a, SwanError *err) {
    LocalEngine *l = (LocalEngine *)e;
    if (l->open) return swan_error_set(err, "the scaling changes only between documents");
    if (swan_config_set_log_a(&l->model.cfg, a) != 0)
        return swan_error_set(err, "a = %g is neither 0 nor a number > 1", a);
    return 0;
}

static void local_close(Engine *e) {
    LocalEngine *l = (LocalEngine *)e;
    if (l->open) doc_caches_free(&l->caches);
    stage_close(&l->stage);
    swan_model_free(&l->model);
    memory_guard_free(&l->guard);
    free(l);
}

static const EngineOps local_ops = {local_close,        local_can_open,   local_submit,
                                    local_end_document, local_next_event, local_set_log_a};

static int open_guard(LocalEngine *l) {
    const SwanConfig *cfg = &l->model.cfg;
    if (memory_guard_init(&l->guard, cfg, 1) != 0) return -1;
    double scratch = need_leader_scratch_bytes(cfg, l->o.chunk, 1, 1, parallel_workers());
    double limit = l->o.max_rank_memory > 0 ? l->o.max_rank_memory : host_rank_share(1);
    l->guard.ranks[0] = (GuardRank){0,    0, cfg->num_layers, 1, 0, (double)l->model.w.bytes + scratch,
                                    limit};
    return 0;
}

Engine *local_engine_open(const SwanConfig *cfg, const EngineOptions *o) {
    (void)cfg; /* the engine loads its own copy with the weights */
    LocalEngine *l = calloc(1, sizeof *l);
    if (!l) {
        cli_error("out of memory");
        return NULL;
    }
    l->base.ops = &local_ops;
    l->o = *o;
    /* One process has no pipeline to plan: the defaults of old. */
    if (l->o.chunk <= 0) l->o.chunk = 512;
    if (l->o.in_flight <= 0) l->o.in_flight = 4;
    l->base.chunk = l->o.chunk;
    l->base.in_flight = l->o.in_flight;
    kernels_set_threads(o->threads);
    if (cli_set_compute(o->compute) != 0) {
        local_close(&l->base);
        return NULL;
    }
    SwanError err;
    if (swan_model_load(&l->model, o->model_dir, 0, -1, 1, 1, &err) != 0 ||
        stage_open(&l->stage, &l->model.cfg, &l->model.w, l->o.chunk, &err) != 0) {
        cli_error("%s", err.msg);
        local_close(&l->base);
        return NULL;
    }
    if (open_guard(l) != 0) {
        cli_error("out of memory");
        local_close(&l->base);
        return NULL;
    }
    return &l->base;
}
