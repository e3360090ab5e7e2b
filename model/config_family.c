/* Families read from their own config.json. Each key below changes the
 * math if it is on; swan would compute a different model if it skipped it,
 * so it is refused with the key's name instead. */
#include "config_family.h"

#include <limits.h>
#include <string.h>

static const struct {
    const char *model_type;
    ModelFamily family;
} FAMILIES[] = {
    {"llama", FAMILY_LLAMA},
    {"mistral", FAMILY_MISTRAL},
    {"smollm3", FAMILY_SMOLLM3},
    {"cohere2", FAMILY_COHERE2},
};

/* Cohere2Config's defaults. */
#define COHERE2_LOGIT_SCALE 0.0625
#define COHERE2_WINDOW_PATTERN 4

/* Keys that switch on a feature when true or non-zero. */
static const char *const FEATURE_KEYS[] = {
    "attention_bias",
    "mlp_bias",
    "use_sliding_window",
    "use_qk_norm",
    "qk_layernorm",
    "attention_chunk_size",
    "attn_logit_softcapping",
    "final_logit_softcapping",
    /* mixture of experts */
    "num_local_experts",
    "num_experts",
    "num_experts_per_tok",
    "n_routed_experts",
    "n_shared_experts",
    "moe_layers",
    "moe_intermediate_size",
    "moe_layer_freq",
    "interleave_moe_layer_step",
    "decoder_sparse_step",
};

/* A value that leaves its feature off: false, 0, "" or an empty list. */
static int is_off(const cJSON *v) {
    if (cJSON_IsFalse(v)) return 1;
    if (cJSON_IsNumber(v)) return v->valuedouble == 0;
    if (cJSON_IsString(v)) return v->valuestring[0] == '\0';
    if (cJSON_IsArray(v)) return cJSON_GetArraySize(v) == 0;
    return 0;
}

static int check_features(const ConfigParse *p) {
    for (size_t i = 0; i < sizeof FEATURE_KEYS / sizeof FEATURE_KEYS[0]; i++) {
        const cJSON *v = config_get(p->root, FEATURE_KEYS[i]);
        if (v && !is_off(v))
            return swan_error_set(p->err, "%s: %s is not supported (swan has no %s)", p->path,
                                  FEATURE_KEYS[i],
                                  strstr(FEATURE_KEYS[i], "bias") ? "projection biases"
                                  : strstr(FEATURE_KEYS[i], "expert") ||
                                          strstr(FEATURE_KEYS[i], "moe") ||
                                          strstr(FEATURE_KEYS[i], "sparse")
                                      ? "mixture of experts"
                                      : "such layer");
    }
    return 0;
}

/* SwiGLU with SiLU is the only MLP; partial rotation would rotate only some pairs. */
static int check_activation_and_rotary(const ConfigParse *p) {
    static const char *const act_keys[] = {"hidden_act", "hidden_activation"};
    for (size_t i = 0; i < 2; i++) {
        const cJSON *v = config_get(p->root, act_keys[i]);
        const char *s = cJSON_GetStringValue(v);
        if (v && (!s || strcmp(s, "silu") != 0))
            return swan_error_set(p->err, "%s: %s %s%.32s%s is not supported (only \"silu\")", p->path,
                                  act_keys[i], s ? "\"" : "", s ? s : "(not a string)", s ? "\"" : "");
    }
    const cJSON *prf = config_get(p->root, "partial_rotary_factor");
    if (prf && !(cJSON_IsNumber(prf) && prf->valuedouble == 1.0))
        return swan_error_set(p->err, "%s: partial_rotary_factor other than 1 is not supported",
                              p->path);
    if (config_get(p->root, "rope_parameters"))
        return swan_error_set(p->err,
                              "%s: rope_parameters is not supported (write rope_theta and "
                              "rope_scaling)",
                              p->path);
    return 0;
}

static int read_model_type(const ConfigParse *p, ModelFamily *family) {
    const cJSON *item = config_get(p->root, "model_type");
    *family = FAMILY_SWAN;
    if (!item) return 0;
    const char *type = cJSON_GetStringValue(item);
    if (!type) return swan_error_set(p->err, "%s: model_type must be a string", p->path);
    for (size_t i = 0; i < sizeof FAMILIES / sizeof FAMILIES[0]; i++)
        if (strcmp(type, FAMILIES[i].model_type) == 0) {
            *family = FAMILIES[i].family;
            return 0;
        }
    return swan_error_set(p->err,
                          "%s: model_type \"%.64s\" is not supported (supported: llama, mistral, "
                          "smollm3, cohere2, or none for swan's own layout)",
                          p->path, type);
}

/* SWAN-GPT checkpoints are stored as "llama" with layer_types (and
 * no_rope_layers): layer_types marks swan's layout, whose full layers are
 * NoPE unless no_rope_layers says otherwise. */
static void family_defaults(const ConfigParse *p, FamilyLayout *out) {
    int swan_layout = out->family == FAMILY_SWAN || config_get(p->root, "layer_types");
    out->kind_default = LAYER_GLOBAL;
    out->rope_default = swan_layout ? ROPE_ON_WINDOW_LAYERS : ROPE_ON_ALL_LAYERS;
    out->tie_default = 0;
    out->rope_interval = 0;
    if (out->family == FAMILY_MISTRAL && config_get(p->root, "sliding_window"))
        out->kind_default = LAYER_WINDOW; /* Mistral's window is every layer's */
    if (out->family == FAMILY_SMOLLM3) {
        out->rope_default = ROPE_BY_INTERVAL;
        out->tie_default = 1;
    }
    if (out->family == FAMILY_COHERE2) {
        out->rope_default = ROPE_ON_WINDOW_LAYERS; /* global layers are NoPE */
        out->tie_default = 1;
    }
}

/* Cohere2: LayerNorm, the parallel block, interleaved pairs and a scale on
 * the output logits; the window pattern when layer_types is absent. */
static int read_cohere2(const ConfigParse *p, FamilyLayout *out, SwanConfig *cfg) {
    long long pattern;
    if (config_read_int(p, p->root, "sliding_window_pattern", 0, COHERE2_WINDOW_PATTERN, 1, INT_MAX,
                        &pattern) ||
        config_read_number(p, p->root, "", "logit_scale", COHERE2_LOGIT_SCALE, 0,
                           &cfg->block.logit_scale))
        return -1;
    out->window_pattern = (int)pattern;
    cfg->block.layer_norm = 1;
    cfg->block.parallel = 1;
    cfg->block.rope_interleaved = 1;
    return 0;
}

int config_read_family(const ConfigParse *p, FamilyLayout *out, SwanConfig *cfg) {
    memset(out, 0, sizeof *out);
    memset(&cfg->block, 0, sizeof cfg->block);
    if (read_model_type(p, &out->family) || check_features(p) || check_activation_and_rotary(p))
        return -1;
    cfg->family = out->family;
    family_defaults(p, out);
    if (out->family == FAMILY_COHERE2 && read_cohere2(p, out, cfg)) return -1;
    /* Only Cohere2 scales its logits: elsewhere the key would be ignored. */
    if (out->family != FAMILY_COHERE2 && config_get(p->root, "logit_scale"))
        return swan_error_set(p->err, "%s: logit_scale is not supported outside cohere2", p->path);
    if (out->rope_default != ROPE_BY_INTERVAL) return 0;
    long long interval;
    if (config_read_int(p, p->root, "no_rope_layer_interval", 0, 4, 1, INT_MAX, &interval)) return -1;
    out->rope_interval = (int)interval;
    return 0;
}

LayerKind family_layer_kind(const FamilyLayout *f, int layer) {
    if (f->window_pattern > 0)
        return (layer + 1) % f->window_pattern != 0 ? LAYER_WINDOW : LAYER_GLOBAL;
    return f->kind_default;
}

int family_layer_rope(const FamilyLayout *f, const SwanConfig *cfg, int layer) {
    switch (f->rope_default) {
    case ROPE_ON_ALL_LAYERS: return 1;
    /* SmolLM3Config: no_rope_layers[i] = int((i + 1) % interval != 0) */
    case ROPE_BY_INTERVAL: return (layer + 1) % f->rope_interval != 0;
    default: return cfg->layer_kind[layer] == LAYER_WINDOW;
    }
}
