/* A stage leader's work: run its layers over each chunk that arrives and
 * pass the result on, to the next stage's leader or, from the last stage,
 * as per-token NLL to the coordinator. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "node.h"

static void fatal_from(int src, const char *what) {
    char msg[SWAN_ERROR_MAX + 64];
    snprintf(msg, sizeof msg, "bad %s from rank %d", what, src);
    wire_fatal(msg);
}

/* Everything about a chunk that can be checked before computing with it. */
static void check_activation(Node *n, int src, const Swan__Activation *a, float *x) {
    const SwanConfig *cfg = &n->model.cfg;
    char msg[SWAN_ERROR_MAX];
    if (a->ntok < 1 || a->ntok > n->max_chunk || a->pos0 < 0) {
        snprintf(msg, sizeof msg, "chunk of %d tokens at position %lld from rank %d (limit %d)",
                 a->ntok, (long long)a->pos0, src, n->max_chunk);
        wire_fatal(msg);
    }
    if (a->n_targets != (size_t)a->ntok) fatal_from(src, "chunk: targets do not match its token count");
    for (size_t i = 0; i < a->n_targets; i++)
        if (a->targets[i] < -1 || a->targets[i] >= cfg->vocab_size) fatal_from(src, "chunk: target id out of range");
    if (n->stage == 0) {
        if (a->n_tokens != (size_t)a->ntok) fatal_from(src, "chunk: token count does not match ntok");
        for (size_t i = 0; i < a->n_tokens; i++)
            if (a->tokens[i] < 0 || a->tokens[i] >= cfg->vocab_size) fatal_from(src, "chunk: token id out of range");
        forward_embed(&n->fwd, a->tokens, a->ntok, x);
        return;
    }
    int64_t shape[2] = {a->ntok, cfg->hidden_size};
    SwanError err;
    if (wire_tensor_check(a->x, 2, shape, src, "activation", &err) != 0) wire_fatal(err.msg);
    wire_tensor_read(a->x, x);
}

static void send_result(Node *n, const Swan__Activation *a, const float *x) {
    double *nll = malloc(sizeof(double) * (size_t)a->ntok);
    if (!nll) wire_fatal("out of memory for chunk NLL");
    head_nll(&n->head, x, a->ntok, a->targets, nll);
    Swan__ChunkResult r = SWAN__CHUNK_RESULT__INIT;
    r.doc = a->doc;
    r.pos0 = a->pos0;
    r.n_nll = (size_t)a->ntok;
    r.nll = nll;
    float *logits = NULL;
    if (a->want_logits) {
        int V = n->model.cfg.vocab_size, d = n->model.cfg.hidden_size;
        if (!(logits = malloc(sizeof(float) * (size_t)V))) wire_fatal("out of memory for logits");
        head_logits(&n->head, x + (size_t)(a->ntok - 1) * d, logits);
        r.n_logits = (size_t)V;
        r.logits = logits;
    }
    Swan__Envelope env = SWAN__ENVELOPE__INIT;
    env.body_case = SWAN__ENVELOPE__BODY_CHUNK_RESULT;
    env.chunk_result = &r;
    SwanError err;
    if (wire_send(&env, 0, TAG_COORD, &err) != 0) wire_fatal(err.msg);
    free(nll);
    free(logits);
}

static void send_downstream(Node *n, const Swan__Activation *a, const float *x) {
    Swan__Activation out = SWAN__ACTIVATION__INIT;
    out.doc = a->doc;
    out.pos0 = a->pos0;
    out.ntok = a->ntok;
    out.n_targets = a->n_targets;
    out.targets = a->targets;
    out.want_logits = a->want_logits;
    Swan__Tensor t;
    int64_t shape_store[2], shape[2] = {a->ntok, n->model.cfg.hidden_size};
    uint8_t *bf16 = NULL;
    if (n->activations_bf16) {
        bf16 = malloc(2 * (size_t)shape[0] * (size_t)shape[1]);
        if (!bf16) wire_fatal("out of memory for a chunk's bf16 activations");
        wire_tensor_bf16(&t, shape_store, 2, shape, x, bf16);
    } else {
        wire_tensor_f32(&t, shape_store, 2, shape, x);
    }
    out.x = &t;
    Swan__Envelope env = SWAN__ENVELOPE__INIT;
    env.body_case = SWAN__ENVELOPE__BODY_ACTIVATION;
    env.activation = &out;
    node_current_doc(n)->pipe_bytes_sent += (long)wire_packed_size(&env);
    SwanError err;
    if (wire_send(&env, n->next_leader, TAG_PIPE, &err) != 0) wire_fatal(err.msg);
    free(bf16);
}

void stage_activation(Node *n, int src, Swan__Activation *a) {
    float *x = malloc(sizeof(float) * (size_t)n->max_chunk * n->model.cfg.hidden_size);
    if (!x) wire_fatal("out of memory for a chunk's activations");
    check_activation(n, src, a, x);
    NodeDoc *d = node_doc(n, a->doc, a->pos0);
    if (d->caches.pos != a->pos0) {
        char msg[160];
        snprintf(msg, sizeof msg, "chunk of document %llu at position %lld from rank %d, expected %ld",
                 (unsigned long long)a->doc, (long long)a->pos0, src, d->caches.pos);
        wire_fatal(msg);
    }
    n->current_doc = a->doc;
    SwanError err;
    if (forward_layers(&n->fwd, &d->caches, x, a->ntok, &err) != 0) wire_fatal(err.msg);
    if (n->has_head)
        send_result(n, a, x);
    else
        send_downstream(n, a, x);
    free(x);
}

static void send_doc_end(uint64_t doc, int dest, int tag) {
    Swan__DocEnd e = SWAN__DOC_END__INIT;
    e.doc = doc;
    Swan__Envelope env = SWAN__ENVELOPE__INIT;
    env.body_case = SWAN__ENVELOPE__BODY_DOC_END;
    env.doc_end = &e;
    SwanError err;
    if (wire_send(&env, dest, tag, &err) != 0) wire_fatal(err.msg);
}

void stage_doc_end(Node *n, uint64_t doc) {
    for (int i = 1; i < n->group_size; i++) send_doc_end(doc, n->group_ranks[i], TAG_SHARD);
    if (!n->has_head) send_doc_end(doc, n->next_leader, TAG_PIPE);
    NodeDoc *d = NULL;
    for (int i = 0; i < n->ndocs; i++)
        if (n->docs[i].used && n->docs[i].doc == doc) d = &n->docs[i];
    node_send_doc_stats(n, doc, d);
    node_doc_end(n, doc);
}
