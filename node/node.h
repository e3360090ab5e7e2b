/* A node rank: receives the Setup from the coordinator, loads what its role
 * needs and serves chunks until Shutdown. Any failure ends the whole job
 * (wire_fatal) with the rank and the reason. */
#ifndef SWAN_NODE_H
#define SWAN_NODE_H

#include <stddef.h>
#include <stdint.h>

#include "forward.h"
#include "head.h"
#include "model.h"
#include "wire.h"

/* One document's caches on this rank. */
typedef struct {
    uint64_t doc;
    int used;
    DocCaches caches;
    long pipe_bytes_sent, shard_bytes_sent;
} NodeDoc;

typedef struct {
    int rank;
    /* role */
    int stage, nstages;      /* stage index; -1: idle rank */
    int group_index;         /* 0 leads the stage */
    int group_size;
    int group_ranks[64];
    int next_leader;         /* world rank of the next stage's leader; 0 (coordinator) after the last */
    int prev_leader;         /* world rank chunks come from; 0 (coordinator) for stage 0 */
    int layer_begin, layer_end;
    int max_chunk;
    int activations_bf16;    /* stage boundaries carry bf16 (Setup.activation_dtype) */
    size_t max_frame;
    /* model */
    SwanModel model;         /* leader: weights of its layers; member: config only */
    Forward fwd;
    Head head;
    int has_head;
    /* documents in flight on this rank */
    NodeDoc *docs;
    int ndocs;
    /* sharded attention scratch (leaders of groups and members) */
    float *q_all;            /* [KV][C grp][hd] */
    AttnAcc acc_all, acc_peer;
    float *scores;
    float *kv_rows;          /* [2][C][KV hd] rows bound for one member */
    int64_t *kv_pos;         /* [C] */
    uint64_t current_doc;    /* document the stage is computing (for the shard hook) */
} Node;

int node_main(int rank);

/* node/docs.c */
NodeDoc *node_doc(Node *n, uint64_t doc, long pos0);
void node_doc_end(Node *n, uint64_t doc);
void node_docs_free(Node *n);

/* node/stage.c: a stage leader's messages */
void stage_activation(Node *n, int src, Swan__Activation *a);
void stage_doc_end(Node *n, uint64_t doc);

/* node/shard.c */
int shard_alloc(Node *n);
void shard_free(Node *n);
int shard_owner(long pos, int group_size);
int shard_leader_attend(void *ctx, Forward *f, int layer, KvCache *cache, int n, long pos0,
                        SwanError *err);
void shard_member_work(Node *n, int src, Swan__ShardWork *w);

/* Sends this rank's cache sizes for a finished document to the coordinator. */
void node_send_doc_stats(Node *n, uint64_t doc, const NodeDoc *d);
/* The in-flight document the stage is computing (counters go there). */
NodeDoc *node_current_doc(Node *n);

#endif
