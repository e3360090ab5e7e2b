/* A node rank's life: Setup, role, Ready, then serve until Shutdown. */
#include "node.h"

#include <mpi.h>
#include <stdio.h>
#include <string.h>

#include "host_memory.h"
#include "host_name.h"
#include "kernels.h"
#include "leader.h"
#include "matrix.h"
#include "member.h"
#include "memory_need.h"
#include "parallel.h"
#include "role.h"
#include "watch.h"

typedef struct {
    NodeRole role;
    int is_leader, is_member;
    Leader leader;
    Member member;
} Node;

/* Finds this rank in the plan. */
static void take_role(NodeRole *r, const Swan__Setup *s) {
    r->stage = -1;
    r->nstages = (int)s->n_stages;
    for (size_t i = 0; i < s->n_stages; i++) {
        const Swan__StagePlan *st = s->stages[i];
        for (size_t j = 0; j < st->n_ranks; j++) {
            if (st->ranks[j] != r->rank) continue;
            if (st->n_ranks > WIRE_MAX_GROUP)
                wire_fatalf("setup: group larger than %d ranks", WIRE_MAX_GROUP);
            r->stage = (int)i;
            r->group_index = (int)j;
            r->group_size = (int)st->n_ranks;
            for (size_t k = 0; k < st->n_ranks; k++) r->group_ranks[k] = st->ranks[k];
            r->layer_begin = st->layer_begin;
            r->layer_end = st->layer_end;
            r->next_leader = i + 1 < s->n_stages ? s->stages[i + 1]->ranks[0] : 0;
            r->prev_leader = i > 0 ? s->stages[i - 1]->ranks[0] : 0;
        }
    }
    if (s->activation_dtype != SWAN__DTYPE__DTYPE_F32 && s->activation_dtype != SWAN__DTYPE__DTYPE_BF16)
        wire_fatal("setup: unknown activation dtype");
    r->activations_bf16 = s->activation_dtype == SWAN__DTYPE__DTYPE_BF16;
    r->max_chunk = s->max_chunk;
    r->max_rank_memory = s->max_rank_memory > 0 ? (double)s->max_rank_memory : 0;
    r->rank_timeout = s->rank_timeout > 0 ? s->rank_timeout : 120;
    if (r->stage >= 0 &&
        (r->max_chunk < 1 || r->max_chunk > WIRE_MAX_CHUNK || r->layer_begin >= r->layer_end))
        wire_fatal("setup: empty layer range or chunk size out of range");
}

static void load_role(Node *n, const Swan__Setup *s) {
    kernels_set_threads(s->threads > 0 ? s->threads : 1);
    if (s->compute_dtype == SWAN__DTYPE__DTYPE_BF16 && matmul_set_compute(COMPUTE_BF16) != 0)
        wire_fatal("--compute bf16 needs the AVX512-BF16 instructions, which this rank's CPU lacks");
    n->role.max_frame = WIRE_SETUP_MAX_FRAME;
    if (n->role.stage < 0) return; /* idle: nothing to load */
    const SwanConfig *cfg;
    if (n->role.group_index == 0) {
        n->is_leader = 1;
        leader_open(&n->leader, &n->role, s->model_dir);
        cfg = &n->leader.model.cfg;
    } else {
        n->is_member = 1;
        member_open(&n->member, &n->role, s->model_dir);
        cfg = &n->member.cfg;
    }
    n->role.max_frame = wire_frame_limit(cfg, n->role.max_chunk);
}

/* Weights and chunk scratch: what this rank holds whatever the documents. */
static double fixed_bytes(const Node *n) {
    const NodeRole *r = &n->role;
    if (n->is_member) return need_member_scratch_bytes(&n->member.cfg, r->max_chunk);
    if (!n->is_leader) return 0;
    return (double)leader_weight_bytes(&n->leader) +
           need_leader_scratch_bytes(&n->leader.model.cfg, r->max_chunk, r->stage == r->nstages - 1,
                                     r->group_size, parallel_workers());
}

static void send_ready(Node *n) {
    Swan__Ready r = SWAN__READY__INIT;
    r.rank = n->role.rank;
    r.weight_bytes = n->is_leader ? leader_weight_bytes(&n->leader) : 0;
    char host[SWAN_HOST_MAX];
    host_name(host, sizeof host);
    r.host = host;
    r.fixed_bytes = (int64_t)fixed_bytes(n);
    r.memory_limit = (int64_t)(n->role.max_rank_memory > 0
                                   ? n->role.max_rank_memory
                                   : host_rank_share(watch_ranks_on_host(n->role.rank)));
    Swan__Envelope env;
    wire_wrap(&env, SWAN__ENVELOPE__BODY_READY, &r);
    SwanError err;
    if (wire_send(&env, 0, TAG_COORD, &err) != 0) wire_fatal(err.msg);
}

/* Who may send what: anything else is a protocol error. */
static void dispatch(Node *n, int src, int tag, const Swan__Envelope *env) {
    const NodeRole *r = &n->role;
    int from_upstream = n->is_leader && tag == TAG_PIPE && src == r->prev_leader;
    int from_leader = n->is_member && tag == TAG_SHARD && src == r->group_ranks[0];
    switch (env->body_case) {
    case SWAN__ENVELOPE__BODY_ACTIVATION:
        if (!from_upstream) break;
        leader_activation(&n->leader, src, env->activation);
        return;
    case SWAN__ENVELOPE__BODY_DOC_END:
        if (from_upstream) {
            leader_doc_end(&n->leader, env->doc_end->doc);
            return;
        }
        if (!from_leader) break;
        member_doc_end(&n->member, env->doc_end->doc);
        return;
    case SWAN__ENVELOPE__BODY_SHARD_WORK:
        if (!from_leader) break;
        member_work(&n->member, src, env->shard_work);
        return;
    default: break;
    }
    wire_fatalf("unexpected message (case %d, tag %d) from rank %d", (int)env->body_case, tag, src);
}

/* A new scaling between documents; only a leader computes the scaled
 * queries, but every node answers so rank 0 knows all have it. */
static void rescale(Node *n, const Swan__Rescale *r) {
    if (n->is_leader && swan_config_set_log_a(&n->leader.model.cfg, r->log_a) != 0)
        wire_fatalf("rescale: a = %g is neither 0 nor a number > 1", r->log_a);
    send_ready(n);
}

/* Stage 0's leader waits on rank 0 itself between messages: rank 0 is
 * watched by the ranks that wait on it (proto/watch.h). */
static void next_message(Node *n, int *src, int *tag) {
    WireWait saved;
    int feeds = n->is_leader && n->role.stage == 0;
    wire_wait_begin(&saved, feeds ? 0 : -1, "reading documents and sending their chunks to rank %d",
                    n->role.rank);
    int backoff = 0;
    while (!wire_poll(MPI_ANY_SOURCE, MPI_ANY_TAG, src, tag)) wire_idle(&backoff);
    wire_wait_end(&saved);
}

static void serve(Node *n) {
    /* Stage 0's leader, which rank 0 feeds, reports rank 0's silence; the
     * others only after it would have, so one line says it. */
    int feeds = n->is_leader && n->role.stage == 0;
    watch_rank0_after(n->role.rank_timeout + (feeds ? 0 : 2 * WATCH_GRACE_SECONDS));
    for (;;) {
        int src, tag;
        next_message(n, &src, &tag);
        if (tag == TAG_WATCH) {
            watch_answer_pings();
            continue;
        }
        Swan__Envelope *env = NULL;
        SwanError err;
        if (wire_recv(src, tag, n->role.max_frame, &env, &err) != 0) wire_fatal(err.msg);
        if (env->body_case == SWAN__ENVELOPE__BODY_SHUTDOWN && src == 0) {
            swan__envelope__free_unpacked(env, NULL);
            return;
        }
        if (env->body_case == SWAN__ENVELOPE__BODY_RESCALE && src == 0 && tag == TAG_PIPE)
            rescale(n, env->rescale);
        else if (tag != TAG_WATCH_UP)
            dispatch(n, src, tag, env); /* else a late answer: rank 0 lives */
        swan__envelope__free_unpacked(env, NULL);
    }
}

int node_main(int rank) {
    Node n;
    memset(&n, 0, sizeof n);
    n.role.rank = rank;
    Swan__Envelope *env = NULL;
    SwanError err;
    wire_wait(0, TAG_PIPE, NULL, NULL);
    if (wire_recv(0, TAG_PIPE, WIRE_SETUP_MAX_FRAME, &env, &err) != 0) wire_fatal(err.msg);
    if (env->body_case == SWAN__ENVELOPE__BODY_SHUTDOWN) {
        swan__envelope__free_unpacked(env, NULL);
        return 0;
    }
    if (env->body_case != SWAN__ENVELOPE__BODY_SETUP)
        wire_fatal("first message from rank 0 is not a Setup");
    take_role(&n.role, env->setup);
    load_role(&n, env->setup);
    swan__envelope__free_unpacked(env, NULL);
    send_ready(&n);
    serve(&n);
    if (n.is_leader) leader_close(&n.leader);
    if (n.is_member) member_close(&n.member);
    return 0;
}
