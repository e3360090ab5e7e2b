#include "shard_leader.h"

#include <string.h>

int shard_leader_init(ShardLeader *l, const NodeRole *role, const SwanConfig *cfg) {
    memset(l, 0, sizeof *l);
    l->role = role;
    l->cfg = cfg;
    return shard_scratch_init(&l->s, cfg, role->max_chunk);
}

void shard_leader_free(ShardLeader *l) {
    shard_scratch_free(&l->s);
}

/* Copies the chunk's K/V rows that group rank `owner` keeps into the
 * scratch rows, with their positions; returns how many. */
static int gather_owned_rows(ShardLeader *l, const GlobalAttention *ga, int owner) {
    int width = l->s.width;
    float *k = shard_k_rows(&l->s), *v = shard_v_rows(&l->s);
    int count = 0;
    for (int t = 0; t < ga->ntok; t++) {
        if (shard_owner(ga->pos0 + t, l->role->group_size) != owner) continue;
        memcpy(k + (size_t)count * width, ga->k + (size_t)t * ga->kv_stride, sizeof(float) * width);
        memcpy(v + (size_t)count * width, ga->v + (size_t)t * ga->kv_stride, sizeof(float) * width);
        l->s.kv_pos[count++] = ga->pos0 + t;
    }
    return count;
}

static void send_work(ShardLeader *l, const GlobalAttention *ga, int member) {
    int KV = l->cfg->num_kv_heads, hd = l->cfg->head_dim, grp = l->cfg->num_heads / KV;
    int count = gather_owned_rows(l, ga, member);
    Swan__ShardWork w = SWAN__SHARD_WORK__INIT;
    w.doc = l->doc;
    w.layer = ga->layer;
    w.pos0 = ga->pos0;
    w.ntok = ga->ntok;
    Swan__Tensor q, k, v;
    int64_t sq[3], sk[2], sv[2];
    int64_t qshape[3] = {KV, (int64_t)ga->ntok * grp, hd}, kvshape[2] = {count, l->s.width};
    wire_tensor_f32(&q, sq, 3, qshape, ga->q);
    wire_tensor_f32(&k, sk, 2, kvshape, shard_k_rows(&l->s));
    wire_tensor_f32(&v, sv, 2, kvshape, shard_v_rows(&l->s));
    w.q = &q;
    w.k = &k;
    w.v = &v;
    w.n_kv_pos = (size_t)count;
    w.kv_pos = l->s.kv_pos;
    Swan__Envelope env;
    wire_wrap(&env, SWAN__ENVELOPE__BODY_SHARD_WORK, &w);
    *l->bytes_sent += (long)wire_packed_size(&env);
    SwanError err;
    if (wire_send(&env, l->role->group_ranks[member], TAG_SHARD, &err) != 0) wire_fatal(err.msg);
}

/* Reads a member's partial into acc_peer after checking its shapes. */
static void recv_partial(ShardLeader *l, int member, int layer, int rows) {
    int src = l->role->group_ranks[member], KV = l->cfg->num_kv_heads, hd = l->cfg->head_dim;
    Swan__Envelope *env = NULL;
    SwanError err;
    WireWait saved;
    wire_wait_begin(&saved, src, "computing its share of layer %d's attention for positions %ld-%ld",
                    layer, l->pos0, l->pos0 + rows / l->cfg->num_heads - 1);
    wire_wait(src, TAG_SHARD, NULL, NULL);
    wire_wait_end(&saved);
    if (wire_recv(src, TAG_SHARD, l->role->max_frame, &env, &err) != 0) wire_fatal(err.msg);
    Swan__ShardPartial *p = env->shard_partial;
    if (env->body_case != SWAN__ENVELOPE__BODY_SHARD_PARTIAL || p->doc != l->doc || p->layer != layer)
        wire_fatalf("rank %d answered layer %d of document %llu with something else", src, layer,
                    (unsigned long long)l->doc);
    int64_t oshape[3] = {KV, rows / KV, hd}, mshape[2] = {KV, rows / KV};
    if (wire_tensor_check(p->o, 3, oshape, src, "partial output", &err) != 0 ||
        wire_tensor_check(p->m, 2, mshape, src, "partial max", &err) != 0 ||
        wire_tensor_check(p->l, 2, mshape, src, "partial sum", &err) != 0)
        wire_fatal(err.msg);
    wire_tensor_read(p->o, l->s.acc_peer.o);
    wire_tensor_read(p->m, l->s.acc_peer.m);
    wire_tensor_read(p->l, l->s.acc_peer.l);
    swan__envelope__free_unpacked(env, NULL);
}

int shard_leader_attend(void *ctx, const GlobalAttention *ga, KvCache *cache, SwanError *err) {
    ShardLeader *l = ctx;
    int H = l->cfg->num_heads, KV = l->cfg->num_kv_heads, hd = l->cfg->head_dim, grp = H / KV;
    int rows = ga->ntok * H, G = l->role->group_size;
    l->pos0 = ga->pos0;
    for (int m = 1; m < G; m++) send_work(l, ga, m);

    int own = gather_owned_rows(l, ga, 0);
    if (shard_append_runs(cache, shard_k_rows(&l->s), shard_v_rows(&l->s), l->s.width, l->s.kv_pos,
                          own) != 0)
        return swan_error_set(err, "out of memory growing the K/V cache of layer %d", ga->layer);
    attn_cache_partial(&l->s.acc_all, ga->q, KV, ga->ntok, grp, ga->pos0, 0, cache, l->s.scores);
    for (int m = 1; m < G; m++) {
        recv_partial(l, m, ga->layer, rows);
        attn_merge(&l->s.acc_all, &l->s.acc_peer, rows);
    }
    size_t group_rows = (size_t)ga->ntok * grp;
    for (int g = 0; g < KV; g++) {
        AttnAcc view = {(int)group_rows, hd, l->s.acc_all.o + g * group_rows * hd,
                        l->s.acc_all.m + g * group_rows, l->s.acc_all.l + g * group_rows};
        attn_finish(&view, ga->ntok, grp, ga->out + (size_t)g * grp * hd, H * hd);
    }
    return 0;
}
