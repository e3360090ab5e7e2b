/* Where every rank runs, gathered once when the job starts, so rank 0 can
 * plan for the real placement: which messages cross hosts, and how many
 * hosts there are, without the user saying. */
#ifndef SWAN_RANK_HOSTS_H
#define SWAN_RANK_HOSTS_H

/* A collective: every rank calls it right after MPI_Init, before anything
 * can fail, so no rank waits on one that has gone, naming its host (at most
 * SWAN_HOST_MAX bytes are compared). Rank 0 keeps the table. */
#define SWAN_HOST_MAX 64
void rank_hosts_gather(int rank, int world, const char *host);
void rank_hosts_free(void);

/* On rank 0 after the gather: the number of distinct hosts, and each world
 * rank's host as an index (hosts numbered in the order ranks name them).
 * 0 and NULL elsewhere or when it could not be gathered. */
int rank_hosts_count(void);
const int *rank_hosts_index(void);

#endif
