/* A scaled RoPE changes every RoPE layer's output: a type we do not know
 * must stop the run rather than be ignored. */
#include "config_rope.h"

#include <string.h>

#define WHERE "rope_scaling."

static int read_factor(const ConfigParse *p, const cJSON *obj, SwanConfig *cfg) {
    if (!config_get(obj, "factor"))
        return swan_error_set(p->err, "%s: " WHERE "factor missing", p->path);
    return config_read_number(p, obj, WHERE, "factor", 1.0, 0, &cfg->rope_scaling.factor);
}

static int read_llama3(const ConfigParse *p, const cJSON *obj, SwanConfig *cfg) {
    static const char *const keys[] = {"low_freq_factor", "high_freq_factor",
                                       "original_max_position_embeddings"};
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
        if (!config_get(obj, keys[i]))
            return swan_error_set(p->err, "%s: " WHERE "%s missing (rope_type \"llama3\")", p->path,
                                  keys[i]);
    RopeScaling *s = &cfg->rope_scaling;
    if (read_factor(p, obj, cfg) ||
        config_read_number(p, obj, WHERE, "low_freq_factor", 1, 0, &s->low_freq_factor) ||
        config_read_number(p, obj, WHERE, "high_freq_factor", 1, 0, &s->high_freq_factor) ||
        config_read_number(p, obj, WHERE, "original_max_position_embeddings", 1, 0,
                           &s->original_max_position))
        return -1;
    /* The smoothing divides by their difference. */
    if (!(s->high_freq_factor > s->low_freq_factor))
        return swan_error_set(p->err,
                              "%s: " WHERE "high_freq_factor (%g) must be > low_freq_factor (%g)",
                              p->path, s->high_freq_factor, s->low_freq_factor);
    s->kind = ROPE_SCALING_LLAMA3;
    return 0;
}

static int read_scaling(const ConfigParse *p, const cJSON *obj, SwanConfig *cfg) {
    if (!cJSON_IsObject(obj))
        return swan_error_set(p->err, "%s: rope_scaling must be an object", p->path);
    /* Older configs name it "type". */
    const cJSON *type_item = config_get(obj, "rope_type");
    if (!type_item) type_item = config_get(obj, "type");
    const char *type = cJSON_GetStringValue(type_item);
    if (!type) return swan_error_set(p->err, "%s: " WHERE "rope_type missing", p->path);
    if (strcmp(type, "default") == 0) return 0;
    if (strcmp(type, "linear") == 0) {
        cfg->rope_scaling.kind = ROPE_SCALING_LINEAR;
        return read_factor(p, obj, cfg);
    }
    if (strcmp(type, "llama3") == 0) return read_llama3(p, obj, cfg);
    return swan_error_set(p->err,
                          "%s: rope_scaling rope_type \"%.64s\" is not supported "
                          "(supported: default, linear, llama3)",
                          p->path, type);
}

int config_read_rope(const ConfigParse *p, SwanConfig *cfg) {
    memset(&cfg->rope_scaling, 0, sizeof cfg->rope_scaling);
    cfg->rope_scaling.factor = 1.0;
    if (config_read_number(p, p->root, "", "rope_theta", 10000.0, 0, &cfg->rope_theta)) return -1;
    const cJSON *obj = config_get(p->root, "rope_scaling");
    return obj ? read_scaling(p, obj, cfg) : 0;
}
