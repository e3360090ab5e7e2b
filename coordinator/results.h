/* One JSON line per scored document: the summary a user reads and the
 * record --resume keys on. */
#ifndef SWAN_RESULTS_H
#define SWAN_RESULTS_H

#include "sink.h"

/* nll[i] is the NLL of token i + 1 (ntokens - 1 values). Bins group the
 * predicted token's position t into [2^k, 2^(k+1)). model: the fingerprint
 * of what scored it (model_id.h). Returns a malloc'd line without newline,
 * or NULL when out of memory. */
char *result_line(const char *id, long ntokens, const double *nll, double seconds,
                  const RankStats *stats, int nstats, const char *model);

#endif
