/* What `swan bench calibrate` measured on a machine, as the cost model of
 * `swan plan --project` reads it: the rates one rank (one core) reaches on
 * the layers' weight products and on attention, window and global. Saved as
 * a small JSON file so a plan for a cluster can be made on a laptop from
 * figures measured on one of the cluster's nodes. */
#ifndef SWAN_CALIBRATION_H
#define SWAN_CALIBRATION_H

#include "error.h"

#define CALIBRATION_DEFAULT_FILE "swan-calibration.json"

typedef struct {
    double gemm_gflops;             /* weight products of a chunk of rows */
    double attention_window_gflops; /* window layers' attention */
    double attention_global_gflops; /* global layers' attention */
    double message_seconds;         /* fixed cost of one activation hop between ranks */
    long context, chunk;            /* what the figures were measured at */
    int threads;                    /* threads per rank they were measured with */
} Calibration;

int calibration_save(const Calibration *c, const char *path, SwanError *err);
int calibration_load(Calibration *c, const char *path, SwanError *err);

#endif
