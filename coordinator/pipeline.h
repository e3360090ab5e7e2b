/* Rank 0's side of a multi-rank run: sends the plan, streams documents'
 * chunks into the pipeline with several documents in flight, and collects
 * per-token NLL and per-rank cache statistics as they come back. */
#ifndef SWAN_PIPELINE_H
#define SWAN_PIPELINE_H

#include <stdint.h>

#include "config.h"
#include "documents.h"
#include "planner.h"
#include "progress.h"
#include "sink.h"

typedef struct {
    const char *model_dir;
    int chunk;
    int threads;
    int in_flight;
    int activations_bf16;  /* stage boundaries carry bf16: half the bytes, not exact */
    Progress *progress;    /* NULL: none */
} PipelineOptions;

/* Returns the number of documents that failed, or -1 when the run could
 * not go on (the message is printed). */
int pipeline_score(const SwanConfig *cfg, const Plan *plan, const PipelineOptions *o,
                   DocReader *reader, ResultSink *sink, int world);

/* One document at a time with the last token's logits back (generation). */
typedef struct PipelineSession PipelineSession;
PipelineSession *pipeline_open(const SwanConfig *cfg, const Plan *plan, const PipelineOptions *o, int world);
/* Runs tokens at positions pos0.. through the pipeline in chunks; logits[V]
 * receives the last token's logits. */
int pipeline_run_tokens(PipelineSession *s, uint64_t doc, const int *tokens, long pos0, long n,
                        float *logits);
void pipeline_end_document(PipelineSession *s, uint64_t doc);
void pipeline_close(PipelineSession *s);

/* Tells every node rank to exit (once; later calls do nothing). */
void pipeline_release_nodes(int world);

#endif
