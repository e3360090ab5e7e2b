#include "memory_guard.h"

#include <stdlib.h>

#include "memory_need.h"
#include "watch.h"

int memory_guard_init(MemoryGuard *g, const SwanConfig *cfg, int nranks) {
    g->cfg = cfg;
    g->nranks = nranks;
    g->ranks = calloc((size_t)nranks, sizeof *g->ranks);
    return g->ranks ? 0 : -1;
}

void memory_guard_free(MemoryGuard *g) {
    free(g->ranks);
    g->ranks = NULL;
    g->nranks = 0;
}

static double doc_need(const MemoryGuard *g, const GuardRank *r, long n) {
    return need_doc_bytes(g->cfg, r->layer_begin, r->layer_end, n, r->group_size, r->group_index);
}

int memory_guard_check(const MemoryGuard *g, long n, SwanError *err) {
    for (int i = 0; i < g->nranks; i++) {
        const GuardRank *r = &g->ranks[i];
        double need = r->fixed + doc_need(g, r, n);
        if (r->limit > 0 && need > r->limit)
            return swan_error_set(err,
                                  "%ld tokens need %.2f MiB on rank %d (host %s), over its limit of "
                                  "%.2f MiB (--max-rank-memory)",
                                  n, need / 1048576.0, r->rank, watch_host(r->rank),
                                  r->limit / 1048576.0);
    }
    return 0;
}

int memory_guard_fits_with(const MemoryGuard *g, long n, const long *open, int nopen) {
    for (int i = 0; i < g->nranks; i++) {
        const GuardRank *r = &g->ranks[i];
        double need = r->fixed + doc_need(g, r, n);
        for (int k = 0; k < nopen; k++) need += doc_need(g, r, open[k]);
        if (r->limit > 0 && need > r->limit) return 0;
    }
    return 1;
}
