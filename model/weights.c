/* Loads a layer range into f32 buffers. Each tensor is checked against
 * the config before a byte is converted, so a wrong checkpoint fails with
 * a message instead of computing garbage. */
#include "weights.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NAME_MAX_LEN 128
#define SHAPE_TEXT_LEN (ST_MAX_DIMS * 24 + 4)

/* What a tensor must look like: a matrix rows x cols, or a vector of
 * rows when cols == 0. */
typedef struct {
    char name[NAME_MAX_LEN];
    int64_t rows, cols;
} TensorSpec;

static TensorSpec spec(int64_t rows, int64_t cols, const char *name) {
    TensorSpec s = {.rows = rows, .cols = cols};
    snprintf(s.name, sizeof s.name, "%s", name);
    return s;
}

static TensorSpec layer_spec(int64_t rows, int64_t cols, int layer, const char *suffix) {
    TensorSpec s = {.rows = rows, .cols = cols};
    snprintf(s.name, sizeof s.name, "model.layers.%d.%s", layer, suffix);
    return s;
}

static void shape_text(char *buf, const int64_t *shape, int ndim) {
    int n = sprintf(buf, "[");
    for (int i = 0; i < ndim; i++) n += sprintf(buf + n, "%s%lld", i ? ", " : "", (long long)shape[i]);
    sprintf(buf + n, "]");
}

static int check_shape(const StTensor *t, const TensorSpec *s, SwanError *err) {
    int64_t want[2] = {s->rows, s->cols};
    int want_ndim = s->cols ? 2 : 1;
    int same = t->ndim == want_ndim;
    for (int i = 0; same && i < want_ndim; i++) same = t->shape[i] == want[i];
    if (same) return 0;
    char have_text[SHAPE_TEXT_LEN], want_text[SHAPE_TEXT_LEN];
    shape_text(have_text, t->shape, t->ndim);
    shape_text(want_text, want, want_ndim);
    return swan_error_set(err, "%s: tensor %s has shape %s, expected %s", t->file, t->name, have_text,
                          want_text);
}

/* Finds a tensor and checks it can be converted and has the right shape. */
static int get_checked(SafeTensors *st, const TensorSpec *s, const StTensor **out, SwanError *err) {
    const StTensor *t;
    if (st_get(st, s->name, &t, err)) return -1;
    if (t->dtype != ST_F32 && t->dtype != ST_F16 && t->dtype != ST_BF16)
        return swan_error_set(err,
                              "%s: tensor %s has dtype %s, expected F32, F16 or "
                              "BF16",
                              t->file, t->name, t->dtype_name);
    if (check_shape(t, s, err)) return -1;
    *out = t;
    return 0;
}

static size_t spec_elems(const TensorSpec *s) {
    return (size_t)s->rows * (size_t)(s->cols ? s->cols : 1);
}

static float *alloc_f32(const StTensor *t, size_t n, ModelWeights *w, SwanError *err) {
    float *buf = malloc(n * sizeof *buf);
    if (!buf) {
        swan_error_set(err, "%s: out of memory loading %s (%zu bytes)", t->file, t->name,
                       n * sizeof *buf);
        return NULL;
    }
    w->bytes += n * sizeof *buf;
    return buf;
}

/* Stacks the row blocks of n tensors with equal column counts into one
 * buffer, in order: fused projections become one GEMM. */
static int load_rows(SafeTensors *st, const TensorSpec *specs, int n, float **dst, ModelWeights *w,
                     SwanError *err) {
    const StTensor *parts[3] = {NULL, NULL, NULL};
    size_t total = 0;
    for (int i = 0; i < n; i++) {
        if (get_checked(st, &specs[i], &parts[i], err)) return -1;
        total += spec_elems(&specs[i]);
    }
    float *buf = alloc_f32(parts[0], total, w, err);
    if (!buf) return -1;
    size_t at = 0;
    for (int i = 0; i < n; i++) {
        st_to_f32(parts[i], buf + at, spec_elems(&specs[i]));
        at += spec_elems(&specs[i]);
    }
    *dst = buf;
    return 0;
}

static int load_one(SafeTensors *st, TensorSpec s, float **dst, ModelWeights *w, SwanError *err) {
    return load_rows(st, &s, 1, dst, w, err);
}

static int load_layer(const SwanConfig *cfg, SafeTensors *st, int i, LayerWeights *lw, ModelWeights *w,
                      SwanError *err) {
    int64_t d = cfg->hidden_size, ff = cfg->intermediate_size;
    int64_t q_rows = (int64_t)cfg->num_heads * cfg->head_dim;
    int64_t kv_rows = (int64_t)cfg->num_kv_heads * cfg->head_dim;
    TensorSpec qkv[3] = {layer_spec(q_rows, d, i, "self_attn.q_proj.weight"),
                         layer_spec(kv_rows, d, i, "self_attn.k_proj.weight"),
                         layer_spec(kv_rows, d, i, "self_attn.v_proj.weight")};
    TensorSpec gate_up[2] = {layer_spec(ff, d, i, "mlp.gate_proj.weight"),
                             layer_spec(ff, d, i, "mlp.up_proj.weight")};
    if (load_one(st, layer_spec(d, 0, i, "input_layernorm.weight"), &lw->attn_norm, w, err) ||
        load_rows(st, qkv, 3, &lw->wqkv, w, err) ||
        load_one(st, layer_spec(d, q_rows, i, "self_attn.o_proj.weight"), &lw->wo, w, err) ||
        load_one(st, layer_spec(d, 0, i, "post_attention_layernorm.weight"), &lw->mlp_norm, w, err) ||
        load_rows(st, gate_up, 2, &lw->w_gate_up, w, err) ||
        load_one(st, layer_spec(d, ff, i, "mlp.down_proj.weight"), &lw->w_down, w, err))
        return -1;
    return 0;
}

/* Tied models read the head from the embedding: share the buffer when
 * this stage holds both, else load the table a second time. */
static int load_head(const SwanConfig *cfg, SafeTensors *st, ModelWeights *w, SwanError *err) {
    int64_t v = cfg->vocab_size, d = cfg->hidden_size;
    if (load_one(st, spec(d, 0, "model.norm.weight"), &w->final_norm, w, err)) return -1;
    if (!cfg->tie_word_embeddings)
        return load_one(st, spec(v, d, "lm_head.weight"), &w->lm_head, w, err);
    if (w->embed) {
        w->lm_head = w->embed;
        return 0;
    }
    return load_one(st, spec(v, d, "model.embed_tokens.weight"), &w->lm_head, w, err);
}

int weights_load(const SwanConfig *cfg, SafeTensors *st, int layer_begin, int layer_end, int want_embed,
                 int want_head, ModelWeights *w, SwanError *err) {
    memset(w, 0, sizeof *w);
    if (layer_begin < 0 || layer_begin > layer_end || layer_end > cfg->num_layers)
        return swan_error_set(err,
                              "layer range [%d, %d) is outside the model's %d "
                              "layers",
                              layer_begin, layer_end, cfg->num_layers);
    w->layer_begin = layer_begin;
    w->layer_end = layer_end;
    size_t n_layers = (size_t)(layer_end - layer_begin);
    w->layers = calloc(n_layers + 1, sizeof *w->layers);
    if (!w->layers) return swan_error_set(err, "out of memory for %zu layers", n_layers);
    int rc = 0;
    for (int i = layer_begin; i < layer_end && rc == 0; i++)
        rc = load_layer(cfg, st, i, &w->layers[i - layer_begin], w, err);
    if (rc == 0 && want_embed)
        rc = load_one(st, spec(cfg->vocab_size, cfg->hidden_size, "model.embed_tokens.weight"),
                      &w->embed, w, err);
    if (rc == 0 && want_head) rc = load_head(cfg, st, w, err);
    if (rc) weights_free(w);
    return rc;
}

void weights_free(ModelWeights *w) {
    if (!w) return;
    int n_layers = w->layers ? w->layer_end - w->layer_begin : 0;
    for (int i = 0; i < n_layers; i++) {
        LayerWeights *lw = &w->layers[i];
        free(lw->attn_norm);
        free(lw->wqkv);
        free(lw->wo);
        free(lw->mlp_norm);
        free(lw->w_gate_up);
        free(lw->w_down);
    }
    free(w->layers);
    if (w->lm_head != w->embed) free(w->lm_head);
    free(w->embed);
    free(w->final_norm);
    memset(w, 0, sizeof *w);
}
