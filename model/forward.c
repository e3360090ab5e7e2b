#include "forward.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "attention.h"
#include "kernels.h"
#include "parallel.h"
#include "rope.h"

/* What one thread needs to attend a slice of queries to a layer's keys. */
typedef struct {
    float *qgroup; /* [C * grp][hd] scaled queries of one KV group */
    float *scores; /* attention score tile */
    AttnAcc acc;
} AttnScratch;

struct Forward {
    const SwanConfig *cfg;
    const ModelWeights *w;
    int max_chunk;
    int qkv_width; /* (H + 2 KV) * head_dim */
    /* scratch, all owned, sized for max_chunk rows */
    float *xn;            /* [C][d] normed input of a sublayer */
    float *qkv;           /* [C][qkv_width] */
    float *att;           /* [C][H hd] attention output before Wo */
    float *proj;          /* [C][d] */
    float *gate_up;       /* [C][2 I] */
    float *act;           /* [C][I] */
    AttnScratch *scratch; /* [nscratch]: one per worker thread of attention */
    int nscratch;
    RopeTable rope;
    GlobalAttentionFn global_attention; /* NULL: attention over the local cache */
    void *global_ctx;
    float *global_q; /* [KV][C grp][hd]: the hook's queries */
    MatmulScratch mm;
};

static int group_size(const SwanConfig *cfg) {
    return cfg->num_heads / cfg->num_kv_heads;
}

static void forward_free_scratch(Forward *f);

Forward *forward_new(const SwanConfig *cfg, const ModelWeights *w, int max_chunk, SwanError *err) {
    Forward *f = calloc(1, sizeof *f);
    if (!f) {
        swan_error_set(err, "out of memory allocating the forward pass");
        return NULL;
    }
    f->cfg = cfg;
    f->w = w;
    f->max_chunk = max_chunk;
    int d = cfg->hidden_size, hd = cfg->head_dim, H = cfg->num_heads;
    int I = cfg->intermediate_size, grp = group_size(cfg);
    size_t C = (size_t)max_chunk;
    f->qkv_width = (H + 2 * cfg->num_kv_heads) * hd;
    f->xn = malloc(sizeof(float) * C * d);
    f->qkv = malloc(sizeof(float) * C * f->qkv_width);
    f->att = malloc(sizeof(float) * C * H * hd);
    f->proj = malloc(sizeof(float) * C * d);
    f->gate_up = malloc(sizeof(float) * C * 2 * I);
    f->act = malloc(sizeof(float) * C * I);
    f->nscratch = parallel_workers();
    f->scratch = calloc((size_t)f->nscratch, sizeof *f->scratch);
    int scratch_rc = f->scratch ? 0 : -1;
    for (int i = 0; i < f->nscratch && scratch_rc == 0; i++) {
        AttnScratch *s = &f->scratch[i];
        s->qgroup = malloc(sizeof(float) * C * grp * hd);
        s->scores = malloc(sizeof(float) * attn_scratch_floats(grp));
        scratch_rc = attn_acc_init(&s->acc, max_chunk * grp, hd);
        if (!s->qgroup || !s->scores) scratch_rc = -1;
    }
    int rope_rc = rope_table_init(&f->rope, hd, cfg->rope_theta, &cfg->rope_scaling, max_chunk);
    rope_table_interleave(&f->rope, cfg->block.rope_interleaved);
    int widest = d > I ? d : I; /* columns of any weight: d, H hd or I */
    if (H * hd > widest) widest = H * hd;
    if (matmul_scratch_init(&f->mm, widest) != 0) rope_rc = -1;
    if (!f->xn || !f->qkv || !f->att || !f->proj || !f->gate_up || !f->act || scratch_rc != 0 ||
        rope_rc != 0) {
        forward_delete(f);
        swan_error_set(err, "out of memory allocating forward scratch for chunk %d", max_chunk);
        return NULL;
    }
    return f;
}

void forward_delete(Forward *f) {
    if (!f) return;
    forward_free_scratch(f);
    free(f);
}

int forward_max_chunk(const Forward *f) {
    return f->max_chunk;
}

int forward_set_global_attention(Forward *f, GlobalAttentionFn fn, void *ctx, SwanError *err) {
    const SwanConfig *cfg = f->cfg;
    free(f->global_q);
    f->global_q = malloc(sizeof(float) * (size_t)f->max_chunk * cfg->num_heads * cfg->head_dim);
    if (!f->global_q) return swan_error_set(err, "out of memory for sharded attention queries");
    f->global_attention = fn;
    f->global_ctx = ctx;
    return 0;
}

static void forward_free_scratch(Forward *f) {
    free(f->xn);
    free(f->qkv);
    free(f->att);
    free(f->proj);
    free(f->gate_up);
    free(f->act);
    for (int i = 0; f->scratch && i < f->nscratch; i++) {
        free(f->scratch[i].qgroup);
        free(f->scratch[i].scores);
        attn_acc_free(&f->scratch[i].acc);
    }
    free(f->scratch);
    free(f->global_q);
    matmul_scratch_free(&f->mm);
    rope_table_free(&f->rope);
}

int doc_caches_init(DocCaches *dc, const SwanConfig *cfg, int layer_begin, int layer_end,
                    SwanError *err) {
    dc->layer_begin = layer_begin;
    dc->layer_end = layer_end;
    dc->pos = 0;
    dc->global_attention_seconds = 0.0;
    dc->window_attention_seconds = 0.0;
    dc->caches = calloc((size_t)(layer_end - layer_begin) + 1, sizeof *dc->caches);
    if (!dc->caches) return swan_error_set(err, "out of memory allocating K/V caches");
    int width = cfg->num_kv_heads * cfg->head_dim;
    for (int l = layer_begin; l < layer_end; l++) {
        long window = cfg->layer_kind[l] == LAYER_WINDOW ? cfg->sliding_window : 0;
        kv_cache_init(&dc->caches[l - layer_begin], width, window);
    }
    return 0;
}

void doc_caches_free(DocCaches *dc) {
    if (!dc->caches) return;
    for (int l = dc->layer_begin; l < dc->layer_end; l++)
        kv_cache_free(&dc->caches[l - dc->layer_begin]);
    free(dc->caches);
    dc->caches = NULL;
}

size_t doc_caches_bytes(const DocCaches *dc, const SwanConfig *cfg, LayerKind kind) {
    size_t total = 0;
    for (int l = dc->layer_begin; l < dc->layer_end; l++)
        if (cfg->layer_kind[l] == kind) total += kv_cache_bytes(&dc->caches[l - dc->layer_begin]);
    return total;
}

typedef struct {
    const Matrix *embed;
    const int *tokens;
    float *x;
} EmbedArgs;

static void embed_range(void *p, int t0, int t1) {
    const EmbedArgs *a = p;
    for (int t = t0; t < t1; t++) matrix_row(a->embed, a->tokens[t], a->x + (size_t)t * a->embed->cols);
}

void forward_embed(const Forward *f, const int *tokens, int n, float *x) {
    EmbedArgs a = {&f->w->embed, tokens, x};
    parallel_rows(embed_range, &a, n, (size_t)f->cfg->hidden_size);
}

float forward_logit_scale(const SwanConfig *cfg, int layer, long pos) {
    double scale = 1.0 / sqrt((double)cfg->head_dim);
    if (cfg->layer_kind[layer] == LAYER_GLOBAL && !cfg->layer_rope[layer])
        scale *= swan_config_attn_scale(cfg, pos);
    return (float)scale;
}

/* Copies the queries of KV group g for the chunk's tokens t0 .. t0 + n - 1
 * (the chunk starts at position pos0) into rows t * grp + i of dst, scaled
 * per token. */
static void gather_group_queries(const Forward *f, int layer, int g, int t0, int n, long pos0,
                                 float *dst) {
    const SwanConfig *cfg = f->cfg;
    int hd = cfg->head_dim, grp = group_size(cfg);
    for (int t = 0; t < n; t++) {
        float scale = forward_logit_scale(cfg, layer, pos0 + t0 + t);
        const float *src = f->qkv + (size_t)(t0 + t) * f->qkv_width + (size_t)g * grp * hd;
        float *row = dst + (size_t)t * grp * hd;
        for (int i = 0; i < grp * hd; i++) row[i] = src[i] * scale;
    }
}

static void scaled_queries(const Forward *f, int layer, int n, long pos0, float *dst) {
    const SwanConfig *cfg = f->cfg;
    size_t group_floats = (size_t)n * group_size(cfg) * cfg->head_dim;
    for (int g = 0; g < cfg->num_kv_heads; g++)
        gather_group_queries(f, layer, g, 0, n, pos0, dst + g * group_floats);
}

/* Rows of queries one attention item takes: small enough that a chunk
 * splits over the workers, large enough to keep the score tiles GEMM-sized. */
#define ATTN_ITEM_TOKENS 64
/* Below this much work (query rows x keys x head_dim) waking threads costs
 * more than it saves: about one decoded token over a hundred keys, since
 * the pool's threads watch for the next job instead of sleeping at once
 * (decoding's attention over a few hundred keys then runs on every core). */
#define ATTN_PARALLEL_MIN_WORK (1L << 16)

typedef struct {
    Forward *f;
    int layer, n, items_per_group;
    const KvCache *cache;
    long pos0, window;
} AttendJob;

/* One item: queries [t0, t1) of the chunk in one KV group, over the cache
 * (earlier chunks) and the chunk's own keys. Every query row sees the same
 * key tiles in the same order however the chunk is split. */
static void attend_item(void *ctx, int item, int worker) {
    const AttendJob *j = ctx;
    Forward *f = j->f;
    const SwanConfig *cfg = f->cfg;
    AttnScratch *s = &f->scratch[worker];
    int hd = cfg->head_dim, H = cfg->num_heads, KV = cfg->num_kv_heads, grp = group_size(cfg);
    int g = item / j->items_per_group, t0 = (item % j->items_per_group) * ATTN_ITEM_TOKENS;
    int rows = j->n - t0 < ATTN_ITEM_TOKENS ? j->n - t0 : ATTN_ITEM_TOKENS;
    gather_group_queries(f, j->layer, g, t0, rows, j->pos0, s->qgroup);
    AttnQueries q = {s->qgroup, rows, grp, hd, j->pos0 + t0, j->window};
    attn_acc_reset(&s->acc, rows * grp);
    long nseg = kv_cache_nsegments(j->cache);
    for (long i = 0; i < nseg; i++) {
        KvSegment seg = kv_cache_segment(j->cache, i);
        seg.k += (size_t)g * hd; /* rows hold every KV head: pick this group's */
        seg.v += (size_t)g * hd;
        attn_accumulate(&s->acc, &q, &seg, s->scores);
    }
    KvSegment fresh = {f->qkv + (size_t)(H + g) * hd, f->qkv + (size_t)(H + KV + g) * hd, f->qkv_width,
                       j->pos0, t0 + rows};
    attn_accumulate(&s->acc, &q, &fresh, s->scores);
    attn_finish(&s->acc, rows, grp, f->att + (size_t)t0 * H * hd + (size_t)g * grp * hd, H * hd);
}

/* Attention of the chunk's queries over the layer's cache (earlier chunks)
 * and over the chunk's own keys, written to f->att: items of up to
 * ATTN_ITEM_TOKENS queries of one KV group, spread over the workers. */
static void attend_chunk(Forward *f, int layer, const KvCache *cache, int n, long pos0) {
    const SwanConfig *cfg = f->cfg;
    long window = cfg->layer_kind[layer] == LAYER_WINDOW ? cfg->sliding_window : 0;
    AttendJob job = {f, layer, n, (n + ATTN_ITEM_TOKENS - 1) / ATTN_ITEM_TOKENS, cache, pos0, window};
    int items = cfg->num_kv_heads * job.items_per_group;
    long keys = cache->count + n;
    long work = (long)n * cfg->num_heads * cfg->head_dim * (window && window < keys ? window : keys);
    if (f->nscratch >= parallel_workers() && work >= ATTN_PARALLEL_MIN_WORK) {
        parallel_for(items, attend_item, &job);
        return;
    }
    for (int i = 0; i < items; i++) attend_item(&job, i, 0);
}

/* The hook's view of the chunk: scaled queries, K/V rows, the output. */
static int sharded_attention(Forward *f, int layer, KvCache *cache, int n, long pos0, SwanError *err) {
    int H = f->cfg->num_heads, KV = f->cfg->num_kv_heads, hd = f->cfg->head_dim;
    scaled_queries(f, layer, n, pos0, f->global_q);
    GlobalAttention ga = {
        layer,        pos0,  n, f->global_q, f->qkv + (size_t)H * hd, f->qkv + (size_t)(H + KV) * hd,
        f->qkv_width, f->att};
    return f->global_attention(f->global_ctx, &ga, cache, err);
}

static double now_seconds(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static void block_norm(const SwanConfig *cfg, float *out, const float *x, const float *g, int n) {
    if (cfg->block.layer_norm)
        layernorm_rows(out, x, g, n, cfg->hidden_size, cfg->rms_norm_eps);
    else
        rmsnorm_rows(out, x, g, n, cfg->hidden_size, cfg->rms_norm_eps);
}

static int layer_forward(Forward *f, int layer, KvCache *cache, float *x, int n, long pos0,
                         DocCaches *dc, SwanError *err) {
    const SwanConfig *cfg = f->cfg;
    const LayerWeights *lw = &f->w->layers[layer - f->w->layer_begin];
    int d = cfg->hidden_size, hd = cfg->head_dim, H = cfg->num_heads, KV = cfg->num_kv_heads;
    int I = cfg->intermediate_size;

    block_norm(cfg, f->xn, x, lw->attn_norm, n);
    /* q, k and v side by side in each row of f->qkv: three products, no fused copy. */
    MatmulOut qkv[3] = {{&lw->wq, f->qkv, f->qkv_width},
                        {&lw->wk, f->qkv + (size_t)H * hd, f->qkv_width},
                        {&lw->wv, f->qkv + (size_t)(H + KV) * hd, f->qkv_width}};
    matmul_group(qkv, 3, f->xn, d, n, &f->mm);
    if (cfg->layer_rope[layer]) {
        rope_apply(&f->rope, f->qkv, n, f->qkv_width, H);
        rope_apply(&f->rope, f->qkv + (size_t)H * hd, n, f->qkv_width, KV);
    }
    int global = cfg->layer_kind[layer] == LAYER_GLOBAL;
    double t0 = now_seconds();
    int rc = 0;
    if (f->global_attention && global) {
        rc = sharded_attention(f, layer, cache, n, pos0, err);
    } else {
        attend_chunk(f, layer, cache, n, pos0);
        if (kv_cache_append(cache, f->qkv + (size_t)H * hd, f->qkv + (size_t)(H + KV) * hd,
                            f->qkv_width, pos0, n) != 0)
            rc = swan_error_set(err, "out of memory growing the K/V cache of layer %d at position %ld",
                                layer, pos0);
    }
    if (rc != 0) return -1;
    *(global ? &dc->global_attention_seconds : &dc->window_attention_seconds) += now_seconds() - t0;
    matmul(f->proj, d, f->att, H * hd, n, &lw->wo, &f->mm);
    add_inplace(x, f->proj, (size_t)n * d);

    /* The parallel block's MLP reads the same normed input as attention:
     * f->xn still holds it. */
    if (!cfg->block.parallel) block_norm(cfg, f->xn, x, lw->mlp_norm, n);
    MatmulOut gate_up[2] = {{&lw->w_gate, f->gate_up, 2 * I}, {&lw->w_up, f->gate_up + I, 2 * I}};
    matmul_group(gate_up, 2, f->xn, d, n, &f->mm);
    swiglu_rows(f->act, f->gate_up, n, I);
    matmul(f->proj, d, f->act, I, n, &lw->w_down, &f->mm);
    add_inplace(x, f->proj, (size_t)n * d);
    return 0;
}

int forward_layers(Forward *f, DocCaches *dc, float *x, int n, SwanError *err) {
    if (n <= 0) return 0;
    if (n > f->max_chunk)
        return swan_error_set(err, "chunk of %d tokens exceeds the engine's maximum of %d", n,
                              f->max_chunk);
    long pos0 = dc->pos;
    rope_table_fill(&f->rope, pos0, n);
    for (int l = dc->layer_begin; l < dc->layer_end; l++)
        if (layer_forward(f, l, &dc->caches[l - dc->layer_begin], x, n, pos0, dc, err) != 0) return -1;
    dc->pos += n;
    return 0;
}
