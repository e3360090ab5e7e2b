/* What an engine implementation provides (engine_local.c, engine_pipeline.c);
 * engine.c dispatches to it. Private to those three files. */
#ifndef SWAN_ENGINE_IMPL_H
#define SWAN_ENGINE_IMPL_H

#include "engine.h"

typedef struct {
    void (*close)(Engine *e);
    int (*can_open)(const Engine *e);
    int (*submit)(Engine *e, EngineRun *run, SwanError *err);
    void (*end_document)(Engine *e, uint64_t doc);
    int (*next_event)(Engine *e, EngineEvent *ev);
    int (*set_log_a)(Engine *e, double a, SwanError *err);
} EngineOps;

/* Every implementation's struct starts with this. */
struct Engine {
    const EngineOps *ops;
    int chunk, in_flight; /* as given, or as the planner chose them */
};

Engine *local_engine_open(const SwanConfig *cfg, const EngineOptions *o);
Engine *pipeline_engine_open(const SwanConfig *cfg, const EngineOptions *o, int world);
void pipeline_release_nodes(int world);

#endif
