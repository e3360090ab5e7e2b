#include "bench_model.h"

#include <cJSON.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "config.h"
#include "half_float.h"
#include "model_paths.h"

BenchModelShape bench_model_default(void) {
    return (BenchModelShape){768, 12, 12, 4, 2048, 256, 512, 0, "SSSN"};
}

static unsigned long long rng_state = 0x9E3779B97F4A7C15ull;
static float rand_uniform(void) { /* xorshift64*: reproducible, no libc state */
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return (float)((rng_state * 2685821657736338717ull) >> 40) / (float)(1 << 24) - 0.5f;
}

static float *random_values(size_t n, float scale) {
    float *m = malloc(sizeof(float) * n);
    if (m)
        for (size_t i = 0; i < n; i++) m[i] = rand_uniform() * scale;
    return m;
}

static float *ones(size_t n) {
    float *m = malloc(sizeof(float) * n);
    if (m)
        for (size_t i = 0; i < n; i++) m[i] = 1.0f;
    return m;
}

static int make_config(const BenchModelShape *o, SwanConfig *c) {
    memset(c, 0, sizeof *c);
    c->vocab_size = (int)o->vocab;
    c->hidden_size = (int)o->dim;
    c->intermediate_size = (int)o->ffn;
    c->num_layers = (int)o->layers;
    c->num_heads = (int)o->heads;
    c->num_kv_heads = (int)o->kv_heads;
    c->head_dim = (int)(o->dim / o->heads);
    c->rms_norm_eps = 1e-5f;
    c->rope_theta = 10000.0;
    c->sliding_window = o->window;
    c->layer_kind = malloc(sizeof *c->layer_kind * (size_t)o->layers);
    c->layer_rope = malloc((size_t)o->layers);
    if (!c->layer_kind || !c->layer_rope) return -1;
    for (int l = 0; l < c->num_layers; l++) {
        c->layer_kind[l] = o->pattern[l % strlen(o->pattern)] == 'N' ? LAYER_GLOBAL : LAYER_WINDOW;
        c->layer_rope[l] = c->layer_kind[l] == LAYER_WINDOW;
    }
    c->tie_word_embeddings = 1;
    c->max_position_embeddings = 512;
    c->scaling_train_len = 512;
    return 0;
}

/* Writes one tensor's header entry and returns the next data offset. */
static size_t header_entry(cJSON *header, const char *name, long rows, long cols, int bf16,
                           size_t offset) {
    cJSON *t = cJSON_AddObjectToObject(header, name);
    cJSON_AddStringToObject(t, "dtype", bf16 ? "BF16" : "F32");
    cJSON *shape = cJSON_AddArrayToObject(t, "shape");
    cJSON_AddItemToArray(shape, cJSON_CreateNumber((double)rows));
    if (cols > 0) cJSON_AddItemToArray(shape, cJSON_CreateNumber((double)cols));
    size_t bytes = (bf16 ? 2 : 4) * (size_t)rows * (size_t)(cols > 0 ? cols : 1);
    cJSON *offs = cJSON_AddArrayToObject(t, "data_offsets");
    cJSON_AddItemToArray(offs, cJSON_CreateNumber((double)offset));
    cJSON_AddItemToArray(offs, cJSON_CreateNumber((double)(offset + bytes)));
    return offset + bytes;
}

typedef struct {
    char name[96];
    long rows, cols;
    float scale; /* 0: a norm gain of ones */
} TensorSpec;

static int tensor_specs(const SwanConfig *c, TensorSpec *specs) {
    long d = c->hidden_size, hd = c->head_dim, I = c->intermediate_size;
    long H = c->num_heads, KV = c->num_kv_heads;
    float s = 1.0f / sqrtf((float)d), sI = 1.0f / sqrtf((float)I);
    int n = 0;
    specs[n++] = (TensorSpec){"model.embed_tokens.weight", c->vocab_size, d, 1.0f};
    for (int l = 0; l < c->num_layers; l++) {
        struct {
            const char *part;
            long rows, cols;
            float scale;
        } parts[] = {
            {"input_layernorm", d, 0, 0},        {"self_attn.q_proj", H * hd, d, s},
            {"self_attn.k_proj", KV * hd, d, s}, {"self_attn.v_proj", KV * hd, d, s},
            {"self_attn.o_proj", d, H * hd, s},  {"post_attention_layernorm", d, 0, 0},
            {"mlp.gate_proj", I, d, s},          {"mlp.up_proj", I, d, s},
            {"mlp.down_proj", d, I, sI},
        };
        for (size_t k = 0; k < sizeof parts / sizeof parts[0]; k++) {
            snprintf(specs[n].name, sizeof specs[n].name, "model.layers.%d.%s.weight", l,
                     parts[k].part);
            specs[n].rows = parts[k].rows, specs[n].cols = parts[k].cols,
            specs[n].scale = parts[k].scale;
            n++;
        }
    }
    specs[n++] = (TensorSpec){"model.norm.weight", d, 0, 0};
    return n;
}

static int write_config(const char *dir, const SwanConfig *c) {
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "vocab_size", c->vocab_size);
    cJSON_AddNumberToObject(o, "hidden_size", c->hidden_size);
    cJSON_AddNumberToObject(o, "intermediate_size", c->intermediate_size);
    cJSON_AddNumberToObject(o, "num_hidden_layers", c->num_layers);
    cJSON_AddNumberToObject(o, "num_attention_heads", c->num_heads);
    cJSON_AddNumberToObject(o, "num_key_value_heads", c->num_kv_heads);
    cJSON_AddNumberToObject(o, "head_dim", c->head_dim);
    cJSON_AddNumberToObject(o, "rms_norm_eps", c->rms_norm_eps);
    cJSON_AddNumberToObject(o, "rope_theta", c->rope_theta);
    cJSON_AddNumberToObject(o, "sliding_window", (double)c->sliding_window);
    cJSON *types = cJSON_AddArrayToObject(o, "layer_types");
    for (int l = 0; l < c->num_layers; l++)
        cJSON_AddItemToArray(types,
                             cJSON_CreateString(c->layer_kind[l] == LAYER_WINDOW ? "sliding_attention"
                                                                                 : "full_attention"));
    cJSON_AddBoolToObject(o, "tie_word_embeddings", 1);
    cJSON_AddNumberToObject(o, "max_position_embeddings", c->max_position_embeddings);
    char *text = cJSON_Print(o);
    cJSON_Delete(o);
    char path[4096];
    SwanError err;
    FILE *f = model_path(path, sizeof path, dir, MODEL_CONFIG_FILE, &err) == 0 ? fopen(path, "w")
                                                                               : NULL;
    int rc = f && text && fputs(text, f) != EOF ? 0 : -1;
    if (f && fclose(f) != 0) rc = -1;
    free(text);
    return rc;
}

/* Little-endian values, rounded to BF16 (nearest, ties to even) when asked. */
static int write_values(FILE *f, const float *v, size_t n, int bf16) {
    if (!bf16) return fwrite(v, sizeof(float), n, f) == n ? 0 : -1;
    for (size_t i = 0; i < n; i++) {
        uint16_t h = half_f32_to_bf16(v[i]);
        unsigned char le[2] = {(unsigned char)h, (unsigned char)(h >> 8)};
        if (fwrite(le, 1, 2, f) != 2) return -1;
    }
    return 0;
}

static int write_safetensors(const char *dir, const SwanConfig *c, int bf16) {
    int count = 2 + 9 * c->num_layers;
    TensorSpec *specs = calloc((size_t)count, sizeof *specs);
    if (!specs) return -1;
    tensor_specs(c, specs);
    cJSON *header = cJSON_CreateObject();
    size_t offset = 0;
    for (int i = 0; i < count; i++)
        offset = header_entry(header, specs[i].name, specs[i].rows, specs[i].cols, bf16, offset);
    char *text = cJSON_PrintUnformatted(header);
    cJSON_Delete(header);
    char path[4096];
    SwanError err;
    FILE *f = model_path(path, sizeof path, dir, "model.safetensors", &err) == 0 ? fopen(path, "wb")
                                                                                 : NULL;
    int rc = f && text ? 0 : -1;
    /* The header is padded with spaces (as Hugging Face's writer does) so the
     * data starts 8-byte aligned and F32 tensors can be used in place. */
    uint64_t len = text ? strlen(text) : 0, hlen = (len + 7) / 8 * 8;
    if (rc == 0 && (fwrite(&hlen, 8, 1, f) != 1 || fwrite(text, 1, len, f) != len ||
                    fwrite("        ", 1, hlen - len, f) != hlen - len))
        rc = -1;
    for (int i = 0; rc == 0 && i < count; i++) {
        size_t n = (size_t)specs[i].rows * (size_t)(specs[i].cols > 0 ? specs[i].cols : 1);
        float *data = specs[i].scale > 0 ? random_values(n, specs[i].scale) : ones(n);
        if (!data || write_values(f, data, n, bf16) != 0) rc = -1;
        free(data);
    }
    if (f && fclose(f) != 0) rc = -1;
    free(text);
    free(specs);
    return rc;
}

int bench_model_write(const char *dir, const BenchModelShape *s) {
    SwanConfig cfg;
    mkdir(dir, 0777); /* an existing directory is fine; a failure shows when writing */
    int ok = make_config(s, &cfg) == 0 && write_config(dir, &cfg) == 0 &&
             write_safetensors(dir, &cfg, s->bf16) == 0;
    free(cfg.layer_kind);
    free(cfg.layer_rope);
    if (ok) return 0;
    cli_error("bench: cannot write a model to %s (config.json and model.safetensors)", dir);
    return -1;
}
