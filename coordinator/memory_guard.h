/* The memory guard: before a document starts, what each rank's caches will
 * need at its length (model/memory_need.h) beside what the rank already
 * holds, against the rank's limit (--max-rank-memory, or its share of its
 * host). A document that cannot fit even alone is refused with one line; one
 * that fits alone waits until the documents in flight leave room. */
#ifndef SWAN_MEMORY_GUARD_H
#define SWAN_MEMORY_GUARD_H

#include "config.h"
#include "error.h"

typedef struct {
    int rank;
    int layer_begin, layer_end, group_size, group_index;
    double fixed; /* weights and scratch, held whatever the documents */
    double limit; /* bytes the rank may use */
} GuardRank;

typedef struct {
    const SwanConfig *cfg;
    GuardRank *ranks; /* owned */
    int nranks;
} MemoryGuard;

/* nranks entries, to be filled in by the caller; -1 when out of memory. */
int memory_guard_init(MemoryGuard *g, const SwanConfig *cfg, int nranks);
void memory_guard_free(MemoryGuard *g);

/* 0 when a document of n tokens fits on every rank by itself; else -1 with
 * "N tokens need X MiB on rank R (host H), over its limit of Y MiB". */
int memory_guard_check(const MemoryGuard *g, long n, SwanError *err);
/* 1 when it also fits beside documents of lengths open[0 .. nopen). */
int memory_guard_fits_with(const MemoryGuard *g, long n, const long *open, int nopen);

#endif
