/* A small pool of worker threads for the work OpenBLAS does not spread over
 * cores itself: attention, whose tiles are too small for BLAS threading to
 * pay. The caller's thread takes part; the others sleep on a condition
 * variable between jobs, so an idle rank leaves the cores to the busy ones. */
#ifndef SWAN_PARALLEL_H
#define SWAN_PARALLEL_H

#include <stddef.h>

/* task(ctx, item, worker) for item in [0, items): each item once, worker in
 * [0, parallel_workers()) says whose scratch to use. */
typedef void (*ParallelTask)(void *ctx, int item, int worker);

/* Threads taking part, the caller included (1: no extra threads). Changing
 * it stops the old workers and starts new ones; returns the count in force. */
int parallel_set_workers(int workers);
int parallel_workers(void);

/* Runs every item and returns when all are done. Not reentrant: one job at
 * a time, from one thread. */
void parallel_for(int items, ParallelTask task, void *ctx);

/* fn(args, r0, r1) over rows [0, rows) of a row-wise kernel: in blocks
 * spread over the pool when rows x width floats are worth waking it for,
 * else at once on the calling thread. */
void parallel_rows(void (*fn)(void *args, int r0, int r1), void *args, int rows, size_t width);

#endif
