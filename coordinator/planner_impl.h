/* What planner.c shares with plan_stages.c and plan_estimates.c. */
#ifndef SWAN_PLANNER_IMPL_H
#define SWAN_PLANNER_IMPL_H

#include "planner.h"

/* "a-b,c-d,..." (inclusive, a single "5" allowed) into fixed_end[begin] =
 * end + 1 over L layers; one line in err when it does not tile them. */
int plan_parse_stages(const char *spec, int L, int *fixed_end, SwanError *err);

/* Stage index of last + 1 stages: its FLOPs, weights and caches per document
 * at context tokens (its layers and group size set). */
void plan_stage_estimates(const SwanConfig *cfg, long context, int last, int index, PlanStage *st);

/* The longest document every rank of stage k can take within
 * plan->rank_memory at chunk tokens per chunk. */
long plan_stage_longest_doc(const SwanConfig *cfg, const Plan *plan, int k, int chunk);

/* How many documents of context tokens fit at once on every rank beside
 * its weights and chunk scratch, up to most (most when there is no limit). */
int plan_docs_fit(const SwanConfig *cfg, const Plan *plan, int chunk, long context, int most);

#endif
