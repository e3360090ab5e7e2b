/* A node rank's life: Setup, load, Ready, then serve until Shutdown. */
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernels.h"
#include "node.h"

/* The largest frame a correct peer can send once the chunk size is known:
 * anything bigger is refused before it is allocated. */
static size_t max_frame_for(const SwanConfig *cfg, int max_chunk) {
    size_t C = (size_t)max_chunk, d = cfg->hidden_size, H = cfg->num_heads;
    size_t hd = cfg->head_dim, KV = cfg->num_kv_heads;
    size_t activation = C * d * 4 + C * 2 * 10;
    size_t work = C * H * hd * 4 + 2 * C * KV * hd * 4 + C * 10;
    size_t partial = C * H * (hd + 2) * 4;
    size_t result = C * 9;
    size_t biggest = activation;
    if (work > biggest) biggest = work;
    if (partial > biggest) biggest = partial;
    if (result > biggest) biggest = result;
    return biggest + 65536;
}

/* Finds this rank in the plan. */
static void take_role(Node *n, const Swan__Setup *s) {
    n->stage = -1;
    n->nstages = (int)s->n_stages;
    for (size_t i = 0; i < s->n_stages; i++) {
        const Swan__StagePlan *st = s->stages[i];
        for (size_t j = 0; j < st->n_ranks; j++) {
            if (st->ranks[j] != n->rank) continue;
            if (st->n_ranks > 64) wire_fatal("setup: group larger than 64 ranks");
            n->stage = (int)i;
            n->group_index = (int)j;
            n->group_size = (int)st->n_ranks;
            for (size_t k = 0; k < st->n_ranks; k++) n->group_ranks[k] = st->ranks[k];
            n->layer_begin = st->layer_begin;
            n->layer_end = st->layer_end;
            n->next_leader = i + 1 < s->n_stages ? s->stages[i + 1]->ranks[0] : 0;
            n->prev_leader = i > 0 ? s->stages[i - 1]->ranks[0] : 0;
        }
    }
}

static void load_role(Node *n, const Swan__Setup *s) {
    SwanError err;
    n->max_chunk = s->max_chunk;
    if (s->activation_dtype != SWAN__DTYPE__DTYPE_F32 && s->activation_dtype != SWAN__DTYPE__DTYPE_BF16)
        wire_fatal("setup: unknown activation dtype");
    n->activations_bf16 = s->activation_dtype == SWAN__DTYPE__DTYPE_BF16;
    kernels_set_threads(s->threads > 0 ? s->threads : 1);
    if (n->stage < 0) return; /* idle: nothing to load */
    int leader = n->group_index == 0;
    n->has_head = leader && n->stage == n->nstages - 1;
    if (n->max_chunk < 1 || n->max_chunk > (1 << 20) || n->layer_begin >= n->layer_end)
        wire_fatal("setup: empty layer range or chunk size out of range");
    if (leader) {
        if (swan_model_load(&n->model, s->model_dir, n->layer_begin, n->layer_end, n->stage == 0,
                            n->has_head, &err) != 0)
            wire_fatal(err.msg);
        if (forward_init(&n->fwd, &n->model.cfg, &n->model.w, n->max_chunk, &err) != 0) wire_fatal(err.msg);
        if (n->has_head && head_init(&n->head, &n->model.cfg, &n->model.w, &err) != 0) wire_fatal(err.msg);
    } else { /* members keep cache shards only: the config, no weights */
        char path[4096];
        snprintf(path, sizeof path, "%s/config.json", s->model_dir);
        if (swan_config_load(path, &n->model.cfg, &err) != 0) wire_fatal(err.msg);
        if (n->layer_end > n->model.cfg.num_layers) wire_fatal("setup: layer range beyond the model");
    }
    if (n->group_size > 1) {
        if (shard_alloc(n) != 0) wire_fatal("out of memory for sharded attention scratch");
        if (leader) {
            n->fwd.global_attention = shard_leader_attend;
            n->fwd.global_ctx = n;
        }
    }
    n->max_frame = max_frame_for(&n->model.cfg, n->max_chunk);
}

static void send_ready(Node *n) {
    Swan__Ready r = SWAN__READY__INIT;
    r.rank = n->rank;
    r.weight_bytes = (int64_t)n->model.w.bytes;
    Swan__Envelope env = SWAN__ENVELOPE__INIT;
    env.body_case = SWAN__ENVELOPE__BODY_READY;
    env.ready = &r;
    SwanError err;
    if (wire_send(&env, 0, TAG_COORD, &err) != 0) wire_fatal(err.msg);
}

void node_send_doc_stats(Node *n, uint64_t doc, const NodeDoc *d) {
    Swan__DocStats s = SWAN__DOC_STATS__INIT;
    s.doc = doc;
    s.rank = n->rank;
    if (d) {
        s.window_cache_bytes = (int64_t)doc_caches_bytes(&d->caches, &n->model.cfg, LAYER_WINDOW);
        s.global_cache_bytes = (int64_t)doc_caches_bytes(&d->caches, &n->model.cfg, LAYER_GLOBAL);
        s.global_attention_seconds = d->caches.global_attention_seconds;
        s.pipe_bytes_sent = d->pipe_bytes_sent;
        s.shard_bytes_sent = d->shard_bytes_sent;
    }
    Swan__Envelope env = SWAN__ENVELOPE__INIT;
    env.body_case = SWAN__ENVELOPE__BODY_DOC_STATS;
    env.doc_stats = &s;
    SwanError err;
    if (wire_send(&env, 0, TAG_COORD, &err) != 0) wire_fatal(err.msg);
}

static void member_doc_end(Node *n, uint64_t doc) {
    NodeDoc *d = NULL;
    for (int i = 0; i < n->ndocs; i++)
        if (n->docs[i].used && n->docs[i].doc == doc) d = &n->docs[i];
    node_send_doc_stats(n, doc, d);
    node_doc_end(n, doc);
}

/* Who may send what: anything else is a protocol error. */
static void dispatch(Node *n, int src, int tag, Swan__Envelope *env) {
    char msg[160];
    int leader = n->stage >= 0 && n->group_index == 0;
    int from_upstream = leader && tag == TAG_PIPE && src == n->prev_leader;
    switch (env->body_case) {
    case SWAN__ENVELOPE__BODY_ACTIVATION:
        if (!from_upstream) break;
        stage_activation(n, src, env->activation);
        return;
    case SWAN__ENVELOPE__BODY_DOC_END:
        if (from_upstream) {
            stage_doc_end(n, env->doc_end->doc);
            return;
        }
        if (!leader && n->stage >= 0 && tag == TAG_SHARD && src == n->group_ranks[0]) {
            member_doc_end(n, env->doc_end->doc);
            return;
        }
        break;
    case SWAN__ENVELOPE__BODY_SHARD_WORK:
        if (leader || n->stage < 0 || tag != TAG_SHARD || src != n->group_ranks[0]) break;
        shard_member_work(n, src, env->shard_work);
        return;
    default:
        break;
    }
    snprintf(msg, sizeof msg, "unexpected message (case %d, tag %d) from rank %d", (int)env->body_case,
             tag, src);
    wire_fatal(msg);
}

static void serve(Node *n) {
    for (;;) {
        int src, tag;
        wire_wait(MPI_ANY_SOURCE, MPI_ANY_TAG, &src, &tag);
        Swan__Envelope *env = NULL;
        SwanError err;
        if (wire_recv(src, tag, n->max_frame, &env, &err) != 0) wire_fatal(err.msg);
        if (env->body_case == SWAN__ENVELOPE__BODY_SHUTDOWN && src == 0) {
            swan__envelope__free_unpacked(env, NULL);
            return;
        }
        dispatch(n, src, tag, env);
        swan__envelope__free_unpacked(env, NULL);
    }
}

static void node_free(Node *n) {
    node_docs_free(n);
    shard_free(n);
    head_free(&n->head);
    forward_free(&n->fwd);
    swan_model_free(&n->model);
}

int node_main(int rank) {
    Node n;
    memset(&n, 0, sizeof n);
    n.rank = rank;
    Swan__Envelope *env = NULL;
    SwanError err;
    wire_wait(0, TAG_PIPE, NULL, NULL);
    if (wire_recv(0, TAG_PIPE, WIRE_SETUP_MAX_FRAME, &env, &err) != 0) wire_fatal(err.msg);
    if (env->body_case == SWAN__ENVELOPE__BODY_SHUTDOWN) {
        swan__envelope__free_unpacked(env, NULL);
        return 0;
    }
    if (env->body_case != SWAN__ENVELOPE__BODY_SETUP) wire_fatal("first message from rank 0 is not a Setup");
    take_role(&n, env->setup);
    load_role(&n, env->setup);
    swan__envelope__free_unpacked(env, NULL);
    send_ready(&n);
    if (n.max_frame == 0) n.max_frame = WIRE_SETUP_MAX_FRAME;
    serve(&n);
    node_free(&n);
    return 0;
}
