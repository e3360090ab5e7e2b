/* Rank 0's deadlines on the nodes: the hung-rank watchdog.
 *
 * Every wait of rank 0 on the nodes has a deadline sized by the work it
 * waits for: the planner's FLOP estimate of that work at a deliberately
 * slow rate (WATCHDOG_SLOW_FLOPS per rank, slower still when the host has
 * more ranks than cores), times WATCHDOG_MARGIN, never below --rank-timeout.
 * The clock restarts whenever the nodes make progress. When it runs out,
 * rank 0 asks the nodes (proto/watch.h); a rank that does not answer ends
 * the job with "rank N (host H): no answer for S s while ...". When every
 * rank answers, all are alive and the clock restarts. */
#ifndef SWAN_WATCHDOG_H
#define SWAN_WATCHDOG_H

#include <stddef.h>

#define WATCHDOG_SLOW_FLOPS 1e9
/* Loading maps the weights: bytes read at a slow disk's rate. */
#define WATCHDOG_SLOW_LOAD_BYTES 50e6
#define WATCHDOG_MARGIN 4.0
#define WATCHDOG_DEFAULT_TIMEOUT 120.0

/* Writes what rank should be doing now ("computing stage 1 ...") into buf. */
typedef void (*WatchdogDescribeFn)(void *ctx, int rank, char *buf, size_t n);

typedef struct {
    double floor;     /* --rank-timeout */
    double slowdown;  /* ranks per core on this host, at least 1 */
    double start;     /* when the awaited work began or last progressed */
    double allowed;   /* seconds from start */
    const int *ranks; /* whom to ask (not owned) */
    int nranks;
    WatchdogDescribeFn describe;
    void *ctx;
} Watchdog;

void watchdog_init(Watchdog *w, double floor, const int *ranks, int nranks, WatchdogDescribeFn describe,
                   void *ctx);
/* Restarts the clock for work estimated at flops. */
void watchdog_arm(Watchdog *w, double flops);
/* Restarts the clock for loading this many bytes of weights. */
void watchdog_arm_load(Watchdog *w, double bytes);
/* While waiting: past the deadline, finds the silent rank and ends the job,
 * or restarts the clock when every rank answers. */
void watchdog_check(Watchdog *w);

#endif
