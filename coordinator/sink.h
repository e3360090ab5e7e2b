/* Where finished documents go: one JSON line each, appended and made
 * durable (fsync) as soon as the document is done, whatever the order; and
 * the optional per-token NLL dump, kept in input order.
 *
 * With resume, the output file's lines say which documents are done: a run
 * killed at any point leaves only complete lines plus at most one partial
 * last line, which is cut off before anything is appended. */
#ifndef SWAN_SINK_H
#define SWAN_SINK_H

#include <stdio.h>

#include "host_name.h"

typedef struct {
    int rank;
    long window_cache_bytes, global_cache_bytes;
    double global_attention_seconds;
    long pipe_bytes_sent, shard_bytes_sent;
    long weight_bytes;        /* the rank's weights in memory, as stored */
    long peak_rss_bytes;      /* the rank's peak resident memory when the document ended */
    double cpu_seconds;       /* the rank's CPU time (user and system) by then */
    char host[SWAN_HOST_MAX]; /* where the rank runs: its host name */
} RankStats;

typedef struct {
    long seq;
    double *nll; /* owned while pending */
    long count;
} PendingDump;

typedef struct {
    char *id;   /* owned; NULL: free slot */
    long count; /* lines with this id not yet matched to an input */
} DoneId;

typedef struct {
    FILE *out;
    const char *out_name;
    FILE *dump;
    const char *dump_name;
    long next_dump_seq;   /* the dump has every document before this */
    PendingDump *pending; /* finished out of order, waiting for earlier ones */
    int npending, cap_pending;
    DoneId *done; /* resume: ids already in the output (hash set) */
    size_t done_cap, done_used;
    long done_lines;
    char model[32]; /* the fingerprint every line carries and resume checks */
    int failed;     /* a write failed: reported once, nothing more is written */
} ResultSink;

/* out_path NULL: stdout. dump_path NULL: no dump. resume (needs out_path):
 * reads the ids already in out_path, cutting off a partial last line, and
 * refuses a file with lines that are not this model's results. */
int sink_open(ResultSink *s, const char *out_path, const char *dump_path, int resume,
              const char *model);
void sink_close(ResultSink *s);

/* Resume: 1 when a line for id is already in the output (each line stands
 * for one document: an id on two lines skips two documents of that id). */
int sink_take_done(ResultSink *s, const char *id);

/* Records a finished document (nll: ntokens - 1 values, still the caller's).
 * A line that cannot be written whole is taken back off the file (a full
 * disk leaves only whole lines), reported once, and the sink writes nothing
 * more: -1 then and for every later document. */
int sink_document(ResultSink *s, long seq, const char *id, long ntokens, const double *nll,
                  double seconds, const RankStats *stats, int nstats);
/* Records that input seq produced no result, so the dump does not wait for it. */
int sink_skip(ResultSink *s, long seq);

#endif
