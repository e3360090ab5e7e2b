/* A stage leader: holds its layers' weights, runs each chunk that arrives
 * through stage_step and passes the result on, to the next stage's leader
 * or, from the last stage, as NLL rows or logits to the coordinator. With a
 * group, its global layers' attention goes through shard_leader.c. */
#ifndef SWAN_LEADER_H
#define SWAN_LEADER_H

#include "doc_table.h"
#include "model.h"
#include "role.h"
#include "shard_leader.h"
#include "stage_step.h"

typedef struct {
    const NodeRole *role;
    SwanModel model;
    Stage stage;
    DocTable docs;
    ShardLeader shard; /* group_size > 1 */
    float *x;          /* [max_chunk][d] the chunk's activations */
    double *nll;       /* [max_chunk] last stage */
    float *logits;     /* [V] last stage */
    uint8_t *bf16;     /* [max_chunk][d][2] bf16 activations out */
} Leader;

/* Loads the stage's layers; failures end the job. */
void leader_open(Leader *l, const NodeRole *role, const char *model_dir);
void leader_close(Leader *l);
/* Weight bytes this rank holds in memory. */
long leader_weight_bytes(const Leader *l);
void leader_activation(Leader *l, int src, const Swan__Activation *a);
void leader_doc_end(Leader *l, uint64_t doc);

#endif
