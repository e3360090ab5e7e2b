#include "shard.h"

#include <stdlib.h>

int shard_owner(long pos, int group_size) {
    return (int)((pos / KV_PAGE_ROWS) % group_size);
}

int shard_scratch_init(ShardScratch *s, const SwanConfig *cfg, int max_chunk) {
    size_t C = (size_t)max_chunk, H = cfg->num_heads, hd = cfg->head_dim;
    int grp = cfg->num_heads / cfg->num_kv_heads;
    s->max_chunk = max_chunk;
    s->width = cfg->num_kv_heads * cfg->head_dim;
    s->q = malloc(sizeof(float) * C * H * hd);
    s->scores = malloc(sizeof(float) * attn_scratch_floats(grp));
    s->kv_rows = malloc(sizeof(float) * 2 * C * (size_t)s->width);
    s->kv_pos = malloc(sizeof(int64_t) * C);
    int a = attn_acc_init(&s->acc_all, (int)(C * H), (int)hd);
    int b = attn_acc_init(&s->acc_peer, (int)(C * H), (int)hd);
    return s->q && s->scores && s->kv_rows && s->kv_pos && a == 0 && b == 0 ? 0 : -1;
}

void shard_scratch_free(ShardScratch *s) {
    free(s->q);
    free(s->scores);
    free(s->kv_rows);
    free(s->kv_pos);
    attn_acc_free(&s->acc_all);
    attn_acc_free(&s->acc_peer);
    s->q = s->scores = s->kv_rows = NULL;
    s->kv_pos = NULL;
}

float *shard_k_rows(ShardScratch *s) {
    return s->kv_rows;
}

float *shard_v_rows(ShardScratch *s) {
    return s->kv_rows + (size_t)s->max_chunk * s->width;
}

int shard_append_runs(KvCache *c, const float *k, const float *v, int ld, const int64_t *pos,
                      int count) {
    for (int r0 = 0; r0 < count;) {
        int r1 = r0 + 1;
        while (r1 < count && pos[r1] == pos[r1 - 1] + 1) r1++;
        if (kv_cache_append(c, k + (size_t)r0 * ld, v + (size_t)r0 * ld, ld, (long)pos[r0], r1 - r0) !=
            0)
            return -1;
        r0 = r1;
    }
    return 0;
}
