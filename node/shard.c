/* Global (NoPE) layers sharded by sequence position across a stage's group.
 *
 * Position p belongs to group rank (p / KV_PAGE_ROWS) % G: whole cache
 * pages rotate over the group, so every rank holds about 1/G of any long
 * document and a page is never split. For each chunk the leader sends every
 * member the chunk's scaled queries and the K/V rows it owns; each rank
 * appends its rows and computes partial attention (output, running max,
 * running sum) over everything it holds; the leader merges the partials by
 * log-sum-exp. Causality needs no extra care: masks use absolute positions. */
#include <stdlib.h>
#include <string.h>

#include "node.h"

int shard_owner(long pos, int group_size) {
    return (int)((pos / KV_PAGE_ROWS) % group_size);
}

int shard_alloc(Node *n) {
    const SwanConfig *cfg = &n->model.cfg;
    size_t C = (size_t)n->max_chunk, H = cfg->num_heads, hd = cfg->head_dim;
    size_t width = (size_t)cfg->num_kv_heads * hd;
    int grp = cfg->num_heads / cfg->num_kv_heads;
    n->q_all = malloc(sizeof(float) * C * H * hd);
    n->scores = malloc(sizeof(float) * attn_scratch_floats(grp));
    n->kv_rows = malloc(sizeof(float) * 2 * C * width);
    n->kv_pos = malloc(sizeof(int64_t) * C);
    int a = attn_acc_init(&n->acc_all, (int)(C * H), (int)hd);
    int b = attn_acc_init(&n->acc_peer, (int)(C * H), (int)hd);
    return n->q_all && n->scores && n->kv_rows && n->kv_pos && a == 0 && b == 0 ? 0 : -1;
}

void shard_free(Node *n) {
    free(n->q_all);
    free(n->scores);
    free(n->kv_rows);
    free(n->kv_pos);
    attn_acc_free(&n->acc_all);
    attn_acc_free(&n->acc_peer);
    n->q_all = n->scores = n->kv_rows = NULL;
    n->kv_pos = NULL;
}

/* Appends rows whose positions (kv_pos, increasing) may skip: each run of
 * consecutive positions is one append. */
static int append_runs(KvCache *c, const float *k, const float *v, int ld, const int64_t *pos, int count) {
    for (int r0 = 0; r0 < count;) {
        int r1 = r0 + 1;
        while (r1 < count && pos[r1] == pos[r1 - 1] + 1) r1++;
        if (kv_cache_append(c, k + (size_t)r0 * ld, v + (size_t)r0 * ld, ld, (long)pos[r0], r1 - r0) != 0)
            return -1;
        r0 = r1;
    }
    return 0;
}

/* Copies the K/V rows of the chunk that group rank `owner` keeps into
 * n->kv_rows ([k rows][v rows], each KV*hd wide) and their positions. */
static int gather_owned_rows(Node *n, const Forward *f, int owner, int ntok, long pos0) {
    const SwanConfig *cfg = &n->model.cfg;
    int H = cfg->num_heads, KV = cfg->num_kv_heads, hd = cfg->head_dim, width = KV * hd;
    float *k = n->kv_rows, *v = n->kv_rows + (size_t)n->max_chunk * width;
    int count = 0;
    for (int t = 0; t < ntok; t++) {
        if (shard_owner(pos0 + t, n->group_size) != owner) continue;
        const float *row = f->qkv + (size_t)t * f->qkv_width;
        memcpy(k + (size_t)count * width, row + (size_t)H * hd, sizeof(float) * width);
        memcpy(v + (size_t)count * width, row + (size_t)(H + KV) * hd, sizeof(float) * width);
        n->kv_pos[count++] = pos0 + t;
    }
    return count;
}

static void send_work(Node *n, const Forward *f, int member, int layer, int ntok, long pos0) {
    const SwanConfig *cfg = &n->model.cfg;
    int KV = cfg->num_kv_heads, hd = cfg->head_dim, grp = cfg->num_heads / KV, width = KV * hd;
    int count = gather_owned_rows(n, f, member, ntok, pos0);
    Swan__ShardWork w = SWAN__SHARD_WORK__INIT;
    w.doc = n->current_doc;
    w.layer = layer;
    w.pos0 = pos0;
    w.ntok = ntok;
    Swan__Tensor q, k, v;
    int64_t sq[3], sk[2], sv[2];
    int64_t qshape[3] = {KV, (int64_t)ntok * grp, hd}, kvshape[2] = {count, width};
    wire_tensor_f32(&q, sq, 3, qshape, n->q_all);
    wire_tensor_f32(&k, sk, 2, kvshape, n->kv_rows);
    wire_tensor_f32(&v, sv, 2, kvshape, n->kv_rows + (size_t)n->max_chunk * width);
    w.q = &q;
    w.k = &k;
    w.v = &v;
    w.n_kv_pos = (size_t)count;
    w.kv_pos = n->kv_pos;
    Swan__Envelope env = SWAN__ENVELOPE__INIT;
    env.body_case = SWAN__ENVELOPE__BODY_SHARD_WORK;
    env.shard_work = &w;
    node_current_doc(n)->shard_bytes_sent += (long)wire_packed_size(&env);
    SwanError err;
    if (wire_send(&env, n->group_ranks[member], TAG_SHARD, &err) != 0) wire_fatal(err.msg);
}

/* Reads a member's partial into n->acc_peer after checking its shapes. */
static void recv_partial(Node *n, int member, int layer, int rows) {
    const SwanConfig *cfg = &n->model.cfg;
    int src = n->group_ranks[member], KV = cfg->num_kv_heads, hd = cfg->head_dim;
    Swan__Envelope *env = NULL;
    SwanError err;
    if (wire_recv(src, TAG_SHARD, n->max_frame, &env, &err) != 0) wire_fatal(err.msg);
    Swan__ShardPartial *p = env->shard_partial;
    if (env->body_case != SWAN__ENVELOPE__BODY_SHARD_PARTIAL || p->doc != n->current_doc || p->layer != layer) {
        swan_error_set(&err, "rank %d answered layer %d of document %llu with something else", src,
                       layer, (unsigned long long)n->current_doc);
        wire_fatal(err.msg);
    }
    int64_t oshape[3] = {KV, rows / KV, hd}, mshape[2] = {KV, rows / KV};
    if (wire_tensor_check(p->o, 3, oshape, src, "partial output", &err) != 0 ||
        wire_tensor_check(p->m, 2, mshape, src, "partial max", &err) != 0 ||
        wire_tensor_check(p->l, 2, mshape, src, "partial sum", &err) != 0)
        wire_fatal(err.msg);
    wire_tensor_read(p->o, n->acc_peer.o);
    wire_tensor_read(p->m, n->acc_peer.m);
    wire_tensor_read(p->l, n->acc_peer.l);
    swan__envelope__free_unpacked(env, NULL);
}

int shard_leader_attend(void *ctx, Forward *f, int layer, KvCache *cache, int ntok, long pos0,
                        SwanError *err) {
    Node *n = ctx;
    const SwanConfig *cfg = f->cfg;
    int H = cfg->num_heads, KV = cfg->num_kv_heads, hd = cfg->head_dim, grp = H / KV;
    int rows = ntok * H;
    forward_scaled_queries(f, layer, ntok, pos0, n->q_all);
    for (int m = 1; m < n->group_size; m++) send_work(n, f, m, layer, ntok, pos0);

    int own = gather_owned_rows(n, f, 0, ntok, pos0);
    if (append_runs(cache, n->kv_rows, n->kv_rows + (size_t)n->max_chunk * KV * hd, KV * hd,
                    n->kv_pos, own) != 0)
        return swan_error_set(err, "out of memory growing the K/V cache of layer %d", layer);
    attn_cache_partial(&n->acc_all, n->q_all, KV, ntok, grp, pos0, 0, cache, n->scores);
    for (int m = 1; m < n->group_size; m++) {
        recv_partial(n, m, layer, rows);
        attn_merge(&n->acc_all, &n->acc_peer, rows);
    }
    size_t group_rows = (size_t)ntok * grp;
    for (int g = 0; g < KV; g++) {
        AttnAcc view = {(int)group_rows, hd, n->acc_all.o + g * group_rows * hd,
                        n->acc_all.m + g * group_rows, n->acc_all.l + g * group_rows};
        attn_finish(&view, ntok, grp, f->att + (size_t)g * grp * hd, H * hd);
    }
    return 0;
}

/* Everything a member checks before touching its caches. */
static void check_work(Node *n, int src, const Swan__ShardWork *w) {
    const SwanConfig *cfg = &n->model.cfg;
    int KV = cfg->num_kv_heads, hd = cfg->head_dim, grp = cfg->num_heads / KV;
    SwanError err;
    if (w->layer < n->layer_begin || w->layer >= n->layer_end || cfg->layer_kind[w->layer] != LAYER_GLOBAL ||
        w->ntok < 1 || w->ntok > n->max_chunk || w->pos0 < 0 || w->n_kv_pos > (size_t)w->ntok) {
        swan_error_set(&err, "bad shard work from rank %d (layer %d, %d tokens at %lld)", src,
                       w->layer, w->ntok, (long long)w->pos0);
        wire_fatal(err.msg);
    }
    int64_t qshape[3] = {KV, (int64_t)w->ntok * grp, hd}, kvshape[2] = {(int64_t)w->n_kv_pos, KV * hd};
    if (wire_tensor_check(w->q, 3, qshape, src, "shard queries", &err) != 0 ||
        wire_tensor_check(w->k, 2, kvshape, src, "shard keys", &err) != 0 ||
        wire_tensor_check(w->v, 2, kvshape, src, "shard values", &err) != 0)
        wire_fatal(err.msg);
    for (size_t i = 0; i < w->n_kv_pos; i++) {
        int64_t p = w->kv_pos[i];
        if (p < w->pos0 || p >= w->pos0 + w->ntok || (i && p <= w->kv_pos[i - 1]) ||
            shard_owner((long)p, n->group_size) != n->group_index) {
            swan_error_set(&err, "rank %d sent position %lld, which is not this rank's to keep", src,
                           (long long)p);
            wire_fatal(err.msg);
        }
    }
}

static void send_partial(Node *n, int src, const Swan__ShardWork *w, int rows) {
    int KV = n->model.cfg.num_kv_heads, hd = n->model.cfg.head_dim;
    Swan__ShardPartial p = SWAN__SHARD_PARTIAL__INIT;
    p.doc = w->doc;
    p.layer = w->layer;
    Swan__Tensor o, m, l;
    int64_t so[3], sm[2], sl[2];
    int64_t oshape[3] = {KV, rows / KV, hd}, mshape[2] = {KV, rows / KV};
    wire_tensor_f32(&o, so, 3, oshape, n->acc_all.o);
    wire_tensor_f32(&m, sm, 2, mshape, n->acc_all.m);
    wire_tensor_f32(&l, sl, 2, mshape, n->acc_all.l);
    p.o = &o;
    p.m = &m;
    p.l = &l;
    Swan__Envelope env = SWAN__ENVELOPE__INIT;
    env.body_case = SWAN__ENVELOPE__BODY_SHARD_PARTIAL;
    env.shard_partial = &p;
    n->current_doc = w->doc;
    node_current_doc(n)->shard_bytes_sent += (long)wire_packed_size(&env);
    SwanError err;
    if (wire_send(&env, src, TAG_SHARD, &err) != 0) wire_fatal(err.msg);
}

void shard_member_work(Node *n, int src, Swan__ShardWork *w) {
    check_work(n, src, w);
    const SwanConfig *cfg = &n->model.cfg;
    int KV = cfg->num_kv_heads, hd = cfg->head_dim, grp = cfg->num_heads / KV, width = KV * hd;
    int count = (int)w->n_kv_pos;
    NodeDoc *d = node_doc(n, w->doc, (long)w->pos0);
    float *k = n->kv_rows, *v = n->kv_rows + (size_t)n->max_chunk * width;
    wire_tensor_read(w->k, k);
    wire_tensor_read(w->v, v);
    wire_tensor_read(w->q, n->q_all);
    KvCache *cache = &d->caches.caches[w->layer - n->layer_begin];
    if (append_runs(cache, k, v, width, w->kv_pos, count) != 0) wire_fatal("out of memory growing a K/V cache shard");
    attn_cache_partial(&n->acc_all, n->q_all, KV, w->ntok, grp, (long)w->pos0, 0, cache, n->scores);
    send_partial(n, src, w, w->ntok * cfg->num_heads);
}
