#include "watchdog.h"

#include <mpi.h>
#include <stdio.h>
#include <unistd.h>

#include "watch.h"
#include "wire.h"

void watchdog_init(Watchdog *w, double floor, const int *ranks, int nranks, WatchdogDescribeFn describe,
                   void *ctx) {
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    int rank = 0;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    double per_core = cores > 0 ? (double)watch_ranks_on_host(rank) / cores : 1;
    *w = (Watchdog){.floor = floor,
                    .slowdown = per_core > 1 ? per_core : 1,
                    .ranks = ranks,
                    .nranks = nranks,
                    .describe = describe,
                    .ctx = ctx};
    watchdog_arm(w, 0);
}

static void arm_seconds(Watchdog *w, double estimate) {
    double s = WATCHDOG_MARGIN * w->slowdown * estimate;
    w->start = wire_now();
    w->allowed = s > w->floor ? s : w->floor;
}

void watchdog_arm(Watchdog *w, double flops) {
    arm_seconds(w, flops / WATCHDOG_SLOW_FLOPS);
}

void watchdog_arm_load(Watchdog *w, double bytes) {
    arm_seconds(w, bytes / WATCHDOG_SLOW_LOAD_BYTES);
}

void watchdog_check(Watchdog *w) {
    double waited = wire_now() - w->start;
    if (waited < w->allowed) return;
    WatchVerdict v;
    watch_probe(w->ranks, w->nranks, WATCH_GRACE_SECONDS, &v);
    if (v.rank < 0) { /* all alive, only slow: give them another deadline */
        w->start = wire_now();
        return;
    }
    char owed[256];
    if (v.owed[0])
        snprintf(owed, sizeof owed, "%s", v.owed);
    else
        w->describe(w->ctx, v.rank, owed, sizeof owed);
    double seconds = v.seconds > 0 ? v.seconds : wire_now() - w->start;
    wire_end_job_silent(v.rank, watch_host(v.rank), seconds, owed);
}
