/* A shard member: a rank of a stage's group other than the leader. It holds
 * no weights, only its share of the stage's global-layer caches, and answers
 * each ShardWork with its partial attention (see shard.h). */
#ifndef SWAN_MEMBER_H
#define SWAN_MEMBER_H

#include "doc_table.h"
#include "role.h"
#include "shard.h"

typedef struct {
    const NodeRole *role;
    SwanConfig cfg;
    DocTable docs;
    ShardScratch s;
} Member;

/* Reads MODEL_DIR's config only; failures end the job. */
void member_open(Member *m, const NodeRole *role, const char *model_dir);
void member_close(Member *m);
void member_work(Member *m, int src, const Swan__ShardWork *w);
void member_doc_end(Member *m, uint64_t doc);

#endif
