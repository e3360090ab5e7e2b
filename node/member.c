#include "member.h"

#include <string.h>

#include "model_paths.h"

void member_open(Member *m, const NodeRole *role, const char *model_dir) {
    memset(m, 0, sizeof *m);
    m->role = role;
    SwanError err;
    if (swan_config_load_dir(model_dir, &m->cfg, &err) != 0) wire_fatal(err.msg);
    if (role->layer_end > m->cfg.num_layers) wire_fatal("setup: layer range beyond the model");
    doc_table_init(&m->docs, &m->cfg, role->layer_begin, role->layer_end);
    if (shard_scratch_init(&m->s, &m->cfg, role->max_chunk) != 0)
        wire_fatal("out of memory for sharded attention scratch");
}

void member_close(Member *m) {
    doc_table_free(&m->docs);
    shard_scratch_free(&m->s);
    swan_config_free(&m->cfg);
}

/* Everything a member checks before touching its caches. */
static void check_work(const Member *m, int src, const Swan__ShardWork *w) {
    const SwanConfig *cfg = &m->cfg;
    const NodeRole *r = m->role;
    int KV = cfg->num_kv_heads, hd = cfg->head_dim, grp = cfg->num_heads / KV;
    SwanError err;
    if (w->layer < r->layer_begin || w->layer >= r->layer_end ||
        cfg->layer_kind[w->layer] != LAYER_GLOBAL || w->ntok < 1 || w->ntok > r->max_chunk ||
        w->pos0 < 0 || w->n_kv_pos > (size_t)w->ntok)
        wire_fatalf("bad shard work from rank %d (layer %d, %d tokens at %lld)", src, w->layer, w->ntok,
                    (long long)w->pos0);
    int64_t qshape[3] = {KV, (int64_t)w->ntok * grp, hd}, kvshape[2] = {(int64_t)w->n_kv_pos, KV * hd};
    if (wire_tensor_check(w->q, 3, qshape, src, "shard queries", &err) != 0 ||
        wire_tensor_check(w->k, 2, kvshape, src, "shard keys", &err) != 0 ||
        wire_tensor_check(w->v, 2, kvshape, src, "shard values", &err) != 0)
        wire_fatal(err.msg);
    for (size_t i = 0; i < w->n_kv_pos; i++) {
        int64_t p = w->kv_pos[i];
        if (p < w->pos0 || p >= w->pos0 + w->ntok || (i && p <= w->kv_pos[i - 1]) ||
            shard_owner((long)p, r->group_size) != r->group_index)
            wire_fatalf("rank %d sent position %lld, which is not this rank's to keep", src,
                        (long long)p);
    }
}

static void send_partial(Member *m, int src, const Swan__ShardWork *w, NodeDoc *d) {
    int KV = m->cfg.num_kv_heads, hd = m->cfg.head_dim, rows = w->ntok * m->cfg.num_heads;
    Swan__ShardPartial p = SWAN__SHARD_PARTIAL__INIT;
    p.doc = w->doc;
    p.layer = w->layer;
    Swan__Tensor o, mx, l;
    int64_t so[3], sm[2], sl[2];
    int64_t oshape[3] = {KV, rows / KV, hd}, mshape[2] = {KV, rows / KV};
    wire_tensor_f32(&o, so, 3, oshape, m->s.acc_all.o);
    wire_tensor_f32(&mx, sm, 2, mshape, m->s.acc_all.m);
    wire_tensor_f32(&l, sl, 2, mshape, m->s.acc_all.l);
    p.o = &o;
    p.m = &mx;
    p.l = &l;
    Swan__Envelope env;
    wire_wrap(&env, SWAN__ENVELOPE__BODY_SHARD_PARTIAL, &p);
    d->shard_bytes_sent += (long)wire_packed_size(&env);
    SwanError err;
    if (wire_send(&env, src, TAG_SHARD, &err) != 0) wire_fatal(err.msg);
}

void member_work(Member *m, int src, const Swan__ShardWork *w) {
    check_work(m, src, w);
    const SwanConfig *cfg = &m->cfg;
    int KV = cfg->num_kv_heads, grp = cfg->num_heads / KV;
    NodeDoc *d = doc_table_get(&m->docs, w->doc, (long)w->pos0, src);
    wire_tensor_read(w->k, shard_k_rows(&m->s));
    wire_tensor_read(w->v, shard_v_rows(&m->s));
    wire_tensor_read(w->q, m->s.q);
    KvCache *cache = &d->caches.caches[w->layer - m->role->layer_begin];
    if (shard_append_runs(cache, shard_k_rows(&m->s), shard_v_rows(&m->s), m->s.width, w->kv_pos,
                          (int)w->n_kv_pos) != 0)
        wire_fatal("out of memory growing a K/V cache shard");
    attn_cache_partial(&m->s.acc_all, m->s.q, KV, w->ntok, grp, (long)w->pos0, 0, cache, m->s.scores);
    send_partial(m, src, w, d);
}

void member_doc_end(Member *m, uint64_t doc) {
    doc_table_end(&m->docs, doc, m->role->rank);
}
