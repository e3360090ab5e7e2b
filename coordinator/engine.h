/* Where chunks are computed, behind one interface: this process (a local
 * engine, the whole model as one stage) or the MPI pipeline (rank 0 feeding
 * the node ranks). The rank count picks one, once, in engine_open; scoring
 * and generation never ask which it is.
 *
 * A run is "these tokens of this document, from this position": the engine
 * cuts it into chunks (model/chunks.h) and reports when it is done, with
 * the NLL of each next token or the last token's logits, as asked. A
 * document's caches live in the engine from its first run until
 * engine_end_document, whose statistics come back as an event. */
#ifndef SWAN_ENGINE_H
#define SWAN_ENGINE_H

#include <stdint.h>

#include "config.h"
#include "error.h"
#include "matrix.h"
#include "planner.h"
#include "progress.h"
#include "sink.h"

typedef struct {
    const char *model_dir;
    int chunk;               /* tokens per chunk; 0: 512 alone, the planner's choice under MPI */
    int threads;             /* BLAS threads per rank (0: the library's, one process only) */
    int in_flight;           /* documents open at once (the pipeline's depth); 0: 4 alone,
                                the planner's choice under MPI */
    int activations_bf16;    /* pipeline: stage boundaries carry bf16 */
    ComputeMode compute;     /* how every rank's many-row products compute */
    const char *stages;      /* pipeline: --stages override, or NULL */
    int nope_group;          /* pipeline: ranks per global-layer group */
    long context;            /* pipeline: length the planner balances for */
    Progress *progress;      /* NULL: none; told of tokens as chunks finish */
    double rank_timeout;     /* pipeline: the least seconds any wait on a rank is allowed */
    double max_rank_memory;  /* bytes a rank may use; 0: its share of its host */
    const char *calibration; /* pipeline: the planner's rates; NULL: calibration_find's */
    double link_rate;        /* pipeline: bits/s of each host's link; 0: not a limit */
    int hosts;               /* pipeline: hosts the ranks are spread over; 0: not known */
} EngineOptions;

/* The caller's, alive and unchanged until its event. */
typedef struct {
    uint64_t doc;
    const char *label; /* names the document in messages */
    const int *tokens; /* [n], tokens[0] at position pos0 */
    long pos0, n;
    double *nll;     /* NULL, or [n]: nll[i] = NLL of tokens[i + 1] (the last is NAN) */
    float *logits;   /* NULL, or [vocab]: the last token's logits */
    long expect_len; /* the document's length when it ends (0: pos0 + n), for the memory guard */
} EngineRun;

typedef enum { ENGINE_RUN_DONE, ENGINE_RUN_FAILED, ENGINE_DOC_STATS } EngineEventKind;

typedef struct {
    EngineEventKind kind;
    EngineRun *run;             /* RUN_DONE, RUN_FAILED */
    char error[SWAN_ERROR_MAX]; /* RUN_FAILED */
    uint64_t doc;               /* DOC_STATS */
    const RankStats *stats;     /* DOC_STATS: one per rank, by rank; valid until the next call */
    int nstats;
} EngineEvent;

typedef struct Engine Engine;

/* NULL when it cannot start (the message is printed). cfg outlives it. */
Engine *engine_open(const SwanConfig *cfg, const EngineOptions *o, int world);
/* Documents the engine takes at once: as given, or as the planner chose. */
int engine_in_flight(const Engine *e);
/* Ends the engine; under MPI the node ranks are told to exit. */
void engine_close(Engine *e);
/* 1 when another document may open now. */
int engine_can_open(const Engine *e);
/* Starts a run; its document opens with its first run. -1 when the run is
 * refused (message in err): among others, a document that would not fit a
 * rank's memory. */
int engine_submit(Engine *e, EngineRun *run, SwanError *err);
/* The document is done: its caches go, its DOC_STATS event follows. */
void engine_end_document(Engine *e, uint64_t doc);
/* 1 and the next event; 0 when none is pending (all runs and documents
 * have reported). Waits for one while work is in flight. */
int engine_next_event(Engine *e, EngineEvent *ev);

/* Every rank's global NoPE layers use s(p) = ln(p + a) / ln(a) from now
 * on, or no scaling when a is 0, in place of config.json's form (swan
 * fit-scaling). Only while no document is open; -1 with err otherwise. */
int engine_set_log_a(Engine *e, double a, SwanError *err);

/* One run start to finish (generation): 0 when done, -1 with the message
 * printed. */
int engine_run(Engine *e, EngineRun *run);

/* Tells every node rank to exit when no engine ever started (once; later
 * calls do nothing). */
void engine_release_nodes(int world);

#endif
