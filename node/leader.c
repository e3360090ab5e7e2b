#include "leader.h"

#include <stdlib.h>
#include <string.h>

void leader_open(Leader *l, const NodeRole *role, const char *model_dir) {
    memset(l, 0, sizeof *l);
    l->role = role;
    SwanError err;
    int first = role->stage == 0, last = role->stage == role->nstages - 1;
    if (swan_model_load(&l->model, model_dir, role->layer_begin, role->layer_end, first, last, &err) !=
            0 ||
        stage_open(&l->stage, &l->model.cfg, &l->model.w, role->max_chunk, &err) != 0)
        wire_fatal(err.msg);
    const SwanConfig *cfg = &l->model.cfg;
    size_t C = (size_t)role->max_chunk, d = cfg->hidden_size;
    doc_table_init(&l->docs, cfg, role->layer_begin, role->layer_end);
    l->x = malloc(sizeof(float) * C * d);
    l->nll = malloc(sizeof(double) * C);
    l->logits = malloc(sizeof(float) * (size_t)cfg->vocab_size);
    l->bf16 = role->activations_bf16 ? malloc(2 * C * d) : NULL;
    if (!l->x || !l->nll || !l->logits || (role->activations_bf16 && !l->bf16))
        wire_fatal("out of memory for a stage's chunk buffers");
    if (role->group_size > 1) {
        if (shard_leader_init(&l->shard, role, cfg) != 0)
            wire_fatal("out of memory for sharded attention scratch");
        if (forward_set_global_attention(l->stage.fwd, shard_leader_attend, &l->shard, &err) != 0)
            wire_fatal(err.msg);
    }
}

void leader_close(Leader *l) {
    doc_table_free(&l->docs);
    shard_leader_free(&l->shard);
    stage_close(&l->stage);
    swan_model_free(&l->model);
    free(l->x);
    free(l->nll);
    free(l->logits);
    free(l->bf16);
}

long leader_weight_bytes(const Leader *l) {
    return (long)l->model.w.bytes;
}

/* Everything about a chunk that can be checked before computing with it;
 * later stages' activations land in l->x. */
static void check_activation(Leader *l, int src, const Swan__Activation *a) {
    const SwanConfig *cfg = &l->model.cfg;
    if (a->ntok < 1 || a->ntok > l->role->max_chunk || a->pos0 < 0)
        wire_fatalf("chunk of %d tokens at position %lld from rank %d (limit %d)", a->ntok,
                    (long long)a->pos0, src, l->role->max_chunk);
    if (a->n_targets != 0 && a->n_targets != (size_t)a->ntok)
        wire_fatalf("bad chunk: targets do not match its token count from rank %d", src);
    for (size_t i = 0; i < a->n_targets; i++)
        if (a->targets[i] < -1 || a->targets[i] >= cfg->vocab_size)
            wire_fatalf("bad chunk: target id out of range from rank %d", src);
    if (l->role->stage == 0) {
        if (a->n_tokens != (size_t)a->ntok)
            wire_fatalf("bad chunk: token count does not match ntok from rank %d", src);
        for (size_t i = 0; i < a->n_tokens; i++)
            if (a->tokens[i] < 0 || a->tokens[i] >= cfg->vocab_size)
                wire_fatalf("bad chunk: token id out of range from rank %d", src);
        return;
    }
    int64_t shape[2] = {a->ntok, cfg->hidden_size};
    SwanError err;
    if (wire_tensor_check(a->x, 2, shape, src, "activation", &err) != 0) wire_fatal(err.msg);
    wire_tensor_read(a->x, l->x);
}

static void send_result(Leader *l, const Swan__Activation *a) {
    Swan__ChunkResult r = SWAN__CHUNK_RESULT__INIT;
    r.doc = a->doc;
    r.pos0 = a->pos0;
    r.n_nll = a->n_targets;
    r.nll = l->nll;
    if (a->want_logits) {
        r.n_logits = (size_t)l->model.cfg.vocab_size;
        r.logits = l->logits;
    }
    Swan__Envelope env;
    wire_wrap(&env, SWAN__ENVELOPE__BODY_CHUNK_RESULT, &r);
    SwanError err;
    if (wire_send(&env, 0, TAG_COORD, &err) != 0) wire_fatal(err.msg);
}

static void send_downstream(Leader *l, const Swan__Activation *a, NodeDoc *d) {
    Swan__Activation out = SWAN__ACTIVATION__INIT;
    out.doc = a->doc;
    out.pos0 = a->pos0;
    out.ntok = a->ntok;
    out.n_targets = a->n_targets;
    out.targets = a->targets;
    out.want_logits = a->want_logits;
    Swan__Tensor t;
    int64_t shape_store[2], shape[2] = {a->ntok, l->model.cfg.hidden_size};
    if (l->role->activations_bf16)
        wire_tensor_bf16(&t, shape_store, 2, shape, l->x, l->bf16);
    else
        wire_tensor_f32(&t, shape_store, 2, shape, l->x);
    out.x = &t;
    Swan__Envelope env;
    wire_wrap(&env, SWAN__ENVELOPE__BODY_ACTIVATION, &out);
    d->pipe_bytes_sent += (long)wire_packed_size(&env);
    SwanError err;
    if (wire_send(&env, l->role->next_leader, TAG_PIPE, &err) != 0) wire_fatal(err.msg);
}

void leader_activation(Leader *l, int src, const Swan__Activation *a) {
    check_activation(l, src, a);
    NodeDoc *d = doc_table_get(&l->docs, a->doc, a->pos0, src);
    if (d->caches.pos != a->pos0)
        wire_fatalf("chunk of document %llu at position %lld from rank %d, expected %ld",
                    (unsigned long long)a->doc, (long long)a->pos0, src, d->caches.pos);
    l->shard.doc = a->doc;
    l->shard.bytes_sent = &d->shard_bytes_sent;
    int last = l->stage.has_head;
    /* The last stage computes only what was asked: NLL rows for scoring, one
     * row's logits for generation. */
    StepIO io = {
        a->ntok, l->role->stage == 0 ? a->tokens : NULL,    last && a->n_targets ? a->targets : NULL,
        l->nll,  last && a->want_logits ? a->ntok - 1 : -1, l->logits};
    SwanError err;
    if (stage_step(&l->stage, &d->caches, l->x, &io, &err) != 0) wire_fatal(err.msg);
    if (last)
        send_result(l, a);
    else
        send_downstream(l, a, d);
}

void leader_doc_end(Leader *l, uint64_t doc) {
    const NodeRole *r = l->role;
    for (int i = 1; i < r->group_size; i++) wire_send_doc_end(doc, r->group_ranks[i], TAG_SHARD);
    if (!l->stage.has_head) wire_send_doc_end(doc, r->next_leader, TAG_PIPE);
    doc_table_end(&l->docs, doc, r->rank);
}
