/* What `swan bench calibrate` measured on a machine, as the cost model of
 * `swan plan --project` reads it: the rates one rank (one core) reaches on
 * the layers' weight products and on attention, window and global. Saved as
 * a small JSON file so a plan for a cluster can be made on a laptop from
 * figures measured on one of the cluster's nodes. */
#ifndef SWAN_CALIBRATION_H
#define SWAN_CALIBRATION_H

#include "error.h"

#define CALIBRATION_DEFAULT_FILE "swan-calibration.json"
/* The built-in rates (calibration_defaults). */
#define CALIBRATION_GEMM_GFLOPS 40.0
#define CALIBRATION_ATTENTION_GFLOPS 10.0
#define CALIBRATION_MESSAGE_SECONDS 150e-6
#define CALIBRATION_BYTE_SECONDS 2e-9

/* The products' rate by chunk: a chunk of few rows runs them slower. */
#define CALIBRATION_CHUNKS 6 /* 64, 128, ..., 2048 */
#define CALIBRATION_FIRST_CHUNK 64

typedef struct {
    double gemm_gflops;                       /* weight products of a chunk of rows */
    double gemm_by_chunk[CALIBRATION_CHUNKS]; /* the same at 64 << k rows; all 0: not
                                                 measured, gemm_gflops at any chunk */
    double attention_window_gflops;           /* window layers' attention */
    double attention_global_gflops;           /* global layers' attention */
    double message_seconds;                   /* fixed cost of one message between ranks */
    double byte_seconds;                      /* and of each byte it carries (packing, copies, TCP) */
    double host_byte_seconds;                 /* more a byte costs the cores when it crosses to
                                                 another host: the network stack past loopback */
    long context, chunk;                      /* what the figures were measured at */
    int threads;                              /* threads per rank they were measured with */
} Calibration;

/* Rates for when nothing was measured: one core of a 2020s x86 server with
 * OpenBLAS, one thread (README, "The cost model"), and a hop of about what
 * TCP between hosts costs. */
void calibration_defaults(Calibration *c);

/* The rates the planner uses: path's when given (an error if it cannot be
 * read), else CALIBRATION_DEFAULT_FILE's when that exists here, else the
 * defaults. *from names which (the path, or NULL for the defaults). */
int calibration_find(Calibration *c, const char *path, const char **from, SwanError *err);

/* The products' GFLOP/s at chunk rows: interpolated over log2 of the
 * chunk between the measured ones (the nearest outside them). */
double calibration_gemm_gflops(const Calibration *c, long chunk);
/* The same over a bare table of CALIBRATION_CHUNKS rates. */
double calibration_gemm_of(const double *by_chunk, long chunk);

int calibration_save(const Calibration *c, const char *path, SwanError *err);
int calibration_load(Calibration *c, const char *path, SwanError *err);

#endif
