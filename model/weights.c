/* Loads a layer range: matrices as views of the mapping, norm vectors as
 * f32 copies. Each tensor is checked against the config before it is used,
 * so a wrong checkpoint fails with a message instead of computing garbage. */
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
    const StTensor *t = NULL;
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

/* Norm vectors are tiny and read every row: an f32 copy of each. */
static int load_vector(SafeTensors *st, TensorSpec s, float **dst, ModelWeights *w, SwanError *err) {
    const StTensor *t = NULL;
    if (get_checked(st, &s, &t, err)) return -1;
    size_t n = spec_elems(&s);
    if (!(*dst = malloc(n * sizeof **dst)))
        return swan_error_set(err, "%s: out of memory loading %s", t->file, t->name);
    st_to_f32(t, *dst, n);
    w->bytes += n * sizeof **dst;
    return 0;
}

static int keep_copy(ModelWeights *w, void *copy) {
    void **grown = realloc(w->copies, sizeof *grown * (size_t)(w->ncopies + 1));
    if (!grown) return -1;
    w->copies = grown;
    w->copies[w->ncopies++] = copy;
    return 0;
}

/* f32 data the kernels cannot read in place: unaligned in the file, or on
 * a big-endian host. Copied once, as f32. */
static int needs_copy(const StTensor *t) {
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    (void)t;
    return 1;
#else
    return t->dtype == ST_F32 && (uintptr_t)t->data % sizeof(float) != 0;
#endif
}

/* Reads one byte of every page of a mapped tensor, so the file is read and
 * mapped while loading, not in the middle of the first chunk. */
static void prefault(const void *data, size_t bytes) {
    const volatile unsigned char *p = data;
    unsigned sum = 0;
    for (size_t i = 0; i < bytes; i += 4096) sum += p[i];
    (void)sum;
}

static int load_matrix(SafeTensors *st, TensorSpec s, Matrix *m, ModelWeights *w, SwanError *err) {
    const StTensor *t = NULL;
    if (get_checked(st, &s, &t, err)) return -1;
    *m = (Matrix){t->dtype == ST_F32   ? MAT_F32
                  : t->dtype == ST_F16 ? MAT_F16
                                       : MAT_BF16,
                  t->data, (int)s.rows, (int)s.cols};
    if (needs_copy(t)) {
        float *copy = malloc(spec_elems(&s) * sizeof *copy);
        if (!copy || keep_copy(w, copy) != 0) {
            free(copy);
            return swan_error_set(err, "%s: out of memory loading %s", t->file, t->name);
        }
        st_to_f32(t, copy, spec_elems(&s));
        *m = (Matrix){MAT_F32, copy, (int)s.rows, (int)s.cols};
    }
    prefault(m->data, matrix_bytes(m));
    w->bytes += matrix_bytes(m);
    return 0;
}

static int load_layer(const SwanConfig *cfg, SafeTensors *st, int i, LayerWeights *lw, ModelWeights *w,
                      SwanError *err) {
    int64_t d = cfg->hidden_size, ff = cfg->intermediate_size;
    int64_t q_rows = (int64_t)cfg->num_heads * cfg->head_dim;
    int64_t kv_rows = (int64_t)cfg->num_kv_heads * cfg->head_dim;
    if (load_vector(st, layer_spec(d, 0, i, "input_layernorm.weight"), &lw->attn_norm, w, err) ||
        load_matrix(st, layer_spec(q_rows, d, i, "self_attn.q_proj.weight"), &lw->wq, w, err) ||
        load_matrix(st, layer_spec(kv_rows, d, i, "self_attn.k_proj.weight"), &lw->wk, w, err) ||
        load_matrix(st, layer_spec(kv_rows, d, i, "self_attn.v_proj.weight"), &lw->wv, w, err) ||
        load_matrix(st, layer_spec(d, q_rows, i, "self_attn.o_proj.weight"), &lw->wo, w, err) ||
        (!cfg->block.parallel && load_vector(st, layer_spec(d, 0, i, "post_attention_layernorm.weight"),
                                             &lw->mlp_norm, w, err)) ||
        load_matrix(st, layer_spec(ff, d, i, "mlp.gate_proj.weight"), &lw->w_gate, w, err) ||
        load_matrix(st, layer_spec(ff, d, i, "mlp.up_proj.weight"), &lw->w_up, w, err) ||
        load_matrix(st, layer_spec(d, ff, i, "mlp.down_proj.weight"), &lw->w_down, w, err))
        return -1;
    return 0;
}

/* Tied models read the head from the embedding: the same matrix, counted
 * once when this stage holds both. */
static int load_head(const SwanConfig *cfg, SafeTensors *st, ModelWeights *w, SwanError *err) {
    int64_t v = cfg->vocab_size, d = cfg->hidden_size;
    if (load_vector(st, spec(d, 0, "model.norm.weight"), &w->final_norm, w, err)) return -1;
    if (!cfg->tie_word_embeddings)
        return load_matrix(st, spec(v, d, "lm_head.weight"), &w->lm_head, w, err);
    if (w->embed.data) {
        w->lm_head = w->embed;
        return 0;
    }
    return load_matrix(st, spec(v, d, "model.embed_tokens.weight"), &w->lm_head, w, err);
}

int weights_load(const SwanConfig *cfg, SafeTensors *st, int layer_begin, int layer_end, int want_embed,
                 int want_head, ModelWeights *w, SwanError *err) {
    memset(w, 0, sizeof *w);
    if (layer_begin < 0 || layer_begin > layer_end || layer_end > cfg->num_layers)
        return swan_error_set(err, "layer range [%d, %d) is outside the model's %d layers", layer_begin,
                              layer_end, cfg->num_layers);
    w->layer_begin = layer_begin;
    w->layer_end = layer_end;
    size_t n_layers = (size_t)(layer_end - layer_begin);
    w->layers = calloc(n_layers + 1, sizeof *w->layers);
    if (!w->layers) return swan_error_set(err, "out of memory for %zu layers", n_layers);
    int rc = 0;
    for (int i = layer_begin; i < layer_end && rc == 0; i++)
        rc = load_layer(cfg, st, i, &w->layers[i - layer_begin], w, err);
    if (rc == 0 && want_embed)
        rc = load_matrix(st, spec(cfg->vocab_size, cfg->hidden_size, "model.embed_tokens.weight"),
                         &w->embed, w, err);
    if (rc == 0 && want_head) rc = load_head(cfg, st, w, err);
    if (rc) weights_free(w);
    return rc;
}

void weights_free(ModelWeights *w) {
    if (!w) return;
    int n_layers = w->layers ? w->layer_end - w->layer_begin : 0;
    for (int i = 0; i < n_layers; i++) {
        free(w->layers[i].attn_norm);
        free(w->layers[i].mlp_norm);
    }
    free(w->layers);
    free(w->final_norm);
    for (int i = 0; i < w->ncopies; i++) free(w->copies[i]);
    free(w->copies);
    memset(w, 0, sizeof *w);
}
