/* The scaling forms of DESIGN.md section 2. Only one may be given: two
 * would leave it unclear which one the model was tuned with. */
#include "config_scaling.h"

#include <limits.h>
#include <math.h>
#include <string.h>

/* Llama 4's defaults (Llama4TextConfig) when the tuning is on. */
#define LLAMA4_FLOOR_SCALE 8192.0
#define LLAMA4_ATTN_SCALE 0.1

static int read_log(const ConfigParse *p, const cJSON *obj, SwanConfig *cfg) {
    long long train_len;
    if (config_read_int(p, obj, "train_len", 0, cfg->max_position_embeddings, 1, INT_MAX, &train_len))
        return -1;
    cfg->scaling_train_len = (int)train_len;
    cfg->scaling_kind = ATTN_SCALING_LOG;
    return config_read_number(p, obj, "swan_attn_scaling.", "alpha", 0, 1, &cfg->scaling_alpha);
}

/* a <= 1 would make ln(a) zero or negative: s(p) infinite or inverted. */
static int read_log_a(const ConfigParse *p, const cJSON *obj, SwanConfig *cfg) {
    const cJSON *a = config_get(obj, "a");
    if (!a) return swan_error_set(p->err, "%s: swan_attn_scaling.a missing (type \"log_a\")", p->path);
    if (!cJSON_IsNumber(a) || !isfinite(a->valuedouble))
        return swan_error_set(p->err, "%s: swan_attn_scaling.a must be a number", p->path);
    if (!(a->valuedouble > 1.0))
        return swan_error_set(p->err, "%s: swan_attn_scaling.a (%g) must be > 1", p->path,
                              a->valuedouble);
    cfg->scaling_a = a->valuedouble;
    cfg->scaling_kind = ATTN_SCALING_LOG_A;
    return 0;
}

static int read_swan_form(const ConfigParse *p, const cJSON *obj, SwanConfig *cfg) {
    if (!cJSON_IsObject(obj))
        return swan_error_set(p->err, "%s: swan_attn_scaling must be an object", p->path);
    const char *type = cJSON_GetStringValue(config_get(obj, "type"));
    if (type && strcmp(type, "log_a") == 0) return read_log_a(p, obj, cfg);
    if (type && strcmp(type, "log") == 0) return read_log(p, obj, cfg);
    return swan_error_set(p->err, "%s: swan_attn_scaling.type must be \"log_a\" or \"log\"", p->path);
}

/* The values are checked even with the tuning off, so a typo is seen. */
static int read_llama4_form(const ConfigParse *p, SwanConfig *cfg, int *on) {
    if (config_read_bool(p, p->root, "attn_temperature_tuning", 0, on) ||
        config_read_number(p, p->root, "", "floor_scale", LLAMA4_FLOOR_SCALE, 0, &cfg->scaling_floor) ||
        config_read_number(p, p->root, "", "attn_scale", LLAMA4_ATTN_SCALE, 1, &cfg->scaling_attn))
        return -1;
    if (*on) cfg->scaling_kind = ATTN_SCALING_LLAMA4;
    return 0;
}

int config_read_attn_scaling(const ConfigParse *p, SwanConfig *cfg) {
    cfg->scaling_kind = ATTN_SCALING_OFF;
    cfg->scaling_alpha = 0;
    cfg->scaling_train_len = cfg->max_position_embeddings;
    int tuning = 0;
    if (read_llama4_form(p, cfg, &tuning)) return -1;
    const cJSON *obj = config_get(p->root, "swan_attn_scaling");
    if (!obj) return 0;
    if (tuning)
        return swan_error_set(p->err,
                              "%s: swan_attn_scaling and attn_temperature_tuning are both set; "
                              "keep one",
                              p->path);
    return read_swan_form(p, obj, cfg);
}

int swan_config_scaling_on(const SwanConfig *cfg) {
    switch (cfg->scaling_kind) {
    case ATTN_SCALING_LOG: return cfg->scaling_alpha > 0;
    case ATTN_SCALING_LOG_A: return 1;
    case ATTN_SCALING_LLAMA4: return cfg->scaling_attn > 0;
    default: return 0;
    }
}

int swan_config_set_log_a(SwanConfig *cfg, double a) {
    if (a != 0 && !(a > 1 && isfinite(a))) return -1;
    cfg->scaling_kind = a == 0 ? ATTN_SCALING_OFF : ATTN_SCALING_LOG_A;
    cfg->scaling_a = a;
    return 0;
}

double swan_config_attn_scale(const SwanConfig *cfg, long pos) {
    double p = (double)pos;
    switch (cfg->scaling_kind) {
    case ATTN_SCALING_LOG: {
        if (cfg->scaling_alpha <= 0) return 1.0;
        double s = 1.0 + cfg->scaling_alpha * log((p + 1.0) / (double)cfg->scaling_train_len);
        return s > 1.0 ? s : 1.0;
    }
    case ATTN_SCALING_LOG_A: return log(p + cfg->scaling_a) / log(cfg->scaling_a);
    case ATTN_SCALING_LLAMA4:
        /* Llama 4 scales the queries by the cache position, 0-based. */
        return 1.0 + cfg->scaling_attn * log1p(floor((p + 1.0) / cfg->scaling_floor));
    default: return 1.0;
    }
}
