/* How much memory this process's machine lets it have: the cgroup's limit
 * (v2 memory.max or v1 memory.limit_in_bytes) when one is set, else the
 * physical memory. */
#ifndef SWAN_HOST_MEMORY_H
#define SWAN_HOST_MEMORY_H

/* Bytes; 0 when nothing can be read. */
double host_memory_bytes(void);

/* The default memory limit of one of ranks_on_host ranks: 90% of an equal
 * share of host_memory_bytes, leaving room for the system and MPI. */
double host_rank_share(int ranks_on_host);

#endif
