/* Rank 0's side of a multi-rank run: sends the plan, streams documents'
 * chunks into the pipeline with several documents in flight, and collects
 * per-token NLL and per-rank cache statistics as they come back. */
#ifndef SWAN_PIPELINE_H
#define SWAN_PIPELINE_H

#include "config.h"
#include "documents.h"
#include "planner.h"
#include "sink.h"

typedef struct {
    const char *model_dir;
    int chunk;
    int threads;
    int in_flight;
} PipelineOptions;

/* Returns the number of documents that failed, or -1 when the run could
 * not go on (the message is printed). */
int pipeline_score(const SwanConfig *cfg, const Plan *plan, const PipelineOptions *o,
                   DocReader *reader, ResultSink *sink, int world);

/* Tells every node rank to exit (once; later calls do nothing). */
void pipeline_release_nodes(int world);

#endif
