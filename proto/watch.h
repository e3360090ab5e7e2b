/* Liveness between ranks: the hung-rank watchdog's wire side.
 *
 * A rank stopped by the kernel, a debugger or a dead NFS mount sends
 * nothing, so silence can only be found by asking. Every rank knows every
 * rank's host (watch_init, once). A rank that waits on a peer says so
 * (wire_wait_begin/wire_wait_end) and answers rank 0's Ping from whatever
 * wait loop it is in (wire_idle), telling whom it waits on
 * and for how long. When a deadline passes, rank 0 pings the nodes: a rank
 * that answers nothing within a short grace, preferably one that another
 * rank is known to wait on, is the silent one. A rank busy computing
 * answers only after its computation, which the deadlines are sized for.
 * Rank 0 itself is watched by the nodes that wait on it (stage 0's leader
 * between chunks, any node whose send to it does not complete): past
 * --rank-timeout they ping it, and rank 0 answers from its own waits; no
 * answer ends the job from the node, since rank 0 cannot report itself. */
#ifndef SWAN_WATCH_H
#define SWAN_WATCH_H

#include <stdint.h>

#include "wire.h"

/* Seconds a rank gets to answer a Ping. */
#define WATCH_GRACE_SECONDS 3.0

/* Collective over MPI_COMM_WORLD, right after MPI_Init: hosts of all ranks. */
void watch_init(void);
/* "?" before watch_init or for a rank out of range. */
const char *watch_host(int rank);
/* Ranks of the job on rank's host (1 before watch_init). */
int watch_ranks_on_host(int rank);

/* Nodes answer pings with their current wait (wire_wait_begin) from
 * wire_idle, once watch_init has run; a loop that takes any tag calls this
 * when it finds TAG_WATCH. */
void watch_answer_pings(void);

/* A node: pings rank 0 (TAG_WATCH_UP) and waits up to grace seconds for
 * its answer; 1 when it came. */
int watch_coordinator_alive(double grace);
/* A node: from now on, a wait on rank 0 longer than seconds asks rank 0,
 * and no answer ends the job with "rank 0 (host H): no answer ...". */
void watch_rank0_after(double seconds);

/* Rank 0: what a probe found. */
typedef struct {
    int rank;       /* the silent rank; -1: every rank answered */
    double seconds; /* how long a peer has waited on it (0: nobody said) */
    char owed[192]; /* what it owed, as the waiting peer put it ("" unknown) */
} WatchVerdict;

/* Rank 0: pings ranks[0..n) and waits up to grace seconds for their answers
 * (less when all answer). Errors from nodes are handled meanwhile. */
void watch_probe(const int *ranks, int n, double grace, WatchVerdict *v);

#endif
