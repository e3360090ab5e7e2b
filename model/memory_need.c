#include "memory_need.h"

#include "attention.h"
#include "head.h"
#include "kv_cache.h"
#include "matrix.h"

static double row_bytes(const SwanConfig *cfg) {
    return 2.0 * cfg->num_kv_heads * cfg->head_dim * sizeof(float); /* K and V */
}

/* A ring doubles from 64 rows toward the window; the last doubling may
 * overshoot the length by up to twice. */
static double ring_rows(long n, long window) {
    double rows = n < 32 ? 64 : 2.0 * n;
    return rows < window ? rows : (double)window;
}

/* Pages of KV_PAGE_ROWS positions; page p belongs to group rank p % G. */
static double owned_pages(long n, int group_size, int group_index) {
    long pages = (n + KV_PAGE_ROWS - 1) / KV_PAGE_ROWS;
    long whole = pages / group_size;
    return (double)(whole + (pages % group_size > group_index ? 1 : 0));
}

double need_doc_bytes(const SwanConfig *cfg, int layer_begin, int layer_end, long n, int group_size,
                      int group_index) {
    double bytes = 0;
    for (int l = layer_begin; l < layer_end; l++) {
        if (cfg->layer_kind[l] == LAYER_GLOBAL)
            bytes += owned_pages(n, group_size, group_index) * KV_PAGE_ROWS * row_bytes(cfg);
        else if (group_index == 0 && n > 0)
            bytes += ring_rows(n, cfg->sliding_window) * row_bytes(cfg);
    }
    return bytes;
}

static double shard_floats(const SwanConfig *cfg, double C) {
    double H = cfg->num_heads, hd = cfg->head_dim, width = cfg->num_kv_heads * hd;
    int grp = cfg->num_heads / cfg->num_kv_heads;
    double acc = C * H * (hd + 2);
    return C * H * hd + (double)attn_scratch_floats(grp) + 2 * C * width + 2 * C + 2 * acc;
}

double need_leader_scratch_bytes(const SwanConfig *cfg, int max_chunk, int has_head, int group_size,
                                 int workers) {
    double C = max_chunk, d = cfg->hidden_size, H = cfg->num_heads, hd = cfg->head_dim;
    double I = cfg->intermediate_size, V = cfg->vocab_size, grp = H / cfg->num_kv_heads;
    double qkv = (H + 2.0 * cfg->num_kv_heads) * hd;
    double floats = C * (d + qkv + H * hd + d + 3 * I); /* forward buffers */
    floats += workers * (C * grp * hd + (double)attn_scratch_floats((int)grp) + C * grp * (hd + 2));
    floats += workers * (double)MATMUL_PANEL_FLOATS; /* widening panels */
    floats += C * d + 2 * C + V + C * d / 2;         /* leader buffers */
    if (has_head) {
        double rows = HEAD_LOGITS_FLOATS / V < HEAD_MIN_ROWS ? HEAD_MIN_ROWS : HEAD_LOGITS_FLOATS / V;
        floats += rows * (d + V) + workers * (double)MATMUL_PANEL_FLOATS;
    }
    if (group_size > 1) floats += C * H * hd + shard_floats(cfg, C);
    return floats * sizeof(float);
}

double need_member_scratch_bytes(const SwanConfig *cfg, int max_chunk) {
    return shard_floats(cfg, max_chunk) * sizeof(float);
}

long need_longest_doc(const SwanConfig *cfg, int layer_begin, int layer_end, int group_size,
                      int group_index, double budget) {
    if (budget < 0) return -1;
    long lo = 0, hi = 1;
    while (hi < NEED_ANY_LENGTH &&
           need_doc_bytes(cfg, layer_begin, layer_end, hi, group_size, group_index) <= budget)
        hi *= 2;
    if (hi >= NEED_ANY_LENGTH) return NEED_ANY_LENGTH;
    while (hi - lo > 1) { /* need(lo) fits, need(hi) does not */
        long mid = lo + (hi - lo) / 2;
        if (need_doc_bytes(cfg, layer_begin, layer_end, mid, group_size, group_index) <= budget)
            lo = mid;
        else
            hi = mid;
    }
    return lo;
}
