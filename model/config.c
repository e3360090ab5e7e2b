/* config.json -> SwanConfig. Every value is checked here, once, so the
 * rest of the program can trust the sizes it multiplies and the layer
 * kinds it dispatches on. */
#include "config.h"

#include <cJSON.h>
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config_family.h"
#include "config_parse.h"
#include "config_rope.h"
#include "config_scaling.h"
#include "file_read.h"

#define CONFIG_MAX_BYTES ((size_t)16 << 20)

/* A positive int; the common case for sizes. */
static int read_size(const ConfigParse *p, const char *key, int required, long long dflt, int *out) {
    long long v;
    if (config_read_int(p, p->root, key, required, dflt, 1, INT_MAX, &v)) return -1;
    *out = (int)v;
    return 0;
}

/* Token ids may be absent (-1); HF writes eos as a list when a model has
 * several, and the first is the one generation stops on. */
static int read_token_id(const ConfigParse *p, const char *key, int vocab, int *out) {
    const cJSON *item = config_get(p->root, key);
    *out = -1;
    if (!item) return 0;
    if (cJSON_IsArray(item)) {
        item = cJSON_GetArrayItem(item, 0);
        if (!item) return 0;
    }
    if (!config_is_exact_int(item))
        return swan_error_set(p->err, "%s: %s must be an integer or a list of them", p->path, key);
    double v = item->valuedouble;
    if (v < 0 || v >= vocab)
        return swan_error_set(p->err, "%s: %s (%.0f) is outside the vocabulary (0..%d)", p->path, key,
                              v, vocab - 1);
    *out = (int)v;
    return 0;
}

/* A per-layer list must have exactly one entry per layer. */
static const cJSON *get_layer_list(const ConfigParse *p, const char *key, int n_layers, int *failed) {
    const cJSON *list = config_get(p->root, key);
    *failed = 0;
    if (!list) return NULL;
    if (!cJSON_IsArray(list)) {
        *failed = swan_error_set(p->err, "%s: %s must be a list", p->path, key);
        return NULL;
    }
    int n = cJSON_GetArraySize(list);
    if (n != n_layers) {
        *failed = swan_error_set(p->err, "%s: %s has %d entries, num_hidden_layers is %d", p->path, key,
                                 n, n_layers);
        return NULL;
    }
    return list;
}

static int read_layer_types(const ConfigParse *p, const FamilyLayout *fam, SwanConfig *cfg) {
    int failed;
    const cJSON *list = get_layer_list(p, "layer_types", cfg->num_layers, &failed);
    if (failed) return -1;
    for (int i = 0; i < cfg->num_layers; i++) {
        const cJSON *item = list ? cJSON_GetArrayItem(list, i) : NULL;
        if (!list) {
            cfg->layer_kind[i] = family_layer_kind(fam, i);
            continue;
        }
        const char *type = cJSON_GetStringValue(item);
        if (type && strcmp(type, "sliding_attention") == 0)
            cfg->layer_kind[i] = LAYER_WINDOW;
        else if (type && strcmp(type, "full_attention") == 0)
            cfg->layer_kind[i] = LAYER_GLOBAL;
        else
            return swan_error_set(p->err,
                                  "%s: layer_types[%d] must be \"sliding_attention\" "
                                  "or \"full_attention\"",
                                  p->path, i);
    }
    return 0;
}

static int read_rope_layers(const ConfigParse *p, const FamilyLayout *fam, SwanConfig *cfg) {
    int failed;
    const cJSON *list = get_layer_list(p, "no_rope_layers", cfg->num_layers, &failed);
    if (failed) return -1;
    for (int i = 0; i < cfg->num_layers; i++) {
        if (!list) {
            cfg->layer_rope[i] = (unsigned char)family_layer_rope(fam, cfg, i);
            continue;
        }
        const cJSON *item = cJSON_GetArrayItem(list, i);
        if (cJSON_IsBool(item))
            cfg->layer_rope[i] = (unsigned char)cJSON_IsTrue(item);
        else if (config_is_exact_int(item) && (item->valuedouble == 0 || item->valuedouble == 1))
            cfg->layer_rope[i] = (unsigned char)item->valuedouble;
        else
            return swan_error_set(p->err, "%s: no_rope_layers[%d] must be 0 or 1", p->path, i);
    }
    return 0;
}

static int any_layer(const SwanConfig *cfg, int window, int rope) {
    for (int i = 0; i < cfg->num_layers; i++) {
        if (window && cfg->layer_kind[i] == LAYER_WINDOW) return 1;
        if (rope && cfg->layer_rope[i]) return 1;
    }
    return 0;
}

static int read_sliding_window(const ConfigParse *p, SwanConfig *cfg) {
    long long w;
    if (config_read_int(p, p->root, "sliding_window", 0, 0, 1, LONG_MAX, &w)) return -1;
    if (!any_layer(cfg, 1, 0)) {
        cfg->sliding_window = 0;
        return 0;
    }
    if (w == 0)
        return swan_error_set(p->err,
                              "%s: sliding_window missing but layer_types has "
                              "sliding_attention layers",
                              p->path);
    cfg->sliding_window = (long)w;
    return 0;
}

/* a * b, or 0 with *overflow set when the product passes limit. */
static uint64_t mul_checked(uint64_t a, uint64_t b, uint64_t limit, int *overflow) {
    if (a != 0 && b > limit / a) {
        *overflow = 1;
        return 0;
    }
    return a * b;
}

/* Row counts must fit an int (kernels index with int) and every weight
 * byte count a size_t: reject absurd sizes here rather than overflow later. */
static int check_sizes(const ConfigParse *p, const SwanConfig *cfg) {
    const uint64_t byte_limit = (uint64_t)(SIZE_MAX < INT64_MAX ? SIZE_MAX : INT64_MAX);
    const uint64_t elem_limit = byte_limit / sizeof(float);
    uint64_t d = (uint64_t)cfg->hidden_size, hd = (uint64_t)cfg->head_dim;
    int overflow = 0;
    uint64_t qkv_rows = mul_checked((uint64_t)cfg->num_heads + 2 * (uint64_t)cfg->num_kv_heads, hd,
                                    INT_MAX, &overflow);
    uint64_t gate_up_rows = mul_checked(2, (uint64_t)cfg->intermediate_size, INT_MAX, &overflow);
    if (overflow)
        return swan_error_set(p->err,
                              "%s: attention or MLP sizes are absurd "
                              "(row counts overflow an int)",
                              p->path);
    uint64_t per_layer = mul_checked(qkv_rows, d, elem_limit, &overflow);
    per_layer += mul_checked((uint64_t)cfg->num_heads * hd, d, elem_limit, &overflow);
    per_layer += mul_checked(gate_up_rows + (uint64_t)cfg->intermediate_size, d, elem_limit, &overflow);
    uint64_t total = mul_checked(per_layer, (uint64_t)cfg->num_layers, elem_limit, &overflow);
    total += mul_checked(2 * (uint64_t)cfg->vocab_size, d, elem_limit, &overflow);
    if (overflow || total > elem_limit)
        return swan_error_set(p->err,
                              "%s: model sizes are absurd (weight bytes "
                              "overflow 64 bits)",
                              p->path);
    return 0;
}

static int read_head_dim(const ConfigParse *p, SwanConfig *cfg) {
    if (config_get(p->root, "head_dim")) return read_size(p, "head_dim", 1, 0, &cfg->head_dim);
    if (cfg->hidden_size % cfg->num_heads != 0)
        return swan_error_set(p->err,
                              "%s: hidden_size (%d) is not a multiple of "
                              "num_attention_heads (%d) and head_dim is absent",
                              p->path, cfg->hidden_size, cfg->num_heads);
    cfg->head_dim = cfg->hidden_size / cfg->num_heads;
    return 0;
}

static int read_dims(const ConfigParse *p, SwanConfig *cfg) {
    if (read_size(p, "vocab_size", 1, 0, &cfg->vocab_size) ||
        read_size(p, "hidden_size", 1, 0, &cfg->hidden_size) ||
        read_size(p, "intermediate_size", 1, 0, &cfg->intermediate_size) ||
        read_size(p, "num_hidden_layers", 1, 0, &cfg->num_layers) ||
        read_size(p, "num_attention_heads", 1, 0, &cfg->num_heads) ||
        read_size(p, "max_position_embeddings", 1, 0, &cfg->max_position_embeddings) ||
        read_size(p, "num_key_value_heads", 0, cfg->num_heads, &cfg->num_kv_heads))
        return -1;
    if (cfg->num_heads % cfg->num_kv_heads != 0)
        return swan_error_set(p->err,
                              "%s: num_attention_heads (%d) is not a multiple of "
                              "num_key_value_heads (%d)",
                              p->path, cfg->num_heads, cfg->num_kv_heads);
    if (read_head_dim(p, cfg)) return -1;
    return check_sizes(p, cfg);
}

static int read_norm_and_rope(const ConfigParse *p, SwanConfig *cfg) {
    double eps;
    /* LayerNorm families name it layer_norm_eps (Cohere2Config: 1e-5). */
    const char *key = cfg->block.layer_norm ? "layer_norm_eps" : "rms_norm_eps";
    if (config_read_number(p, p->root, "", key, cfg->block.layer_norm ? 1e-5 : 1e-6, 0, &eps))
        return -1;
    cfg->rms_norm_eps = (float)eps;
    if (!(cfg->rms_norm_eps > 0) || !isfinite(cfg->rms_norm_eps))
        return swan_error_set(p->err, "%s: %s (%g) is not a usable float", p->path, key, eps);
    if (config_read_rope(p, cfg)) return -1;
    if (any_layer(cfg, 0, 1) && cfg->head_dim % 2 != 0)
        return swan_error_set(p->err, "%s: head_dim (%d) must be even for RoPE layers", p->path,
                              cfg->head_dim);
    return 0;
}

static int read_layers(const ConfigParse *p, const FamilyLayout *fam, SwanConfig *cfg) {
    size_t n = (size_t)cfg->num_layers;
    cfg->layer_kind = calloc(n, sizeof *cfg->layer_kind);
    cfg->layer_rope = calloc(n, sizeof *cfg->layer_rope);
    if (!cfg->layer_kind || !cfg->layer_rope)
        return swan_error_set(p->err, "%s: out of memory for %zu layers", p->path, n);
    if (read_layer_types(p, fam, cfg) || read_rope_layers(p, fam, cfg)) return -1;
    return read_sliding_window(p, cfg);
}

/* cJSON reads the first of two equal keys, Python's json the last: a
 * repeated key would make us run a different model than HF does. */
static int check_unique_keys(const ConfigParse *p, const cJSON *obj, const char *where) {
    for (const cJSON *a = obj->child; a; a = a->next)
        for (const cJSON *b = a->next; b; b = b->next)
            if (strcmp(a->string, b->string) == 0)
                return swan_error_set(p->err, "%s: %s%s appears twice", p->path, where, a->string);
    return 0;
}

/* Objects whose keys the loader reads. */
static int check_all_unique_keys(const ConfigParse *p) {
    static const char *const nested[] = {"swan_attn_scaling", "rope_scaling"};
    if (check_unique_keys(p, p->root, "")) return -1;
    for (size_t i = 0; i < sizeof nested / sizeof nested[0]; i++) {
        const cJSON *obj = config_get(p->root, nested[i]);
        char where[64];
        snprintf(where, sizeof where, "%s.", nested[i]);
        if (cJSON_IsObject(obj) && check_unique_keys(p, obj, where)) return -1;
    }
    return 0;
}

static int read_config(const ConfigParse *p, SwanConfig *cfg) {
    FamilyLayout fam;
    if (check_all_unique_keys(p) || config_read_family(p, &fam, cfg)) return -1;
    if (read_dims(p, cfg) || read_layers(p, &fam, cfg) || read_norm_and_rope(p, cfg) ||
        config_read_bool(p, p->root, "tie_word_embeddings", fam.tie_default,
                         &cfg->tie_word_embeddings) ||
        read_token_id(p, "bos_token_id", cfg->vocab_size, &cfg->bos_token_id) ||
        read_token_id(p, "eos_token_id", cfg->vocab_size, &cfg->eos_token_id))
        return -1;
    return config_read_attn_scaling(p, cfg);
}

int swan_config_load(const char *path, SwanConfig *cfg, SwanError *err) {
    memset(cfg, 0, sizeof *cfg);
    unsigned char *bytes = NULL;
    size_t len = 0;
    if (swan_read_file(path, CONFIG_MAX_BYTES, &bytes, &len, err) != 0) return -1;
    const char *text = (const char *)bytes;
    const char *parse_end = NULL;
    /* len + 1 takes in the terminating NUL, so trailing junk is an error. */
    cJSON *root = cJSON_ParseWithLengthOpts(text, len + 1, &parse_end, 1);
    if (!root) {
        size_t at = parse_end ? (size_t)(parse_end - text) : 0;
        swan_error_set(err, "%s: invalid JSON near byte %zu", path, at);
        free(bytes);
        return -1;
    }
    ConfigParse p = {path, root, err};
    int rc = cJSON_IsObject(root) ? read_config(&p, cfg)
                                  : swan_error_set(err, "%s: not a JSON object", path);
    cJSON_Delete(root);
    free(bytes);
    if (rc) swan_config_free(cfg);
    return rc;
}

void swan_config_free(SwanConfig *cfg) {
    if (!cfg) return;
    free(cfg->layer_kind);
    free(cfg->layer_rope);
    memset(cfg, 0, sizeof *cfg);
}
