#include "engine.h"

#include "cli.h"
#include "engine_impl.h"

Engine *engine_open(const SwanConfig *cfg, const EngineOptions *o, int world) {
    return world > 1 ? pipeline_engine_open(cfg, o, world) : local_engine_open(cfg, o);
}

int engine_in_flight(const Engine *e) {
    return e->in_flight;
}

void engine_close(Engine *e) {
    if (e) e->ops->close(e);
}

int engine_can_open(const Engine *e) {
    return e->ops->can_open(e);
}

int engine_submit(Engine *e, EngineRun *run, SwanError *err) {
    return e->ops->submit(e, run, err);
}

void engine_end_document(Engine *e, uint64_t doc) {
    e->ops->end_document(e, doc);
}

int engine_next_event(Engine *e, EngineEvent *ev) {
    return e->ops->next_event(e, ev);
}

int engine_set_log_a(Engine *e, double a, SwanError *err) {
    return e->ops->set_log_a(e, a, err);
}

int engine_run(Engine *e, EngineRun *run) {
    SwanError err;
    if (engine_submit(e, run, &err) != 0) {
        cli_error("%s: %s", run->label, err.msg);
        return -1;
    }
    EngineEvent ev;
    while (engine_next_event(e, &ev)) {
        if (ev.run != run) continue; /* statistics of a document ended earlier */
        if (ev.kind == ENGINE_RUN_DONE) return 0;
        cli_error("%s: %s", run->label, ev.error);
        return -1;
    }
    cli_error("%s: the engine stopped before the run finished", run->label);
    return -1;
}

void engine_release_nodes(int world) {
    pipeline_release_nodes(world);
}
