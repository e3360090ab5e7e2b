/* Writes a tiny valid model and many broken copies of it under OUT_DIR,
 * one directory per case, plus OUT_DIR/doc.txt to score. Each broken case
 * must make `swan score` fail with one clear line, never a crash; the
 * expected lines are listed in CMakeLists.txt beside this file.
 *
 * Usage: make_bad_models OUT_DIR */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* ---- model description ------------------------------------------------ */

#define MAX_TENSORS 40
#define MAX_KEYS 24

typedef struct {
    int vocab, hidden, inter, layers, heads, kv_heads, tie;
} Dims;

/* V=256 so every byte of the document is a valid token id. */
static const Dims BASE = {256, 16, 32, 2, 2, 1, 0};

typedef struct {
    char name[96];
    char dtype[16]; /* as written in the header */
    int ndim;
    long long shape[2];
    long long begin, end; /* data offsets as written */
    unsigned char *bytes;
    size_t nbytes;
} Tensor;

typedef struct {
    Tensor t[MAX_TENSORS];
    int n;
} TensorSet;

typedef struct {
    char key[40];
    char value[200]; /* raw JSON */
} ConfigKey;

typedef struct {
    ConfigKey k[MAX_KEYS];
    int n;
} ConfigText;

/* How to damage a safetensors file on the way out. */
typedef struct {
    long long header_len_delta; /* added to the length written */
    long long truncate_to;      /* < 0: keep the whole file */
    long long cut_tail;         /* bytes dropped from the end */
    int break_json;             /* drop the header's closing brace */
    int unpadded;               /* no space padding: data lands unaligned */
} WriteOpts;

static const WriteOpts PLAIN = {0, -1, 0, 0, 0};

static void die(const char *what, const char *path) {
    fprintf(stderr, "make_bad_models: %s %s: %s\n", what, path, strerror(errno));
    exit(1);
}

/* ---- tensors ----------------------------------------------------------- */

/* Values k/1024 with |k| <= 200 are exact in F16 and BF16 too, so every
 * dtype variant holds the same model. */
static float next_value(uint32_t *state) {
    *state = *state * 1664525u + 1013904223u;
    return (float)((int)(*state >> 16) % 401 - 200) / 1024.0f;
}

static uint16_t f32_bits_to_f16(uint32_t bits) {
    uint16_t sign = (uint16_t)(bits >> 16 & 0x8000);
    if ((bits & 0x7fffffff) == 0) return sign;
    int exp = (int)(bits >> 23 & 0xff) - 127 + 15; /* normal: values >= 2^-10 */
    return (uint16_t)(sign | exp << 10 | (bits >> 13 & 0x3ff));
}

static void encode(float v, const char *dtype, unsigned char *out) {
    uint32_t bits;
    memcpy(&bits, &v, sizeof bits);
    if (strcmp(dtype, "F16") == 0) bits = f32_bits_to_f16(bits);
    if (strcmp(dtype, "BF16") == 0) bits >>= 16;
    int size = strcmp(dtype, "F32") == 0 ? 4 : 2;
    for (int i = 0; i < size; i++) out[i] = (unsigned char)(bits >> 8 * i);
}

static void add_tensor(TensorSet *s, const char *dtype, long long rows, long long cols, float base,
                       uint32_t *rng, const char *fmt, int layer) {
    Tensor *t = &s->t[s->n++];
    memset(t, 0, sizeof *t);
    snprintf(t->name, sizeof t->name, fmt, layer);
    snprintf(t->dtype, sizeof t->dtype, "%s", dtype);
    t->ndim = cols ? 2 : 1;
    t->shape[0] = rows;
    t->shape[1] = cols;
    size_t n = (size_t)(rows * (cols ? cols : 1)), size = strcmp(dtype, "F32") ? 2 : 4;
    t->nbytes = n * size;
    t->bytes = malloc(t->nbytes + 1);
    if (!t->bytes) die("out of memory for", t->name);
    for (size_t i = 0; i < n; i++) encode(base + next_value(rng), dtype, t->bytes + i * size);
}

static void build_tensors(TensorSet *s, const Dims *m, const char *dtype) {
    uint32_t rng = 12345;
    int hd = m->hidden / m->heads;
    s->n = 0;
    add_tensor(s, dtype, m->vocab, m->hidden, 0, &rng, "model.embed_tokens.weight", 0);
    for (int i = 0; i < m->layers; i++) {
        const char *p = "model.layers.%d.";
        char f[9][96];
        const char *sfx[9] = {"input_layernorm.weight",  "self_attn.q_proj.weight",
                              "self_attn.k_proj.weight", "self_attn.v_proj.weight",
                              "self_attn.o_proj.weight", "post_attention_layernorm.weight",
                              "mlp.gate_proj.weight",    "mlp.up_proj.weight",
                              "mlp.down_proj.weight"};
        for (int k = 0; k < 9; k++) snprintf(f[k], sizeof f[k], "%s%s", p, sfx[k]);
        add_tensor(s, dtype, m->hidden, 0, 1, &rng, f[0], i);
        add_tensor(s, dtype, m->heads * hd, m->hidden, 0, &rng, f[1], i);
        add_tensor(s, dtype, m->kv_heads * hd, m->hidden, 0, &rng, f[2], i);
        add_tensor(s, dtype, m->kv_heads * hd, m->hidden, 0, &rng, f[3], i);
        add_tensor(s, dtype, m->hidden, m->heads * hd, 0, &rng, f[4], i);
        add_tensor(s, dtype, m->hidden, 0, 1, &rng, f[5], i);
        add_tensor(s, dtype, m->inter, m->hidden, 0, &rng, f[6], i);
        add_tensor(s, dtype, m->inter, m->hidden, 0, &rng, f[7], i);
        add_tensor(s, dtype, m->hidden, m->inter, 0, &rng, f[8], i);
    }
    add_tensor(s, dtype, m->hidden, 0, 1, &rng, "model.norm.weight", 0);
    if (!m->tie) add_tensor(s, dtype, m->vocab, m->hidden, 0, &rng, "lm_head.weight", 0);
}

/* Back to back, in order: the layout every later damage starts from. */
static void layout(TensorSet *s) {
    long long at = 0;
    for (int i = 0; i < s->n; i++) {
        s->t[i].begin = at;
        s->t[i].end = at += (long long)s->t[i].nbytes;
    }
}

static Tensor *find(TensorSet *s, const char *name) {
    for (int i = 0; i < s->n; i++)
        if (strcmp(s->t[i].name, name) == 0) return &s->t[i];
    fprintf(stderr, "make_bad_models: no tensor %s\n", name);
    exit(1);
}

static void drop(TensorSet *s, const char *name) {
    Tensor *t = find(s, name);
    free(t->bytes);
    int i = (int)(t - s->t);
    memmove(&s->t[i], &s->t[i + 1], (size_t)(s->n - i - 1) * sizeof *t);
    s->n--;
}

static void free_tensors(TensorSet *s) {
    for (int i = 0; i < s->n; i++) free(s->t[i].bytes);
    s->n = 0;
}

/* ---- files -------------------------------------------------------------- */

static char *path_in(const char *dir, const char *name) {
    static char buf[4][1024]; /* a few live at once */
    static int next;
    char *p = buf[next++ % 4];
    if (snprintf(p, sizeof buf[0], "%s/%s", dir, name) >= (int)sizeof buf[0]) {
        fprintf(stderr, "make_bad_models: path too long: %s/%s\n", dir, name);
        exit(1);
    }
    return p;
}

static void write_text(const char *path, const char *text) {
    FILE *f = fopen(path, "wb");
    if (!f || fputs(text, f) < 0 || fclose(f) != 0) die("cannot write", path);
}

static size_t header_json(const TensorSet *s, char *buf, size_t cap) {
    size_t n = (size_t)snprintf(buf, cap, "{\"__metadata__\":{\"format\":\"pt\"}");
    for (int i = 0; i < s->n; i++) {
        const Tensor *t = &s->t[i];
        n += (size_t)snprintf(buf + n, cap - n, ",\"%s\":{\"dtype\":\"%s\",\"shape\":[%lld", t->name,
                              t->dtype, t->shape[0]);
        if (t->ndim == 2) n += (size_t)snprintf(buf + n, cap - n, ",%lld", t->shape[1]);
        n += (size_t)snprintf(buf + n, cap - n, "],\"data_offsets\":[%lld,%lld]}", t->begin, t->end);
    }
    n += (size_t)snprintf(buf + n, cap - n, "}");
    return n;
}

static void write_safetensors(const char *path, const TensorSet *s, const WriteOpts *o) {
    static char header[1 << 16];
    size_t n = header_json(s, header, sizeof header - 8);
    if (o->break_json) header[--n] = '\0';
    while (!o->unpadded && n % 8) header[n++] = ' ';
    if (o->unpadded && n % 4 == 0) header[n++] = ' '; /* f32 data off alignment */
    long long data_len = 0;                           /* the undamaged layout's size */
    for (int i = 0; i < s->n; i++) data_len += (long long)s->t[i].nbytes;
    size_t total = 8 + n + (size_t)data_len;
    unsigned char *file = calloc(total, 1);
    if (!file) die("out of memory for", path);
    uint64_t stated = (uint64_t)((long long)n + o->header_len_delta);
    for (int i = 0; i < 8; i++) file[i] = (unsigned char)(stated >> 8 * i);
    memcpy(file + 8, header, n);
    for (int i = 0; i < s->n; i++) /* tensors moved past the end keep no data */
        if (s->t[i].begin + (long long)s->t[i].nbytes <= data_len)
            memcpy(file + 8 + n + s->t[i].begin, s->t[i].bytes, s->t[i].nbytes);
    if (o->truncate_to >= 0 && (size_t)o->truncate_to < total) total = (size_t)o->truncate_to;
    if (o->cut_tail > 0 && (size_t)o->cut_tail < total) total -= (size_t)o->cut_tail;
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(file, 1, total, f) != total || fclose(f) != 0) die("cannot write", path);
    free(file);
}

/* ---- config.json ------------------------------------------------------- */

static void config_set(ConfigText *c, const char *key, const char *value) {
    for (int i = 0; i < c->n; i++) {
        if (strcmp(c->k[i].key, key) != 0) continue;
        if (value) {
            snprintf(c->k[i].value, sizeof c->k[i].value, "%s", value);
        } else {
            memmove(&c->k[i], &c->k[i + 1], (size_t)(c->n - i - 1) * sizeof c->k[0]);
            c->n--;
        }
        return;
    }
    if (!value) return;
    snprintf(c->k[c->n].key, sizeof c->k[0].key, "%s", key);
    snprintf(c->k[c->n].value, sizeof c->k[0].value, "%s", value);
    c->n++;
}

static void config_set_int(ConfigText *c, const char *key, long long v) {
    char text[32];
    snprintf(text, sizeof text, "%lld", v);
    config_set(c, key, text);
}

static ConfigText base_config(const Dims *m) {
    ConfigText c = {.n = 0};
    config_set_int(&c, "vocab_size", m->vocab);
    config_set_int(&c, "hidden_size", m->hidden);
    config_set_int(&c, "intermediate_size", m->inter);
    config_set_int(&c, "num_hidden_layers", m->layers);
    config_set_int(&c, "num_attention_heads", m->heads);
    config_set_int(&c, "num_key_value_heads", m->kv_heads);
    config_set(&c, "rms_norm_eps", "1e-6");
    config_set(&c, "rope_theta", "10000.0");
    config_set_int(&c, "sliding_window", 4);
    config_set(&c, "layer_types", "[\"sliding_attention\", \"full_attention\"]");
    config_set(&c, "tie_word_embeddings", m->tie ? "true" : "false");
    config_set_int(&c, "max_position_embeddings", 64);
    config_set(&c, "bos_token_id", "null");
    config_set(&c, "eos_token_id", "[10]");
    config_set(&c, "swan_attn_scaling", "{\"type\": \"log\", \"train_len\": 16, \"alpha\": 0.5}");
    return c;
}

static void write_config(const char *dir, const ConfigText *c) {
    char text[8192];
    size_t n = (size_t)snprintf(text, sizeof text, "{\n");
    for (int i = 0; i < c->n; i++)
        n += (size_t)snprintf(text + n, sizeof text - n, "  \"%s\": %s%s\n", c->k[i].key, c->k[i].value,
                              i + 1 < c->n ? "," : "");
    snprintf(text + n, sizeof text - n, "}\n");
    write_text(path_in(dir, "config.json"), text);
}

/* ---- case directories --------------------------------------------------- */

static const char *const SHARD1 = "model-00001-of-00002.safetensors";
static const char *const SHARD2 = "model-00002-of-00002.safetensors";

/* A fresh directory: files from an earlier run must not mask a case. */
static const char *case_dir(const char *root, const char *name) {
    static char dir[1024];
    if (snprintf(dir, sizeof dir, "%s/%s", root, name) >= (int)sizeof dir) {
        fprintf(stderr, "make_bad_models: path too long: %s/%s\n", root, name);
        exit(1);
    }
    if (mkdir(dir, 0755) != 0 && errno != EEXIST) die("cannot create", dir);
    const char *files[] = {"config.json", "model.safetensors", "model.safetensors.index.json", SHARD1,
                           SHARD2};
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) remove(path_in(dir, files[i]));
    return dir;
}

/* Writes config.json and tensors as one model.safetensors. */
static void write_model(const char *dir, const ConfigText *c, const TensorSet *s, const WriteOpts *o) {
    write_config(dir, c);
    write_safetensors(path_in(dir, "model.safetensors"), s, o);
}

/* The base model with one damage applied by the caller in between. */
typedef struct {
    Dims dims;
    ConfigText config;
    TensorSet tensors;
    WriteOpts opts;
} Case;

static Case *case_start(const char *dtype) {
    Case *c = calloc(1, sizeof *c);
    if (!c) die("out of memory for", "case");
    c->dims = BASE;
    c->config = base_config(&c->dims);
    build_tensors(&c->tensors, &c->dims, dtype);
    layout(&c->tensors);
    c->opts = PLAIN;
    return c;
}

static void case_finish(Case *c, const char *root, const char *name) {
    write_model(case_dir(root, name), &c->config, &c->tensors, &c->opts);
    free_tensors(&c->tensors);
    free(c);
}

/* Splits the tensors into two shards: layer 1 and the head in shard 2. */
static void write_sharded(const char *dir, Case *c, const char *extra_entry) {
    TensorSet *s1 = calloc(2, sizeof *s1), *s2 = s1 + 1;
    if (!s1) die("out of memory for", dir);
    char map[1 << 14];
    size_t n = (size_t)snprintf(map, sizeof map, "{\"metadata\": {}, \"weight_map\": {");
    for (int i = 0; i < c->tensors.n; i++) {
        const Tensor *t = &c->tensors.t[i];
        int second = strstr(t->name, "layers.1.") || strstr(t->name, "model.norm") ||
                     strstr(t->name, "lm_head");
        TensorSet *dst = second ? s2 : s1;
        dst->t[dst->n++] = *t;
        n += (size_t)snprintf(map + n, sizeof map - n, "%s\n  \"%s\": \"%s\"", i ? "," : "", t->name,
                              second ? SHARD2 : SHARD1);
    }
    snprintf(map + n, sizeof map - n, "%s}}\n", extra_entry ? extra_entry : "");
    layout(s1);
    layout(s2);
    write_config(dir, &c->config);
    write_text(path_in(dir, "model.safetensors.index.json"), map);
    write_safetensors(path_in(dir, SHARD1), s1, &PLAIN);
    write_safetensors(path_in(dir, SHARD2), s2, &PLAIN);
    free(s1);
}

/* ---- the cases ----------------------------------------------------------- */

static const char *const L1_UP = "model.layers.1.mlp.up_proj.weight";

static void valid_cases(const char *root) {
    case_finish(case_start("F32"), root, "valid");
    case_finish(case_start("F16"), root, "valid_f16");
    Case *c = case_start("F32");
    c->opts.unpadded = 1;
    case_finish(c, root, "valid_unaligned");

    c = calloc(1, sizeof *c);
    if (!c) die("out of memory for", "case");
    c->dims = BASE;
    c->dims.tie = 1;
    c->config = base_config(&c->dims);
    build_tensors(&c->tensors, &c->dims, "BF16");
    write_sharded(case_dir(root, "valid_bf16_sharded_tied"), c, NULL);
    free_tensors(&c->tensors);
    free(c);
}

static void file_cases(const char *root) {
    Case *c = case_start("F32");
    c->opts.cut_tail = 100;
    case_finish(c, root, "st_truncated");

    c = case_start("F32");
    c->opts.header_len_delta = 1 << 30;
    case_finish(c, root, "st_header_past_end");

    c = case_start("F32");
    c->opts.truncate_to = 0;
    case_finish(c, root, "st_empty");

    c = case_start("F32");
    c->opts.truncate_to = 5;
    case_finish(c, root, "st_short");

    c = case_start("F32");
    c->opts.break_json = 1;
    case_finish(c, root, "st_header_bad_json");

    Case *missing = case_start("F32");
    write_config(case_dir(root, "st_missing_file"), &missing->config);
    free_tensors(&missing->tensors);
    free(missing);
}

static void header_cases(const char *root) {
    Case *c = case_start("F32");
    Tensor *t = find(&c->tensors, "model.norm.weight");
    t->begin += 1 << 20;
    t->end += 1 << 20;
    case_finish(c, root, "st_offset_past_end");

    c = case_start("F32"); /* two [16] norms at the same place */
    Tensor *a = find(&c->tensors, "model.layers.0.input_layernorm.weight");
    Tensor *b = find(&c->tensors, "model.layers.0.post_attention_layernorm.weight");
    b->begin = a->begin;
    b->end = a->end;
    case_finish(c, root, "st_overlap");

    c = case_start("F32");
    strcpy(find(&c->tensors, "model.norm.weight")->dtype, "F33");
    case_finish(c, root, "st_unknown_dtype");

    c = case_start("F32");
    find(&c->tensors, "model.embed_tokens.weight")->end -= 64;
    case_finish(c, root, "st_size_mismatch");

    c = case_start("F32");
    strcpy(find(&c->tensors, "model.layers.0.mlp.down_proj.weight")->name, L1_UP);
    case_finish(c, root, "st_duplicate_name");
}

static void tensor_cases(const char *root) {
    Case *c = case_start("F32");
    Tensor *t = find(&c->tensors, L1_UP); /* same bytes, transposed shape */
    t->shape[0] = BASE.hidden;
    t->shape[1] = BASE.inter;
    case_finish(c, root, "st_wrong_shape");

    c = case_start("F32");
    drop(&c->tensors, "model.layers.1.self_attn.v_proj.weight");
    layout(&c->tensors);
    case_finish(c, root, "st_missing_tensor");

    c = case_start("F32");
    strcpy(find(&c->tensors, "model.layers.0.self_attn.q_proj.weight")->dtype, "I32");
    case_finish(c, root, "st_int_dtype");

    c = case_start("F32");
    drop(&c->tensors, "lm_head.weight");
    layout(&c->tensors);
    case_finish(c, root, "st_untied_no_lm_head");

    c = case_start("F32"); /* vocab below the document's byte values */
    c->dims.vocab = 64;
    free_tensors(&c->tensors);
    c->config = base_config(&c->dims);
    build_tensors(&c->tensors, &c->dims, "F32");
    layout(&c->tensors);
    case_finish(c, root, "token_out_of_vocab");
}

static void config_case(const char *root, const char *name, const char *key, const char *value) {
    Case *c = case_start("F32");
    config_set(&c->config, key, value);
    case_finish(c, root, name);
}

static void config_cases(const char *root) {
    config_case(root, "cfg_heads_kv", "num_key_value_heads", "3");
    config_case(root, "cfg_window_zero", "sliding_window", "0");
    config_case(root, "cfg_window_missing", "sliding_window", NULL);
    config_case(root, "cfg_layer_types_length", "layer_types",
                "[\"sliding_attention\", \"full_attention\", \"full_attention\"]");
    config_case(root, "cfg_layer_type_unknown", "layer_types",
                "[\"sliding_attention\", \"global_attention\"]");
    config_case(root, "cfg_missing_key", "hidden_size", NULL);
    config_case(root, "cfg_odd_head_dim", "head_dim", "7");
    Case *c = case_start("F32"); /* each size fine, the weights 10^20 floats */
    config_set(&c->config, "num_hidden_layers", "2147483647");
    config_set(&c->config, "intermediate_size", "1000000000");
    case_finish(c, root, "cfg_absurd_sizes");
    config_case(root, "cfg_eps_zero", "rms_norm_eps", "0");
    config_case(root, "cfg_scaling_type", "swan_attn_scaling", "{\"type\": \"linear\", \"alpha\": 1}");
    config_case(root, "cfg_no_rope_values", "no_rope_layers", "[1, 2]");
    config_case(root, "cfg_log_a_small", "swan_attn_scaling", "{\"type\": \"log_a\", \"a\": 1}");
    config_case(root, "cfg_log_a_string", "swan_attn_scaling", "{\"type\": \"log_a\", \"a\": \"8\"}");
    config_case(root, "cfg_floor_scale_zero", "floor_scale", "0");
    config_case(root, "cfg_model_type", "model_type", "\"gpt2\"");
    config_case(root, "cfg_rope_yarn", "rope_scaling", "{\"rope_type\": \"yarn\", \"factor\": 4.0}");
    config_case(root, "cfg_attention_bias", "attention_bias", "true");
    config_case(root, "cfg_moe", "num_local_experts", "8");
    config_case(root, "cfg_logit_scale_llama", "logit_scale", "0.5");

    c = case_start("F32");
    const char *dir = case_dir(root, "cfg_invalid_json");
    write_safetensors(path_in(dir, "model.safetensors"), &c->tensors, &c->opts);
    write_text(path_in(dir, "config.json"), "{\"vocab_size\": 256,\n \"hidden_size\": }\n");
    dir = case_dir(root, "cfg_missing");
    write_safetensors(path_in(dir, "model.safetensors"), &c->tensors, &c->opts);
    free_tensors(&c->tensors);
    free(c);
}

static void index_cases(const char *root) {
    Case *c = case_start("F32");
    const char *dir = case_dir(root, "idx_missing_shard");
    write_sharded(dir, c, NULL);
    remove(path_in(dir, SHARD2));

    /* model.norm is in shard 2; the index claims shard 1. */
    dir = case_dir(root, "idx_tensor_not_in_shard");
    write_sharded(dir, c, NULL);
    char map[1 << 14];
    FILE *f = fopen(path_in(dir, "model.safetensors.index.json"), "rb");
    size_t n = f ? fread(map, 1, sizeof map - 1, f) : 0;
    if (!f || fclose(f) != 0) die("cannot read", dir);
    map[n] = '\0';
    char *entry = strstr(map, "\"model.norm.weight\": \"model-00002");
    memcpy(entry + strlen("\"model.norm.weight\": \"model-0000"), "1", 1);
    write_text(path_in(dir, "model.safetensors.index.json"), map);

    dir = case_dir(root, "idx_invalid_json");
    write_sharded(dir, c, NULL);
    write_text(path_in(dir, "model.safetensors.index.json"), "{\"weight_map\": {\"a\": }");

    dir = case_dir(root, "idx_escapes_dir");
    write_sharded(dir, c, ",\n  \"extra.weight\": \"../model.safetensors\"");
    free_tensors(&c->tensors);
    free(c);
}

static void write_document(const char *root) {
    write_text(path_in(root, "doc.txt"), "It was the best of times, it was the worst of times; a small "
                                         "model reads a small document.\n");
}

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: make_bad_models OUT_DIR\n");
        return 2;
    }
    const char *root = argv[1];
    if (mkdir(root, 0755) != 0 && errno != EEXIST) die("cannot create", root);
    write_document(root);
    valid_cases(root);
    file_cases(root);
    header_cases(root);
    tensor_cases(root);
    config_cases(root);
    index_cases(root);
    return 0;
}
