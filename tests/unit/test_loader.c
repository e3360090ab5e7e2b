/* Unit tests for the loader: config.json parsing and validation,
 * safetensors reading and dtype conversion, and weights_load (fusing,
 * tied heads, and that a layer range maps only its own shards).
 * Writes small models into a temporary directory it removes at the end. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "safetensors.h"
#include "weights.h"

#include "check.h"

/* ---- scratch files ------------------------------------------------------ */

static char tmp_root[256];
static char created[64][512]; /* removed in reverse order at exit */
static int n_created;

static const char *scratch(const char *rel) {
    if (n_created == (int)(sizeof created / sizeof created[0])) {
        fprintf(stderr, "test_loader: too many scratch files\n");
        exit(2);
    }
    char *path = created[n_created++];
    snprintf(path, sizeof created[0], "%s/%s", tmp_root, rel);
    return path;
}

static const char *make_dir(const char *rel) {
    const char *path = scratch(rel);
    mkdir(path, 0755);
    return path;
}

static void write_bytes(const char *path, const void *data, size_t n) {
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(data, 1, n, f) != n || fclose(f) != 0) {
        perror(path);
        exit(2);
    }
}

static const char *write_text(const char *rel, const char *text) {
    const char *path = scratch(rel);
    write_bytes(path, text, strlen(text));
    return path;
}

static void remove_scratch(void) {
    while (n_created > 0) remove(created[--n_created]);
    rmdir(tmp_root);
}

/* ---- a tiny safetensors writer ------------------------------------------ */

typedef struct {
    const char *name;
    const char *dtype;
    int elem_size;
    int ndim;
    int64_t shape[ST_MAX_DIMS + 1];
    const void *data; /* product(shape) * elem_size bytes */
} TestTensor;

static size_t tensor_bytes(const TestTensor *t) {
    size_t n = (size_t)t->elem_size;
    for (int i = 0; i < t->ndim; i++) n *= (size_t)t->shape[i];
    return n;
}

/* Writes the tensors back to back; returns the file size. pad = 0 leaves
 * the data start wherever the header ends (unaligned). */
static size_t write_safetensors(const char *rel, const TestTensor *ts, int n, int pad) {
    char header[8192];
    size_t len = (size_t)snprintf(header, sizeof header, "{\"__metadata__\":{}");
    size_t at = 0;
    for (int i = 0; i < n; i++) {
        len += (size_t)snprintf(header + len, sizeof header - len,
                                ",\"%s\":{\"dtype\":\"%s\",\"shape\":[", ts[i].name, ts[i].dtype);
        for (int d = 0; d < ts[i].ndim; d++)
            len += (size_t)snprintf(header + len, sizeof header - len, "%s%lld", d ? "," : "",
                                    (long long)ts[i].shape[d]);
        len += (size_t)snprintf(header + len, sizeof header - len, "],\"data_offsets\":[%zu,%zu]}", at,
                                at + tensor_bytes(&ts[i]));
        at += tensor_bytes(&ts[i]);
    }
    len += (size_t)snprintf(header + len, sizeof header - len, "}");
    while (pad && len % 8) header[len++] = ' ';
    size_t total = 8 + len + at;
    unsigned char *file = malloc(total);
    for (int i = 0; i < 8; i++) file[i] = (unsigned char)((uint64_t)len >> 8 * i);
    memcpy(file + 8, header, len);
    at = 8 + len;
    for (int i = 0; i < n; i++) {
        memcpy(file + at, ts[i].data, tensor_bytes(&ts[i]));
        at += tensor_bytes(&ts[i]);
    }
    write_bytes(scratch(rel), file, total);
    free(file);
    return total;
}

/* A file from a literal header: for headers the writer above would not make. */
static void write_raw_safetensors(const char *rel, const char *header, size_t header_len,
                                  size_t data_len) {
    size_t total = 8 + header_len + data_len;
    unsigned char *file = calloc(total, 1);
    for (int i = 0; i < 8; i++) file[i] = (unsigned char)((uint64_t)header_len >> 8 * i);
    memcpy(file + 8, header, header_len);
    write_bytes(scratch(rel), file, total);
    free(file);
}

/* ---- dtype conversion ---------------------------------------------------- */

static void convert(StDtype dtype, const void *data, float *out, size_t n) {
    StTensor t = {.dtype = dtype, .data = data, .nbytes = n * 4};
    st_to_f32(&t, out, n);
}

static void test_f16(void) {
    const uint16_t half[] = {0x3c00, 0xc000, 0x7bff, 0x0001, 0x03ff, 0x0400,
                             0x3555, 0x8000, 0x7c00, 0xfc00, 0x7e00, 0x0000};
    const float want[] = {
        1.0f,     -2.0f,     65504.0f, 0x1p-24f, 1023 * 0x1p-24f, 0x1p-14f, 0.333251953125f, -0.0f,
        INFINITY, -INFINITY, NAN,      0.0f};
    unsigned char bytes[sizeof half + 1];
    for (size_t i = 0; i < 12; i++) { /* little-endian, one byte off alignment */
        bytes[1 + 2 * i] = (unsigned char)(half[i] & 0xff);
        bytes[2 + 2 * i] = (unsigned char)(half[i] >> 8);
    }
    float got[12];
    convert(ST_F16, bytes + 1, got, 12);
    for (int i = 0; i < 12; i++) {
        int same = isnan(want[i]) ? isnan(got[i])
                                  : got[i] == want[i] && signbit(got[i]) == signbit(want[i]);
        CHECK(same, "f16 0x%04x -> %g, want %g", half[i], got[i], want[i]);
    }
}

static void test_bf16(void) {
    const uint16_t bf[] = {0x3f80, 0x4049, 0xc2f7, 0x0001, 0x7f80, 0xff80, 0x7fc0, 0x8000};
    const float want[] = {1.0f, 3.140625f, -123.5f, 0x1p-133f, INFINITY, -INFINITY, NAN, -0.0f};
    unsigned char bytes[2 * 8];
    for (int i = 0; i < 8; i++) {
        bytes[2 * i] = (unsigned char)(bf[i] & 0xff);
        bytes[2 * i + 1] = (unsigned char)(bf[i] >> 8);
    }
    float got[8];
    convert(ST_BF16, bytes, got, 8);
    for (int i = 0; i < 8; i++) {
        int same = isnan(want[i]) ? isnan(got[i])
                                  : got[i] == want[i] && signbit(got[i]) == signbit(want[i]);
        CHECK(same, "bf16 0x%04x -> %g, want %g", bf[i], got[i], want[i]);
    }
}

static void test_f32_unaligned(void) {
    const float want[3] = {1.5f, -0.25f, 1e-40f};
    unsigned char bytes[sizeof want + 3];
    memcpy(bytes + 3, want, sizeof want);
    float got[3];
    convert(ST_F32, bytes + 3, got, 3);
    CHECK(memcmp(got, want, sizeof want) == 0, "unaligned f32 copy");
}

/* ---- config.json ---------------------------------------------------------- */

#define REQUIRED_KEYS                                                   \
    "\"vocab_size\": 8, \"hidden_size\": 4, \"intermediate_size\": 6, " \
    "\"num_hidden_layers\": 2, \"num_attention_heads\": 2, "            \
    "\"max_position_embeddings\": 16"

static int load_config_text(const char *text, SwanConfig *cfg, SwanError *err) {
    const char *path = write_text("config.json", text);
    int rc = swan_config_load(path, cfg, err);
    remove(path);
    n_created--;
    return rc;
}

static void test_config_defaults(void) {
    SwanConfig cfg;
    SwanError err = {""};
    int rc = load_config_text("{" REQUIRED_KEYS "}", &cfg, &err);
    CHECK(rc == 0, "minimal config: %s", err.msg);
    if (rc) return;
    CHECK(cfg.head_dim == 2 && cfg.num_kv_heads == 2, "head_dim %d kv %d", cfg.head_dim,
          cfg.num_kv_heads);
    CHECK(cfg.rms_norm_eps == 1e-6f && cfg.rope_theta == 10000.0, "eps/theta defaults");
    CHECK(cfg.tie_word_embeddings == 0 && cfg.sliding_window == 0, "tie/window defaults");
    CHECK(cfg.bos_token_id == -1 && cfg.eos_token_id == -1, "token id defaults");
    CHECK(cfg.scaling_alpha == 0 && cfg.scaling_train_len == 16, "scaling defaults");
    for (int i = 0; i < 2; i++)
        CHECK(cfg.layer_kind[i] == LAYER_GLOBAL && !cfg.layer_rope[i],
              "layer %d defaults to global NoPE", i);
    CHECK(swan_config_attn_scale(&cfg, 1000) == 1.0, "no scaling when off");
    swan_config_free(&cfg);
}

static void test_config_full(void) {
    SwanConfig cfg;
    SwanError err = {""};
    int rc = load_config_text(
        "{" REQUIRED_KEYS ", \"num_key_value_heads\": 1, \"head_dim\": 6,"
        "\"sliding_window\": 1073741824, \"rope_theta\": 500000, \"rms_norm_eps\": 1e-5,"
        "\"layer_types\": [\"sliding_attention\", \"full_attention\"],"
        "\"no_rope_layers\": [1, 1], \"tie_word_embeddings\": true,"
        "\"bos_token_id\": 1, \"eos_token_id\": [2, 3], \"rope_scaling\": null,"
        "\"swan_attn_scaling\": {\"type\": \"log\", \"train_len\": 4, \"alpha\": 0.5}}",
        &cfg, &err);
    CHECK(rc == 0, "full config: %s", err.msg);
    if (rc) return;
    CHECK(cfg.head_dim == 6 && cfg.num_kv_heads == 1, "explicit head_dim and kv");
    CHECK(cfg.sliding_window == 1073741824L, "large window %ld", cfg.sliding_window);
    CHECK(cfg.layer_kind[0] == LAYER_WINDOW && cfg.layer_kind[1] == LAYER_GLOBAL, "layer kinds");
    CHECK(cfg.layer_rope[0] && cfg.layer_rope[1], "no_rope_layers overrides default");
    CHECK(cfg.tie_word_embeddings == 1 && cfg.bos_token_id == 1 && cfg.eos_token_id == 2,
          "tie and token ids (first eos of a list)");
    CHECK(cfg.rope_theta == 500000.0 && cfg.rms_norm_eps == 1e-5f, "theta and eps");
    CHECK(swan_config_attn_scale(&cfg, 0) == 1.0, "s(0) = 1 below train_len");
    double s = swan_config_attn_scale(&cfg, 15), want = 1 + 0.5 * log(16.0 / 4.0);
    CHECK(fabs(s - want) < 1e-12, "s(15) = %g, want %g", s, want);
    swan_config_free(&cfg);
}

/* Each bad config must fail with its path and the named problem. */
static void test_config_errors(void) {
    static const struct {
        const char *json, *want;
    } cases[] = {
        {"{" REQUIRED_KEYS ", \"num_key_value_heads\": 3}",
         "num_attention_heads (2) is not a multiple of num_key_value_heads (3)"},
        {"{\"vocab_size\": 8}", "hidden_size missing"},
        {"{\"vocab_size\": 8, \"hidden_size\": 5, \"intermediate_size\": 6, "
         "\"num_hidden_layers\": 2, \"num_attention_heads\": 2, "
         "\"max_position_embeddings\": 16}",
         "hidden_size (5) is not a multiple"},
        {"{" REQUIRED_KEYS ", \"layer_types\": [\"sliding_attention\", "
         "\"full_attention\"]}",
         "sliding_window missing"},
        {"{" REQUIRED_KEYS ", \"sliding_window\": -3}", "sliding_window (-3) must be >= 1"},
        {"{" REQUIRED_KEYS ", \"layer_types\": [\"full_attention\"]}", "layer_types has 1 entries"},
        {"{" REQUIRED_KEYS ", \"no_rope_layers\": [1, 0, 1]}", "no_rope_layers has 3"},
        {"{" REQUIRED_KEYS ", \"no_rope_layers\": [1, 0], \"head_dim\": 3}",
         "head_dim (3) must be even"},
        {"{" REQUIRED_KEYS ", \"rope_theta\": 0}", "rope_theta (0) must be > 0"},
        {"{" REQUIRED_KEYS ", \"rms_norm_eps\": -1}", "rms_norm_eps (-1) must be > 0"},
        {"{" REQUIRED_KEYS ", \"rms_norm_eps\": 1e-300}", "rms_norm_eps"},
        {"{" REQUIRED_KEYS ", \"swan_attn_scaling\": {\"type\": \"log\", \"alpha\": -1}}",
         "alpha (-1) must be >= 0"},
        {"{" REQUIRED_KEYS ", \"swan_attn_scaling\": {\"type\": \"log\", \"train_len\": 0}}",
         "train_len (0) must be >= 1"},
        {"{" REQUIRED_KEYS ", \"swan_attn_scaling\": {\"type\": \"yarn\"}}", "swan_attn_scaling.type"},
        {"{\"vocab_size\": 2.5}", "vocab_size must be an integer"},
        {"{\"vocab_size\": 4294967296}", "vocab_size (4294967296) is too large"},
        {"{" REQUIRED_KEYS ", \"vocab_size\": 9}", "vocab_size appears twice"},
        {"{" REQUIRED_KEYS ", \"swan_attn_scaling\": {\"alpha\": 1, \"alpha\": 0}}",
         "swan_attn_scaling.alpha appears twice"},
        {"{" REQUIRED_KEYS ", \"eos_token_id\": 8}", "eos_token_id (8) is outside"},
        {"{" REQUIRED_KEYS ", \"tie_word_embeddings\": 1}", "tie_word_embeddings must be"},
        {"{" REQUIRED_KEYS ", \"rope_scaling\": {\"type\": \"linear\"}}", "rope_scaling"},
        {"{\"vocab_size\": 2000000000, \"hidden_size\": 2000000000, "
         "\"intermediate_size\": 1, \"num_hidden_layers\": 1, \"num_attention_heads\": 1,"
         "\"max_position_embeddings\": 1}",
         "absurd"},
        {"{" REQUIRED_KEYS "} trailing", "invalid JSON"},
        {"[1, 2]", "not a JSON object"},
        {"", "invalid JSON"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        SwanConfig cfg;
        SwanError err = {""};
        int rc = load_config_text(cases[i].json, &cfg, &err);
        CHECK(rc == -1 && strstr(err.msg, cases[i].want) && strstr(err.msg, "config.json: "),
              "case %zu: got \"%s\", want \"%s\"", i, err.msg, cases[i].want);
        CHECK(cfg.layer_kind == NULL && cfg.layer_rope == NULL, "case %zu left arrays", i);
        if (rc == 0) swan_config_free(&cfg);
    }
    SwanConfig cfg;
    SwanError err = {""};
    CHECK(swan_config_load(scratch("nonexistent/config.json"), &cfg, &err) == -1 &&
              strstr(err.msg, "nonexistent/config.json: cannot open"),
          "missing file: %s", err.msg);
    n_created--;
}

/* ---- a 2-layer model in two shards ------------------------------------- */

/* V=8, d=4, I=6, H=2, KV=1, head_dim=2. Each tensor's values are
 * 100 * (its number) + element index, so fused layouts are checkable. */
enum { V = 8, D = 4, FF = 6, HD = 2, N_PER_LAYER = 9 };

typedef struct {
    char names[2 + 2 * N_PER_LAYER + 1][64];
    float values[2 + 2 * N_PER_LAYER + 1][V * D];
    TestTensor t[2 + 2 * N_PER_LAYER + 1];
    int n;
} TinyModel;

static void tiny_add(TinyModel *m, const char *name, int64_t rows, int64_t cols) {
    int k = m->n++;
    snprintf(m->names[k], sizeof m->names[k], "%s", name);
    int64_t n = rows * (cols ? cols : 1);
    for (int64_t i = 0; i < n; i++) m->values[k][i] = (float)(100 * k + i);
    m->t[k] = (TestTensor){m->names[k], "F32", 4, cols ? 2 : 1, {rows, cols}, m->values[k]};
}

static void tiny_build(TinyModel *m, int with_lm_head) {
    const char *sfx[N_PER_LAYER] = {"input_layernorm.weight",  "self_attn.q_proj.weight",
                                    "self_attn.k_proj.weight", "self_attn.v_proj.weight",
                                    "self_attn.o_proj.weight", "post_attention_layernorm.weight",
                                    "mlp.gate_proj.weight",    "mlp.up_proj.weight",
                                    "mlp.down_proj.weight"};
    const int64_t shape[N_PER_LAYER][2] = {{D, 0}, {2 * HD, D}, {HD, D}, {HD, D}, {D, 2 * HD},
                                           {D, 0}, {FF, D},     {FF, D}, {D, FF}};
    m->n = 0;
    tiny_add(m, "model.embed_tokens.weight", V, D);
    for (int layer = 0; layer < 2; layer++)
        for (int k = 0; k < N_PER_LAYER; k++) {
            char name[64];
            snprintf(name, sizeof name, "model.layers.%d.%s", layer, sfx[k]);
            tiny_add(m, name, shape[k][0], shape[k][1]);
        }
    tiny_add(m, "model.norm.weight", D, 0);
    if (with_lm_head) tiny_add(m, "lm_head.weight", V, D);
}

static const char *tiny_config(int tied) {
    return tied ? "{" REQUIRED_KEYS ", \"num_key_value_heads\": 1,"
                  " \"tie_word_embeddings\": true}"
                : "{" REQUIRED_KEYS ", \"num_key_value_heads\": 1}";
}

/* Shard 1: embedding and layer 0; shard 2: layer 1 and the head. */
static void tiny_write_sharded(const char *dir, TinyModel *m, size_t size[2]) {
    int split = 1 + N_PER_LAYER;
    char rel[256], index[8192];
    snprintf(rel, sizeof rel, "%s/model-1.safetensors", dir);
    size[0] = write_safetensors(rel, m->t, split, 1);
    snprintf(rel, sizeof rel, "%s/model-2.safetensors", dir);
    size[1] = write_safetensors(rel, m->t + split, m->n - split, 0);
    size_t len = (size_t)snprintf(index, sizeof index, "{\"weight_map\": {");
    for (int i = 0; i < m->n; i++)
        len += (size_t)snprintf(index + len, sizeof index - len, "%s\"%s\": \"%s\"", i ? ", " : "",
                                m->names[i], i < split ? "model-1.safetensors" : "model-2.safetensors");
    snprintf(index + len, sizeof index - len, "}}");
    snprintf(rel, sizeof rel, "%s/model.safetensors.index.json", dir);
    write_text(rel, index);
}

static void test_sharded_lazy(void) {
    TinyModel *m = calloc(1, sizeof *m);
    size_t size[2];
    const char *dir = make_dir("sharded");
    tiny_build(m, 1);
    tiny_write_sharded("sharded", m, size);
    SafeTensors *st;
    SwanError err = {""};
    int rc = st_open_dir(dir, &st, &err);
    CHECK(rc == 0, "open sharded: %s", err.msg);
    if (rc) {
        free(m);
        return;
    }
    CHECK(st_mapped_bytes(st) == 0, "index open maps nothing");
    CHECK(st_has(st, "lm_head.weight") && !st_has(st, "nope"), "st_has from the index");
    const StTensor *t;
    rc = st_get(st, "model.layers.1.mlp.up_proj.weight", &t, &err);
    CHECK(rc == 0, "get from shard 2: %s", err.msg);
    CHECK(st_mapped_bytes(st) == size[1], "only shard 2 mapped: %zu of %zu", st_mapped_bytes(st),
          size[1]);
    if (rc == 0) {
        float got[FF * D];
        st_to_f32(t, got, FF * D);
        CHECK(t->ndim == 2 && t->shape[0] == FF && t->shape[1] == D, "shape");
        CHECK(got[0] == m->values[1 + N_PER_LAYER + 7][0] && got[23] == got[0] + 23,
              "values of an unaligned shard");
        CHECK(strstr(t->file, "sharded/model-2.safetensors") != NULL, "file %s", t->file);
    }
    rc = st_get(st, "model.embed_tokens.weight", &t, &err);
    CHECK(rc == 0 && st_mapped_bytes(st) == size[0] + size[1], "both shards mapped");
    rc = st_get(st, "model.layers.7.mlp.up_proj.weight", &t, &err);
    CHECK(rc == -1 && strstr(err.msg, "model.safetensors.index.json: tensor "
                                      "model.layers.7.mlp.up_proj.weight missing"),
          "missing from index: %s", err.msg);
    st_close(st);
    free(m);
}

/* Element i (row-major) of a weight matrix, as the kernels see it. */
static float at(const Matrix *m, int i) {
    float row[64];
    if (m->cols > 64) return NAN;
    matrix_row(m, i / m->cols, row);
    return row[i % m->cols];
}

static int open_model(const char *dir, int tied, SwanConfig *cfg, SafeTensors **st) {
    SwanError err = {""};
    char rel[256];
    snprintf(rel, sizeof rel, "%s/config.json", dir);
    const char *path = write_text(rel, tiny_config(tied));
    int rc = swan_config_load(path, cfg, &err);
    CHECK(rc == 0, "tiny config: %s", err.msg);
    if (rc) return -1;
    rc = st_open_dir(scratch(dir), st, &err);
    n_created--;
    CHECK(rc == 0, "open %s: %s", dir, err.msg);
    if (rc) swan_config_free(cfg);
    return rc;
}

static void test_layer_range(void) {
    TinyModel *m = calloc(1, sizeof *m);
    size_t size[2];
    make_dir("range");
    tiny_build(m, 1);
    tiny_write_sharded("range", m, size);
    SwanConfig cfg;
    SafeTensors *st;
    if (open_model("range", 0, &cfg, &st)) {
        free(m);
        return;
    }
    ModelWeights w;
    SwanError err = {""};
    int rc = weights_load(&cfg, st, 1, 2, 0, 1, &w, &err);
    CHECK(rc == 0, "load layer 1 + head: %s", err.msg);
    CHECK(st_mapped_bytes(st) == size[1], "a last stage maps only shard 2");
    if (rc == 0) {
        /* q rows, then k rows, then v rows of layer 1 (tensors 11, 12, 13). */
        const LayerWeights *lw = &w.layers[0];
        CHECK(at(&lw->wq, 0) == 1100 && at(&lw->wq, 15) == 1115, "q block first");
        CHECK(at(&lw->wk, 0) == 1200 && at(&lw->wv, 0) == 1300 && at(&lw->wv, 7) == 1307,
              "then k, then v");
        CHECK(at(&lw->w_gate, 0) == 1600 && at(&lw->w_up, 0) == 1700, "gate then up");
        CHECK(at(&lw->w_down, 23) == 1823 && lw->attn_norm[3] == 1003, "down and norm");
        CHECK(w.embed.data == NULL && w.lm_head.data && at(&w.lm_head, 0) == 2000 &&
                  w.final_norm[0] == 1900,
              "untied head from lm_head.weight");
        size_t want = 4 * (size_t)(D + 4 * HD * D + D * 2 * HD + D + 2 * FF * D + D * FF + D + V * D);
        CHECK(w.bytes == want, "bytes %zu, want %zu", w.bytes, want);
        weights_free(&w);
    }
    rc = weights_load(&cfg, st, 1, 3, 0, 0, &w, &err);
    CHECK(rc == -1 && strstr(err.msg, "layer range"), "bad range: %s", err.msg);
    st_close(st);
    swan_config_free(&cfg);
    free(m);
}

static void test_tied(void) {
    TinyModel *m = calloc(1, sizeof *m);
    make_dir("tied");
    tiny_build(m, 0);
    write_safetensors("tied/model.safetensors", m->t, m->n, 1);
    SwanConfig cfg;
    SafeTensors *st;
    if (open_model("tied", 1, &cfg, &st)) {
        free(m);
        return;
    }
    ModelWeights w;
    SwanError err = {""};
    int rc = weights_load(&cfg, st, 0, 2, 1, 1, &w, &err);
    CHECK(rc == 0, "tied full load: %s", err.msg);
    if (rc == 0) {
        CHECK(w.lm_head.data == w.embed.data && at(&w.embed, 5) == 5, "head aliases the embedding");
        weights_free(&w); /* once: the alias must not be freed twice */
    }
    rc = weights_load(&cfg, st, 2, 2, 0, 1, &w, &err);
    CHECK(rc == 0 && w.embed.data == NULL && w.lm_head.data && at(&w.lm_head, 31) == 31,
          "head-only stage loads the embedding as its head: %s", err.msg);
    if (rc == 0) weights_free(&w);
    st_close(st);
    swan_config_free(&cfg);
    free(m);
}

/* A stage fails with the file, the tensor and what was wrong. */
static void test_weight_errors(void) {
    TinyModel *m = calloc(1, sizeof *m);
    make_dir("bad");
    tiny_build(m, 1);
    m->t[3].dtype = "I32"; /* layer 0 k_proj */
    m->t[12].shape[0] = D; /* layer 1 k_proj: [4, 2] instead of [2, 4] */
    m->t[12].shape[1] = HD;
    write_safetensors("bad/model.safetensors", m->t, m->n, 1);
    SwanConfig cfg;
    SafeTensors *st;
    if (open_model("bad", 0, &cfg, &st)) {
        free(m);
        return;
    }
    ModelWeights w;
    SwanError err = {""};
    int rc = weights_load(&cfg, st, 0, 1, 1, 0, &w, &err);
    CHECK(rc == -1 && strstr(err.msg, "bad/model.safetensors: tensor "
                                      "model.layers.0.self_attn.k_proj.weight has dtype I32"),
          "dtype: %s", err.msg);
    CHECK(w.layers == NULL && w.bytes == 0, "failed load holds nothing");
    rc = weights_load(&cfg, st, 1, 2, 0, 0, &w, &err);
    CHECK(rc == -1 && strstr(err.msg, "model.layers.1.self_attn.k_proj.weight has shape "
                                      "[4, 2], expected [2, 4]"),
          "shape: %s", err.msg);
    st_close(st);
    swan_config_free(&cfg);
    free(m);
}

/* Header checks the CLI cases do not reach. */
static void test_header_errors(void) {
    static const float zeros[8];
    static const struct {
        TestTensor t[2];
        int n;
        const char *want;
    } cases[] = {
        {{{"a", "F32", 4, 9, {1, 1, 1, 1, 1, 1, 1, 1, 1}, zeros}},
         1,
         "shape must be a list of at most 8"},
        {{{"a", "F32", 4, 1, {2, 0}, zeros}, {"a", "F32", 4, 1, {2, 0}, zeros}},
         2,
         "duplicate tensor a"},
        {{{"a", "BOOL", 1, 1, {4, 0}, zeros}, {"e", "F32", 4, 1, {0, 0}, zeros}}, 2, NULL},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char rel[64];
        snprintf(rel, sizeof rel, "hdr%zu", i);
        const char *dir = make_dir(rel);
        snprintf(rel, sizeof rel, "hdr%zu/model.safetensors", i);
        write_safetensors(rel, cases[i].t, cases[i].n, 1);
        SafeTensors *st = NULL;
        SwanError err = {""};
        int rc = st_open_dir(dir, &st, &err);
        if (cases[i].want)
            CHECK(rc == -1 && strstr(err.msg, cases[i].want), "header case %zu: %s", i, err.msg);
        else
            CHECK(rc == 0 && st_has(st, "a") && st_has(st, "e"), "BOOL and empty tensors are valid: %s",
                  err.msg);
        st_close(st);
    }
}

static void test_raw_headers(void) {
    static const struct {
        const char *header;
        size_t len;       /* 0: strlen */
        const char *want; /* NULL: valid */
    } cases[] = {
        {"{\"a\":{\"dtype\":\"BOOL\",\"shape\":[4],\"data_offsets\":[0,4]},"
         "\"e\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[2,2]},"
         "\"f\":{\"dtype\":\"F4\",\"shape\":[3],\"data_offsets\":[4,6]}}  ",
         0, NULL},
        {"{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}xyz", 0, "invalid JSON"},
        {"{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}\0\0\0", 56, "invalid JSON"},
        {"{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,0]}}", 0, "outside"},
        {"{\"a\":{\"dtype\":\"F32\",\"shape\":[-1],\"data_offsets\":[0,4]}}", 0,
         "shape[0] must be a non-negative integer"},
        {"{\"a\":{\"dtype\":\"F32\",\"shape\":[4294967296,4294967296],"
         "\"data_offsets\":[0,4]}}",
         0, "shape overflows"},
        {"{\"a\":{\"dtype\":\"F32\",\"shape\":[1]}}", 0, "data_offsets must be"},
        {"{\"a\":{\"shape\":[1],\"data_offsets\":[0,4]}}", 0, "dtype missing"},
        {"{\"a\":5}", 0, "entry is not an object"},
        {"[]", 0, "not a JSON object"},
        {"", 0, "header length 0 is not plausible"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char rel[64];
        snprintf(rel, sizeof rel, "raw%zu", i);
        const char *dir = make_dir(rel);
        snprintf(rel, sizeof rel, "raw%zu/model.safetensors", i);
        size_t len = cases[i].len ? cases[i].len : strlen(cases[i].header);
        write_raw_safetensors(rel, cases[i].header, len, 8);
        SafeTensors *st = NULL;
        SwanError err = {""};
        int rc = st_open_dir(dir, &st, &err);
        if (cases[i].want)
            CHECK(rc == -1 && strstr(err.msg, cases[i].want) && strstr(err.msg, "/model.safetensors: "),
                  "raw case %zu: %s", i, err.msg);
        else
            CHECK(rc == 0 && st_has(st, "e") && st_has(st, "f"), "raw case %zu: %s", i, err.msg);
        st_close(st);
    }
}

/* The index promises a tensor its shard lacks: the whole shard is
 * rejected, and every later call repeats the same error. */
static void test_index_promise(void) {
    TinyModel *m = calloc(1, sizeof *m);
    size_t size[2];
    const char *dir = make_dir("promise");
    tiny_build(m, 1);
    tiny_write_sharded("promise", m, size);
    const char *index = scratch("promise/model.safetensors.index.json");
    n_created--; /* the writer registered it already */
    const char *map = "{\"weight_map\": {"
                      "\"model.embed_tokens.weight\": \"model-1.safetensors\","
                      "\"ghost.weight\": \"model-1.safetensors\"}}";
    write_bytes(index, map, strlen(map));
    SafeTensors *st;
    SwanError err = {""};
    int rc = st_open_dir(dir, &st, &err);
    CHECK(rc == 0, "open: %s", err.msg);
    if (rc == 0) {
        const StTensor *t;
        for (int round = 0; round < 2; round++) {
            rc = st_get(st, "model.embed_tokens.weight", &t, &err);
            CHECK(rc == -1 && strstr(err.msg, "promise/model-1.safetensors: tensor "
                                              "ghost.weight missing"),
                  "round %d: %s", round, err.msg);
        }
        CHECK(st_mapped_bytes(st) == 0, "a rejected shard stays unmapped");
        st_close(st);
    }
    free(m);
}

int main(void) {
    const char *tmp = getenv("TMPDIR");
    snprintf(tmp_root, sizeof tmp_root, "%s/swan_test_loader.XXXXXX", tmp ? tmp : "/tmp");
    if (!mkdtemp(tmp_root)) {
        perror(tmp_root);
        return 2;
    }
    test_f16();
    test_bf16();
    test_f32_unaligned();
    test_config_defaults();
    test_config_full();
    test_config_errors();
    test_sharded_lazy();
    test_layer_range();
    test_tied();
    test_weight_errors();
    test_header_errors();
    test_raw_headers();
    test_index_promise();
    remove_scratch();
    return check_summary();
}
